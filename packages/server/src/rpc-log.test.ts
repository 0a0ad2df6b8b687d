// The RPC log: every failed call is logged with what the client was answered and the causes underneath.
import { Writable } from "node:stream";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { freePort } from "@screenshare/devstack";
import { Channel, InteractionService, ViewerService } from "@screenshare/protocol";
import { bearerTransport } from "@screenshare/testkit";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintViewerToken, VIEW_PERMISSION } from "./auth.js";
import { MemoryStore } from "./memory-store.js";
import { type RunningServer, startServer } from "./server.js";

const viewerTokens = { secret: "rpc-log-viewer-token-secret".padEnd(32, "-"), issuer: "rpc-log", audience: "screenshare" };
const integrationApiKey = "rpc-log-integration-api-key".padEnd(32, "-");

/** The embedded store, except that writing the interaction "broken" fails the way a lost connection would. */
class BrokenStore extends MemoryStore {
  override async putInteraction(orgId: string, interactionId: string, interaction: Uint8Array) {
    if (interactionId === "broken") throw new Error("injected store failure: interaction write", { cause: new Error("socket hang up (ECONNRESET)") });
    return super.putInteraction(orgId, interactionId, interaction);
  }
}

const lines: Array<Record<string, unknown>> = [];
let server: RunningServer;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  server = await startServer(
    {
      port: 0,
      // A free port nothing listens on: the media plane is down.
      livekit: { url: `ws://127.0.0.1:${await freePort()}`, apiKey: "devkey", apiSecret: "rpc-log-livekit-secret-0123456789-abcdef" },
      viewerTokens,
      integrationApiKey,
    },
    { store: new BrokenStore(), log: sink },
  );
});

afterAll(() => server?.stop());

function clients(token: string) {
  const transport = bearerTransport(server.url, token);
  return { platform: createClient(InteractionService, transport), viewer: createClient(ViewerService, transport) };
}

/** The log line of the failed call to `method`, once written. */
async function logged(method: string): Promise<Record<string, unknown>> {
  for (let waited = 0; waited < 2_000; waited += 20) {
    const line = lines.find((entry) => entry.msg === "rpc failed" && entry.method === method);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no "rpc failed" line for ${method}; log: ${JSON.stringify(lines)}`);
}

describe("the RPC log", () => {
  it("shows an INTERNAL failure's original error, its causes and its stack, as an error; the client is told only 'internal error'", async () => {
    const error = await clients(integrationApiKey)
      .platform.registerInteraction({ orgId: "org-1", interactionId: "broken", channel: Channel.VOICE, agentUserId: "agent-1" })
      .then(() => undefined, ConnectError.from);
    expect(error?.code).toBe(Code.Internal);
    expect(error?.rawMessage).toBe("internal error");
    const line = await logged("RegisterInteraction");
    expect(line).toMatchObject({
      level: 50,
      code: "Internal",
      message: "internal error",
      causes: ["Error: injected store failure: interaction write", "Error: socket hang up (ECONNRESET)"],
    });
    expect(line.stack).toMatch(/injected store failure: interaction write\n\s+at /);
  });

  it("shows a ConnectError's message and the failure it wraps", async () => {
    const { platform } = clients(integrationApiKey);
    await platform.registerInteraction({ orgId: "org-1", interactionId: "call-1", channel: Channel.VOICE, agentUserId: "agent-1" });
    const token = await mintViewerToken({ ...viewerTokens, org: "org-1", sub: "agent-1", permissions: [VIEW_PERMISSION] });
    const error = await clients(token)
      .viewer.startScreenShare({ interactionId: "call-1" })
      .then(() => undefined, ConnectError.from);
    expect(error?.code).toBe(Code.Unavailable);
    const line = await logged("StartScreenShare");
    expect(line).toMatchObject({ level: 30, code: "Unavailable", message: expect.stringMatching(/media plane could not create the session's room/) });
    expect(line.causes).toContainEqual(expect.stringMatching(/ECONNREFUSED 127\.0\.0\.1:\d+$/));
    expect(line.stack).toBeUndefined();
  });

  it("shows why a viewer token was rejected, and never the token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ org: "org-1", permissions: [VIEW_PERMISSION] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("agent-1")
      .setIssuer(viewerTokens.issuer)
      .setAudience(viewerTokens.audience)
      .setIssuedAt(now - 600)
      .setExpirationTime(now - 300)
      .sign(new TextEncoder().encode(viewerTokens.secret));
    const error = await clients(expired)
      .viewer.listSessions({})
      .then(() => undefined, ConnectError.from);
    expect(error?.code).toBe(Code.Unauthenticated);
    const line = await logged("ListSessions");
    expect(line).toMatchObject({ code: "Unauthenticated", causes: ['JWTExpired: "exp" claim timestamp check failed'] });
    const everything = JSON.stringify(lines);
    expect(everything).not.toContain(expired);
    expect(everything).not.toContain(integrationApiKey);
  });
});
