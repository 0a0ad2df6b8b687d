// Promises the proto comments make that only a server with its defaults, or with its media plane down, can show.
import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { freePort } from "@screenshare/devstack";
import { Channel, FieldViolationSchema, InteractionService, ServerInfoSchema, ServerInfoService, SharerService, ViewerService } from "@screenshare/protocol";
import { bearerTransport } from "@screenshare/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintViewerToken, VIEW_PERMISSION } from "./auth.js";
import { type RunningServer, startServer } from "./server.js";

const viewerTokens = { secret: "proto-promises-viewer-token-secret".padEnd(32, "-"), issuer: "proto-promises", audience: "screenshare" };
const integrationApiKey = "proto-promises-integration-api-key".padEnd(32, "-");
let server: RunningServer;

beforeAll(async () => {
  // Nothing here reaches LiveKit except StartScreenShare, which must find it down.
  // A free port nothing listens on: the media plane is down.
  const livekitPort = await freePort();
  server = await startServer({
    port: 0,
    livekit: { url: `ws://127.0.0.1:${livekitPort}`, apiKey: "devkey", apiSecret: "proto-promises-livekit-secret-0123456789" },
    viewerTokens,
    integrationApiKey,
    quiet: true,
  });
});

afterAll(() => server?.stop());

const transport = (token?: string) => bearerTransport(server.url, token);

/** Each ServerInfo field's "(default N)" from server_info_service.proto, by the field's name in the .proto file. */
function documentedDefaults(): Map<string, number> {
  const proto = readFileSync(new URL("../../../proto/screenshare/v1/server_info_service.proto", import.meta.url), "utf8");
  const message = /message ServerInfo \{([\s\S]*?)\n\}/.exec(proto)?.[1] ?? "";
  const defaults = new Map<string, number>();
  for (const [, comment = "", field = ""] of message.matchAll(/((?:\s*\/\/.*\n)+)\s*\w+ (\w+) = \d+;/g)) {
    const documented = /\(default (\d+)\)/.exec(comment);
    if (documented) defaults.set(field, Number(documented[1]));
  }
  return defaults;
}

describe("proto comments match the reference server", () => {
  it("ServerInfo advertises the defaults its comments state, and every number field states one", async () => {
    const { info } = await createClient(ServerInfoService, transport()).getServerInfo({});
    const defaults = documentedDefaults();
    const numberFields = ServerInfoSchema.fields.filter((field) => field.fieldKind === "scalar" && field.scalar === 13 /* uint32 */);
    expect(numberFields.length).toBeGreaterThan(10);
    expect([...defaults.keys()].sort()).toEqual(numberFields.map((field) => field.name).sort());
    for (const field of numberFields) {
      expect({ field: field.name, value: info?.[field.localName as keyof typeof info] }).toEqual({ field: field.name, value: defaults.get(field.name) });
    }
  });

  it("RedeemSecurityKey: a key of the wrong length is INVALID_ARGUMENT with a FieldViolation for security_key", async () => {
    const error = await createClient(SharerService, transport())
      .redeemSecurityKey({ orgId: "org-1", securityKey: "482 91" })
      .then(() => undefined, ConnectError.from);
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.findDetails(FieldViolationSchema)).toEqual([
      create(FieldViolationSchema, { field: "security_key", description: "must be 6 digits (spaces and dashes are ignored)" }),
    ]);
  });

  it("StartScreenShare: UNAVAILABLE when the media plane cannot create the room, and no session was started", async () => {
    const platform = createClient(InteractionService, transport(integrationApiKey));
    await platform.registerInteraction({ orgId: "org-1", interactionId: "call-1", channel: Channel.VOICE, agentUserId: "agent-1" });
    const token = await mintViewerToken({ ...viewerTokens, org: "org-1", sub: "agent-1", permissions: [VIEW_PERMISSION] });
    const viewer = createClient(ViewerService, transport(token));
    const error = await viewer.startScreenShare({ interactionId: "call-1" }).then(() => undefined, ConnectError.from);
    expect(error?.code).toBe(Code.Unavailable);
    expect(error?.rawMessage).toMatch(/media plane could not create the session's room.*retry later/);
    expect((await viewer.listSessions({})).sessions).toEqual([]);
  });
});
