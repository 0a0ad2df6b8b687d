// Long because the list is: one test per attack, sharing the stacks each describe block starts once.
// What an attacker tries, as docs/security.md lists it: one test per defect found by probing the server.
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { constants, connect as http2Connect } from "node:http2";
import { connect as netConnect, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Channel, InteractionService, type InteractionStatus, RegisterInteractionRequestSchema, SessionState, SharerService } from "@screenshare/protocol";
import { agentWithInteraction, clientsFor, type ReferenceStack, sleep, startReferenceStack, unique } from "@screenshare/testkit";
import { AccessToken, TrackSource, WebhookEvent } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintViewerToken, VIEW_PERMISSION } from "./auth.js";
import type { ServerOptions } from "./config.js";
import { type RunningServer, startServer } from "./server.js";

const viewerTokens = { secret: randomBytes(32).toString("base64url"), issuer: "security-test", audience: "screenshare" };
const integrationApiKey = randomBytes(32).toString("base64url");

/** A server without media: every check here happens before a session would need LiveKit. */
function bareServer(overrides: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer({
    port: 0,
    livekit: { url: "ws://127.0.0.1:9", apiKey: "unused", apiSecret: randomBytes(32).toString("base64url") },
    viewerTokens,
    integrationApiKey,
    quiet: true,
    ...overrides,
  });
}

type Protocol = "connect-h1" | "connect-h2" | "grpc" | "grpc-web-h1";
const PROTOCOLS: readonly Protocol[] = ["connect-h1", "connect-h2", "grpc", "grpc-web-h1"];

/** A transport of `protocol` whose connections leave from `localAddress`; `headers` go on every request. */
function transportFrom(url: string, protocol: Protocol, localAddress: string, headers: Record<string, string> = {}): Transport {
  const interceptors: Interceptor[] = [
    (next) => (request) => {
      for (const [name, value] of Object.entries(headers)) request.header.set(name, value);
      return next(request);
    },
  ];
  // HTTP/2 sessions take their socket from createConnection; localAddress alone is ignored there.
  const http2 = { createConnection: (authority: URL) => netConnect({ host: authority.hostname, port: Number(authority.port), localAddress }) };
  switch (protocol) {
    case "connect-h1":
      return createConnectTransport({ baseUrl: url, httpVersion: "1.1", nodeOptions: { localAddress, agent: false }, interceptors });
    case "connect-h2":
      return createConnectTransport({ baseUrl: url, httpVersion: "2", nodeOptions: http2, interceptors });
    case "grpc":
      return createGrpcTransport({ baseUrl: url, nodeOptions: http2, interceptors });
    case "grpc-web-h1":
      return createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1", nodeOptions: { localAddress, agent: false }, interceptors });
  }
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => ConnectError.from(error).code,
  );

describe("rate-limit identity", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await bareServer({
      limits: { redeemAttemptsPerClient: 4, redeemAttemptsPerOrg: 1_000, redeemWindowMs: 60_000 },
      trustedProxy: { header: "x-forwarded-for", proxies: ["127.0.0.9"] },
    });
  });
  afterAll(() => server.stop());
  const guess = (transport: Transport, orgId: string) => codeOf(createClient(SharerService, transport).redeemSecurityKey({ orgId, securityKey: "000000" }));

  it("is the client's address on every protocol and HTTP version: one budget per address, none shared between addresses", async () => {
    const org = unique("org");
    // Four wrong guesses from 127.0.0.3, one per protocol, use up that address's budget on all of them.
    for (const protocol of PROTOCOLS) expect(await guess(transportFrom(server.url, protocol, "127.0.0.3"), org)).toBe(Code.NotFound);
    for (const protocol of PROTOCOLS) expect(await guess(transportFrom(server.url, protocol, "127.0.0.3"), org)).toBe(Code.ResourceExhausted);
    // Other addresses, HTTP/2 (gRPC and Connect) included, still have theirs.
    for (const [address, protocol] of [
      ["127.0.0.4", "grpc"],
      ["127.0.0.5", "connect-h2"],
      ["127.0.0.6", "grpc-web-h1"],
      ["127.0.0.7", "connect-h1"],
    ] as const) {
      expect(await guess(transportFrom(server.url, protocol, address), org)).toBe(Code.NotFound);
    }
  });

  it("counts parallel guesses one by one: 20 at once from one address get exactly 4 answers before the block", async () => {
    const org = unique("org");
    const transport = transportFrom(server.url, "grpc", "127.0.0.10");
    const codes = await Promise.all(Array.from({ length: 20 }, () => guess(transport, org)));
    expect(codes.filter((code) => code === Code.NotFound)).toHaveLength(4);
    expect(codes.filter((code) => code === Code.ResourceExhausted)).toHaveLength(16);
  });

  it("behind a trusted proxy is the forwarded address; a forwarding header from anyone else is ignored", async () => {
    const org = unique("org");
    const viaProxy = (client: string) => transportFrom(server.url, "grpc", "127.0.0.9", { "x-forwarded-for": `${client}, 127.0.0.9` });
    for (let attempt = 0; attempt < 4; attempt++) expect(await guess(viaProxy("203.0.113.1"), org)).toBe(Code.NotFound);
    expect(await guess(viaProxy("203.0.113.1"), org)).toBe(Code.ResourceExhausted);
    expect(await guess(viaProxy("203.0.113.2"), org)).toBe(Code.NotFound);
    // 127.0.0.8 is no proxy: its header is a lie, and its guesses count against 127.0.0.8.
    const liar = transportFrom(server.url, "connect-h2", "127.0.0.8", { "x-forwarded-for": "198.51.100.1" });
    for (let attempt = 0; attempt < 4; attempt++) expect(await guess(liar, org)).toBe(Code.NotFound);
    expect(await guess(transportFrom(server.url, "connect-h1", "127.0.0.8"), org)).toBe(Code.ResourceExhausted);
    expect(await guess(viaProxy("198.51.100.1"), org)).toBe(Code.NotFound);
  });
});

/** Sends `body` to a Connect unary endpoint as raw HTTP/1.1 and returns status and body. */
function rawPost(url: string, path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { method: "POST", headers: { ...headers, "content-length": String(body.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** Sends one gRPC message frame (`flags`, `payload`) over HTTP/2 and returns grpc-status and grpc-message. */
function rawGrpc(url: string, path: string, frame: Buffer, headers: Record<string, string> = {}): Promise<{ status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(url);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc+proto", te: "trailers", ...headers });
    let status = "";
    let message = "";
    stream.on("response", (head) => {
      status = String(head["grpc-status"] ?? status);
      message = String(head["grpc-message"] ?? message);
    });
    stream.on("trailers", (trailers) => {
      status = String(trailers["grpc-status"] ?? status);
      message = decodeURIComponent(String(trailers["grpc-message"] ?? message));
    });
    stream.on("data", () => undefined);
    stream.on("close", () => {
      session.close();
      resolve({ status, message });
    });
    stream.end(frame);
  });
}
const envelope = (flags: number, payload: Buffer) =>
  Buffer.concat([Buffer.from([flags]), Buffer.alloc(4, 0).fill(0), payload])
    .fill(0, 1, 5)
    .map((byte, index) => (index >= 1 && index <= 4 ? (payload.length >>> (8 * (4 - index))) & 0xff : byte)) as Buffer;

describe("malformed input", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await bareServer();
  });
  afterAll(() => server.stop());
  const REGISTER = "/screenshare.v1.InteractionService/RegisterInteraction";
  const auth = () => ({ authorization: `Bearer ${integrationApiKey}` });
  const valid = () =>
    Buffer.from(
      toBinary(
        RegisterInteractionRequestSchema,
        create(RegisterInteractionRequestSchema, { orgId: "org", interactionId: unique("i"), channel: Channel.VOICE, agentUserId: "agent" }),
      ),
    );
  const invalidUtf8 = Buffer.from([0x0a, 0x03, 0xff, 0xfe, 0xfd]);

  it.each([
    ["malformed protobuf", Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), {}],
    ["invalid UTF-8 in a string", invalidUtf8, {}],
    ["a truncated gzip body", gzipSync(valid()).subarray(0, 12), { "content-encoding": "gzip" }],
    ["an unknown encoding", valid(), { "content-encoding": "zstd-bomb" }],
  ] as const)("%s over Connect answers INVALID_ARGUMENT (or UNIMPLEMENTED for the encoding), never INTERNAL", async (_name, body, headers) => {
    const response = await rawPost(server.url, REGISTER, body, { "content-type": "application/proto", ...auth(), ...headers });
    const code = JSON.parse(response.body).code;
    expect(code === "invalid_argument" || (code === "unimplemented" && "content-encoding" in headers && headers["content-encoding"] === "zstd-bomb")).toBe(
      true,
    );
    expect(response.status).not.toBe(500);
  });

  it.each([
    ["malformed protobuf", 0, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])],
    ["invalid UTF-8 in a string", 0, invalidUtf8],
    ["the compressed flag without an encoding", 1, Buffer.from([0x0a, 0x01, 0x61])],
  ] as const)("%s over gRPC answers INVALID_ARGUMENT, never INTERNAL", async (_name, flags, payload) => {
    const { status } = await rawGrpc(server.url, REGISTER, envelope(flags, payload), auth());
    expect(status).toBe(String(Code.InvalidArgument));
  });

  it("a truncated gzip message over gRPC answers INVALID_ARGUMENT", async () => {
    const { status, message } = await rawGrpc(server.url, REGISTER, envelope(1, gzipSync(valid()).subarray(0, 12)), { ...auth(), "grpc-encoding": "gzip" });
    expect([status, message]).toEqual([String(Code.InvalidArgument), expect.stringMatching(/not valid gzip/)]);
  });

  it.each(PROTOCOLS)("enum values outside the declared set (99, -1) are rejected over %s, naming the field", async (protocol) => {
    const platform = createClient(InteractionService, transportFrom(server.url, protocol, "127.0.0.1", auth()));
    for (const channel of [99, -1]) {
      const error = await platform
        .registerInteraction({ orgId: "org", interactionId: unique("i"), channel, agentUserId: "agent" })
        .catch((reason: unknown) => ConnectError.from(reason));
      expect(error).toBeInstanceOf(ConnectError);
      expect([(error as ConnectError).code, (error as ConnectError).rawMessage]).toEqual([
        Code.InvalidArgument,
        "channel must be one of CHANNEL_UNSPECIFIED, CHANNEL_VOICE, CHANNEL_CHAT",
      ]);
    }
    const status = await platform
      .setInteractionStatus({ orgId: "org", interactionId: "i", status: 42 as InteractionStatus })
      .catch((reason: unknown) => ConnectError.from(reason));
    expect((status as ConnectError).code).toBe(Code.InvalidArgument);
  });

  it("a compression bomb costs nothing: refused RESOURCE_EXHAUSTED after 64 KiB of output, and a body over the limit unread", async () => {
    // 10 MiB of zeros in a field, gzipped to about 10 KiB.
    const bomb = gzipSync(Buffer.concat([Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x05]), Buffer.alloc(10 * 1024 * 1024)]), { level: 9 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const before = process.memoryUsage().rss;
    for (let round = 0; round < 20; round++) {
      const response = await rawPost(server.url, REGISTER, bomb, { "content-type": "application/proto", "content-encoding": "gzip", ...auth() });
      expect(JSON.parse(response.body)).toMatchObject({ code: "resource_exhausted", message: expect.stringMatching(/readMaxBytes 65536 after decompression/) });
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    const huge = await rawPost(server.url, REGISTER, Buffer.alloc(1024 * 1024), { "content-type": "application/proto", ...auth() });
    expect(JSON.parse(huge.body).code).toBe("resource_exhausted");
  });

  it("a webhook body over the limit is refused unread", async () => {
    const response = await rawPost(server.url, "/livekit/webhook", Buffer.alloc(1024 * 1024, 0x20), { "content-type": "application/webhook+json" });
    expect(response.status).toBe(413);
  });
});

describe("connection timeouts", () => {
  let server: RunningServer;
  const network = { idleTimeoutMs: 400, headersTimeoutMs: 400, requestTimeoutMs: 800 };
  beforeAll(async () => {
    server = await bareServer({ network });
  });
  afterAll(() => server.stop());

  /** Milliseconds until the server closes `socket`, or Infinity after `limit`. */
  const closedWithin = (socket: Socket, limit: number) =>
    new Promise<number>((resolve) => {
      const started = Date.now();
      socket.on("data", () => undefined);
      socket.on("error", () => undefined);
      socket.once("close", () => resolve(Date.now() - started));
      setTimeout(() => resolve(Number.POSITIVE_INFINITY), limit).unref();
    });
  const open = () => netConnect(server.port, "127.0.0.1");
  const drip = (socket: Socket, bytes: string) => {
    let index = 0;
    const timer = setInterval(() => (index < bytes.length && !socket.destroyed ? socket.write(bytes[index++] as string) : clearInterval(timer)), 100);
    return () => clearInterval(timer);
  };

  it("closes a connection that sends nothing", async () => {
    expect(await closedWithin(open(), 3_000)).toBeLessThan(1_500);
  });

  it("closes an HTTP/1.1 connection whose headers trickle in (slowloris)", async () => {
    const socket = open();
    socket.write("POST /screenshare.v1.ServerInfoService/GetServerInfo HTTP/1.1\r\nHost: x\r\n");
    const stop = drip(socket, "X-Slow: ".repeat(20));
    expect(await closedWithin(socket, 4_000)).toBeLessThan(2_500);
    stop();
  });

  it("closes an HTTP/1.1 connection whose body trickles in", async () => {
    const socket = open();
    socket.write("POST /screenshare.v1.ServerInfoService/GetServerInfo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n");
    const stop = drip(socket, " ".repeat(99));
    expect(await closedWithin(socket, 5_000)).toBeLessThan(3_000);
    stop();
  });

  it("closes an idle HTTP/1.1 keep-alive connection", async () => {
    const socket = open();
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    // Node keeps a keep-alive socket one second past keepAliveTimeout.
    expect(await closedWithin(socket, 4_000)).toBeLessThan(2_500);
  });

  it("closes an HTTP/2 session without streams even while it pings, and one whose client half-closed", async () => {
    const session = http2Connect(server.url);
    session.on("error", () => undefined);
    const pinging = setInterval(() => !session.destroyed && session.ping(() => undefined), 100);
    const closed = await new Promise<number>((resolve) => {
      const started = Date.now();
      session.once("close", () => resolve(Date.now() - started));
      setTimeout(() => resolve(Number.POSITIVE_INFINITY), 4_000).unref();
    });
    clearInterval(pinging);
    expect(closed).toBeLessThan(2_500);

    const halfOpen = open();
    halfOpen.end("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    expect(await closedWithin(halfOpen, 3_000)).toBeLessThan(1_500);
  });

  it("cancels an HTTP/2 request whose body never ends, and keeps a session with a long-lived stream open", async () => {
    const session = http2Connect(server.url);
    session.on("error", () => undefined);
    const stream = session.request({ ":method": "POST", ":path": "/screenshare.v1.ServerInfoService/GetServerInfo", "content-type": "application/json" });
    stream.on("error", () => undefined);
    stream.on("data", () => undefined);
    stream.write("{");
    const code = await new Promise<number>((resolve) => stream.once("close", () => resolve(stream.rstCode ?? -1)));
    expect(code).toBe(constants.NGHTTP2_CANCEL);
    session.close();

    const platform = createClient(InteractionService, transportFrom(server.url, "connect-h2", "127.0.0.1", { authorization: `Bearer ${integrationApiKey}` }));
    const interactionId = unique("chat");
    await platform.registerInteraction({ orgId: "org", interactionId, channel: Channel.CHAT, agentUserId: "agent" });
    const { customerCredential } = await platform.issueCustomerCredential({ orgId: "org", interactionId });
    const watcher = createClient(SharerService, transportFrom(server.url, "connect-h2", "127.0.0.1", { authorization: `Bearer ${customerCredential}` }));
    const abort = new AbortController();
    const watching = (async () => {
      for await (const _ of watcher.watchInvitations({}, { signal: abort.signal })) {
        // No invitation is expected; the stream just stays open.
      }
    })().then(
      () => "ended",
      (error: unknown) => (abort.signal.aborted ? "aborted" : `failed: ${String(error)}`),
    );
    await sleep(1_500);
    abort.abort();
    expect(await watching).toBe("aborted");
  });
});

/** A LiveKit webhook as LiveKit signs it: a 5-minute token over the body's SHA-256. */
async function signedWebhook(stack: ReferenceStack, fields: NonNullable<ConstructorParameters<typeof WebhookEvent>[0]> & { event: WebhookEvent["event"] }) {
  const event = new WebhookEvent(fields);
  // The SDK's subclass declares `event` as a class field, which resets what the constructor set.
  event.event = fields.event;
  const body = event.toJsonString();
  const token = new AccessToken(stack.livekit.apiKey, stack.livekit.apiSecret, { ttl: "5m" });
  token.sha256 = createHash("sha256").update(body).digest("base64");
  return { body, authorization: await token.toJwt() };
}

describe("end to end, with LiveKit", () => {
  let stack: ReferenceStack;
  beforeAll(async () => {
    stack = await startReferenceStack();
  });
  afterAll(() => stack?.stop());

  it("a regenerated key loses an attempt to every wrong guess in its org, like any live key", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const { session: regenerated } = await agent.viewer.viewer.regenerateSecurityKey({ sessionId: session?.sessionId ?? "" });
    const key = regenerated?.securityKey?.key ?? "";
    const wrong = String((Number(key) + 1) % 1_000_000).padStart(6, "0");
    expect(await codeOf(clientsFor(stack.server.url).sharer.redeemSecurityKey({ orgId: agent.orgId, securityKey: wrong }))).toBe(Code.NotFound);
    const { session: after } = await agent.viewer.viewer.getSession({ sessionId: session?.sessionId ?? "" });
    expect(after?.securityKey?.attemptsRemaining).toBe((regenerated?.securityKey?.attemptsRemaining ?? 0) - 1);
  });

  it("a token from another issuer or for another audience is refused", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    for (const foreign of [{ issuer: "https://evil.example/" }, { audience: "another-service" }]) {
      const token = await mintViewerToken({ ...stack.viewerTokens, ...foreign, org: agent.orgId, sub: agent.agent, permissions: [VIEW_PERMISSION] });
      expect(await codeOf(clientsFor(stack.server.url, token).viewer.startScreenShare({ interactionId: agent.interactionId }))).toBe(Code.Unauthenticated);
    }
  });

  it("applies a webhook once: replaying a sharer's earlier join and leave, or a fact older than the latest, changes nothing", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    await clientsFor(stack.server.url).sharer.redeemSecurityKey({ orgId: agent.orgId, securityKey: session?.securityKey?.key ?? "" });
    const at = BigInt(Math.floor(Date.now() / 1000));
    const room = { name: `ss-${sessionId}` };
    const sharer = (sid: string) => ({ sid, identity: `sharer-${sessionId}` });
    const screen = { source: TrackSource.SCREEN_SHARE };
    const deliver = async (webhook: { body: string; authorization: string }) => {
      const response = await rawPost(stack.server.url, "/livekit/webhook", Buffer.from(webhook.body), {
        "content-type": "application/webhook+json",
        authorization: webhook.authorization,
      });
      expect(response.status).toBe(200);
    };
    const state = async () => (await agent.viewer.viewer.getSession({ sessionId })).session?.state;
    // The sharer's first connection joins and drops (a reload); the second joins and shares.
    const firstJoin = await signedWebhook(stack, { id: unique("EV"), event: "participant_joined", room, participant: sharer("PA_first"), createdAt: at - 30n });
    const firstLeave = await signedWebhook(stack, { id: unique("EV"), event: "participant_left", room, participant: sharer("PA_first"), createdAt: at - 29n });
    for (const webhook of [
      firstJoin,
      firstLeave,
      await signedWebhook(stack, { id: unique("EV"), event: "participant_joined", room, participant: sharer("PA_second"), createdAt: at - 20n }),
      await signedWebhook(stack, { id: unique("EV"), event: "track_published", room, participant: sharer("PA_second"), track: screen, createdAt: at - 20n }),
    ]) {
      await deliver(webhook);
    }
    expect(await state()).toBe(SessionState.SHARING);
    // An attacker who recorded the first connection's join and leave replays them, signatures still valid.
    await deliver(firstJoin);
    await deliver(firstLeave);
    expect(await state()).toBe(SessionState.SHARING);
    // A fact created before the latest one applied for the sharer (a late delivery) is ignored too.
    await deliver(
      await signedWebhook(stack, { id: unique("EV"), event: "track_unpublished", room, participant: sharer("PA_second"), track: screen, createdAt: at - 25n }),
    );
    expect(await state()).toBe(SessionState.SHARING);
    // A join delivered after a later fact of the same participant does not apply, but its connection is the latest:
    // when that connection leaves, the sharer is disconnected.
    await deliver(
      await signedWebhook(stack, { id: unique("EV"), event: "track_published", room, participant: sharer("PA_third"), track: screen, createdAt: at - 10n }),
    );
    await deliver(await signedWebhook(stack, { id: unique("EV"), event: "participant_joined", room, participant: sharer("PA_third"), createdAt: at - 11n }));
    expect(await state()).toBe(SessionState.SHARING);
    await deliver(await signedWebhook(stack, { id: unique("EV"), event: "participant_left", room, participant: sharer("PA_third"), createdAt: at - 9n }));
    expect(await state()).toBe(SessionState.RECONNECTING_SHARER);
    await deliver(await signedWebhook(stack, { id: unique("EV"), event: "participant_joined", room, participant: sharer("PA_fourth"), createdAt: at - 8n }));
    await deliver(
      await signedWebhook(stack, { id: unique("EV"), event: "track_published", room, participant: sharer("PA_fourth"), track: screen, createdAt: at - 8n }),
    );
    expect(await state()).toBe(SessionState.SHARING);
    // A current one still applies.
    await deliver(
      await signedWebhook(stack, { id: unique("EV"), event: "track_unpublished", room, participant: sharer("PA_second"), track: screen, createdAt: at }),
    );
    expect(await state()).toBe(SessionState.SELECTING_SCREEN);
  });

  it("refuses a webhook without an id or whose signature does not expire within an hour", async () => {
    const event = new WebhookEvent({ room: { name: "ss-none" } });
    event.event = "room_started";
    const body = event.toJsonString();
    const sign = async (ttl: string) => {
      const token = new AccessToken(stack.livekit.apiKey, stack.livekit.apiSecret, { ttl });
      token.sha256 = createHash("sha256").update(body).digest("base64");
      return token.toJwt();
    };
    expect((await rawPost(stack.server.url, "/livekit/webhook", Buffer.from(body), { authorization: await sign("5m") })).status).toBe(400);
    expect((await rawPost(stack.server.url, "/livekit/webhook", Buffer.from(body), { authorization: await sign("6h") })).status).toBe(401);
  });
});
