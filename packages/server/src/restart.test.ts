import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { freePort, type LiveKitHandle, type RedisHandle, startLiveKit, startRedis, waitFor } from "@screenshare/devstack";
import { Channel, EndReason, SessionState } from "@screenshare/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintViewerToken, VIEW_PERMISSION } from "./auth.js";
import { clientsFor, sleep, unique } from "./test-harness.js";

const SECRET = "restart-viewer-token-secret";
const API_KEY = "restart-integration-api-key";

let livekit: LiveKitHandle;
let redis: RedisHandle;
const ports: number[] = [];

/** A real `screenshare-server` process on Redis, as an operator runs it. */
async function node(port: number, keyTtlSeconds = 300): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", resolve(import.meta.dirname, "cli.ts"),
    "--port", String(port), "--redis-url", redis.url, "--livekit-url", livekit.url, "--livekit-api-key", livekit.apiKey,
    "--livekit-api-secret", livekit.apiSecret, "--viewer-token-secret", SECRET, "--integration-api-key", API_KEY,
    "--key-ttl", String(keyTtlSeconds)], { stdio: "ignore" });
  await waitFor(`server on ${port}`, async () => {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status !== 200) throw new Error("not healthy");
  });
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGKILL");
  await exited;
}

async function agentOn(port: number, channel = Channel.VOICE) {
  const org = unique("org");
  const agent = unique("agent");
  const interactionId = unique("interaction");
  await clientsFor(`http://127.0.0.1:${port}`, API_KEY).platform.registerInteraction({ orgId: org, interactionId, channel, agentUserId: agent });
  const token = await mintViewerToken({ secret: SECRET, org, sub: agent, permissions: [VIEW_PERMISSION] });
  return { org, interactionId, token, on: (p: number) => clientsFor(`http://127.0.0.1:${p}`, token) };
}

beforeAll(async () => {
  ports.push(await freePort(), await freePort());
  livekit = await startLiveKit({ webhookUrls: ports.map((port) => `http://127.0.0.1:${port}/livekit/webhook`) });
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all([livekit?.stop(), redis?.stop()]);
});

describe("several nodes on one Redis", () => {
  it("serve any RPC and any watch stream: start on one, redeem and watch on the other", async () => {
    const [a, b] = [await node(ports[0] as number), await node(ports[1] as number)];
    try {
      const agent = await agentOn(ports[0] as number);
      const { session } = await agent.on(ports[0] as number).viewer.startScreenShare({ interactionId: agent.interactionId });
      const sessionId = session?.sessionId ?? "";
      const redeemed = await clientsFor(`http://127.0.0.1:${ports[1]}`).sharer.redeemSecurityKey({ orgId: agent.org, securityKey: session?.securityKey?.key ?? "" });
      expect(redeemed.session?.state).toBe(SessionState.SELECTING_SCREEN);
      const watched: SessionState[] = [];
      const watching = (async () => {
        for await (const { event } of agent.on(ports[1] as number).watch.watchSession({ sessionId }, { signal: AbortSignal.timeout(10_000) })) {
          watched.push(event?.session?.state ?? SessionState.UNSPECIFIED);
        }
      })();
      await sleep(300);
      await agent.on(ports[0] as number).viewer.cancelScreenShare({ sessionId });
      await watching;
      expect(watched).toEqual([SessionState.AWAITING_KEY_REDEMPTION, SessionState.SELECTING_SCREEN, SessionState.ENDED]);
      const concurrent = await Promise.allSettled(
        Array.from({ length: 10 }, (_, index) => agent.on(ports[index % 2] as number).viewer.startScreenShare({ interactionId: agent.interactionId })),
      );
      expect(concurrent.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    } finally {
      await Promise.all([kill9(a), kill9(b)]);
    }
  }, 60_000);

  it("fire a session's timers even when the node that armed them died", async () => {
    const [a, b] = [await node(ports[0] as number, 2), await node(ports[1] as number, 2)];
    try {
      const agent = await agentOn(ports[0] as number);
      const { session } = await agent.on(ports[0] as number).viewer.startScreenShare({ interactionId: agent.interactionId });
      await kill9(a);
      await sleep(3_000);
      const { session: after } = await agent.on(ports[1] as number).viewer.getSession({ sessionId: session?.sessionId ?? "" });
      expect(after?.endReason).toBe(EndReason.KEY_EXPIRED);
    } finally {
      await kill9(b);
    }
  }, 60_000);
});

describe("kill -9 and restart", () => {
  it("loses no session, no key and no timer", async () => {
    const port = ports[0] as number;
    let server = await node(port, 4);
    const agent = await agentOn(port);
    const voice = await agent.on(port).viewer.startScreenShare({ interactionId: agent.interactionId });
    const waitingAgent = await agentOn(port);
    const waiting = await waitingAgent.on(port).viewer.startScreenShare({ interactionId: waitingAgent.interactionId });
    await kill9(server);
    server = await node(port, 4);
    try {
      const { session } = await agent.on(port).viewer.getSession({ sessionId: voice.session?.sessionId ?? "" });
      expect(session?.state).toBe(SessionState.AWAITING_KEY_REDEMPTION);
      expect(session?.securityKey?.key).toBe(voice.session?.securityKey?.key);
      const redeemed = await clientsFor(`http://127.0.0.1:${port}`).sharer.redeemSecurityKey({ orgId: agent.org, securityKey: voice.session?.securityKey?.key ?? "" });
      expect(redeemed.session?.state).toBe(SessionState.SELECTING_SCREEN);
      await expect(agent.on(port).viewer.startScreenShare({ interactionId: agent.interactionId })).rejects.toSatisfy(
        (error: unknown) => ConnectError.from(error).code === Code.FailedPrecondition,
      );
      await sleep(4_500);
      const { session: expired } = await waitingAgent.on(port).viewer.getSession({ sessionId: waiting.session?.sessionId ?? "" });
      expect(expired?.endReason).toBe(EndReason.KEY_EXPIRED);
      const { events } = await agent.on(port).viewer.getSessionHistory({ sessionId: voice.session?.sessionId ?? "" });
      expect(events.map((event) => event.sequence)).toEqual([1n, 2n]);
    } finally {
      await kill9(server);
    }
  }, 60_000);
});
