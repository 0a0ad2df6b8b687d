import { randomBytes } from "node:crypto";
// The deployment a growing user runs (docs/operations.md): two LiveKit nodes in LiveKit's own multi-node mode on
// one Redis, two server nodes on another, and one session whose viewer and sharer reach it through different
// nodes of both.
import { freePort, type LiveKitHandle, publishScreen, type RedisHandle, receiveFrames, startLiveKit, startRedis } from "@screenshare/devstack";
import { Channel, EndReason, SessionState } from "@screenshare/protocol";
import { clientsFor, collectEvents, joinRoom, unique } from "@screenshare/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintViewerToken, VIEW_PERMISSION } from "./auth.js";
import { type RunningServer, startServer } from "./server.js";

const TOKENS = { secret: "multi-node-viewer-token-secret".padEnd(32, "-"), issuer: "multi-node-test", audience: "screenshare" };
const API_KEY = "multi-node-integration-api-key".padEnd(32, "-");

let livekitRedis: RedisHandle;
let serverRedis: RedisHandle;
const livekits: LiveKitHandle[] = [];
const servers: RunningServer[] = [];

beforeAll(async () => {
  [livekitRedis, serverRedis] = await Promise.all([startRedis(), startRedis()]);
  const ports = [await freePort(), await freePort()];
  // Nodes of one LiveKit cluster share their API secret.
  const clusterSecret = randomBytes(24).toString("hex");
  // Each LiveKit node posts its webhooks to one server node; either node applies them to the shared store.
  for (const port of ports) {
    livekits.push(await startLiveKit({ redisUrl: livekitRedis.url, apiSecret: clusterSecret, webhookUrls: [`http://127.0.0.1:${port}/livekit/webhook`] }));
  }
  for (const [index, port] of ports.entries()) {
    const livekit = livekits[index] as LiveKitHandle;
    servers.push(
      await startServer({
        port,
        livekit: { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
        viewerTokens: TOKENS,
        integrationApiKey: API_KEY,
        store: { kind: "redis", url: serverRedis.url },
        quiet: true,
      }),
    );
  }
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await Promise.all([...livekits.map((livekit) => livekit.stop()), livekitRedis?.stop(), serverRedis?.stop()]);
});

describe("two server nodes beside two LiveKit nodes", () => {
  it("carry one session whose viewer and sharer are on different nodes of each, from start to frames to end", async () => {
    const [first, second] = servers as [RunningServer, RunningServer];
    const org = unique("org");
    const agent = unique("agent");
    const interactionId = unique("interaction");
    await clientsFor(first.url, API_KEY).platform.registerInteraction({ orgId: org, interactionId, channel: Channel.VOICE, agentUserId: agent });
    const token = await mintViewerToken({ ...TOKENS, org, sub: agent, permissions: [VIEW_PERMISSION] });
    const viewer = clientsFor(first.url, token);
    const { session } = await viewer.viewer.startScreenShare({ interactionId });
    const sessionId = session?.sessionId ?? "";
    // The customer's app talks to the other server node, which hands out the other LiveKit node.
    const redeemed = await clientsFor(second.url).sharer.redeemSecurityKey({ orgId: org, securityKey: session?.securityKey?.key ?? "" });
    const sharer = clientsFor(second.url, redeemed.sharerCredential);
    const sharerMedia = (await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media;
    const viewerMedia = (await viewer.viewer.getViewerMediaJoinInfo({ sessionId })).media;
    const urlOf = (media: typeof viewerMedia) => (media?.transport.case === "livekit" ? media.transport.value.serverUrl : "");
    expect(urlOf(viewerMedia)).toBe(livekits[0]?.url);
    expect(urlOf(sharerMedia)).toBe(livekits[1]?.url);

    // One cluster: both nodes registered in LiveKit's Redis, the room hosted by one of them.
    const cluster = new Redis(livekitRedis.url);
    try {
      expect(Object.keys(await cluster.hgetall("nodes"))).toHaveLength(2);
      expect(Object.keys(await cluster.hgetall("nodes"))).toContain(await cluster.hget("room_node_map", `ss-${sessionId}`));
    } finally {
      cluster.disconnect();
    }

    const sharerRoom = await joinRoom(sharerMedia);
    const viewerRoom = await joinRoom(viewerMedia);
    try {
      const frames = receiveFrames(viewerRoom, 10);
      const sharing = collectEvents(clientsFor(second.url, token).watch, sessionId, (event) => event.session?.state === SessionState.SHARING);
      const screen = await publishScreen(sharerRoom);
      expect((await sharing).at(-1)?.session?.state).toBe(SessionState.SHARING);
      expect(await frames).toMatchObject({ width: 320, height: 180 });
      await screen.stop();
    } finally {
      await sharerRoom.disconnect();
      await viewerRoom.disconnect();
    }
    const { session: stopped } = await clientsFor(first.url, redeemed.sharerCredential).sharer.stopSharing({ sessionId });
    expect(stopped?.endReason).toBe(EndReason.SHARER_STOPPED);
  }, 60_000);
});
