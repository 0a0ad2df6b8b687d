// Two real `screenshare-server` processes on one Redis, as an operator runs them, and the failures they must
// survive mid-session: a node killed with SIGKILL, Redis killed and restarted, LiveKit killed. Nothing may be lost,
// no agent may be left unable to start a share, and every session must end with the reason its story calls for.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { freePort, type LiveKitHandle, type RedisHandle, startLiveKit, startRedis, waitFor } from "@screenshare/devstack";
import { Channel, EndReason, type SessionEvent, SessionState } from "@screenshare/protocol";
import { clientsFor, collectEvents, sleep, unique } from "@screenshare/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintViewerToken, VIEW_PERMISSION } from "./auth.js";

const TOKENS = { secret: "chaos-viewer-token-secret".padEnd(32, "-"), issuer: "chaos-test", audience: "screenshare" };
const API_KEY = "chaos-integration-api-key".padEnd(32, "-");
/** An unredeemed key expires this soon; redeemed sessions wait far longer for a screen than the test runs. */
const KEY_TTL_S = 6;
/** Media failure detection as configured here: LiveKit checked every second, given 3 s before sessions end. */
const MEDIA_FLAGS = ["--media-check-interval", "1", "--media-outage", "3", "--media-timeout", "1"];

let livekit: LiveKitHandle;
let redis: RedisHandle;
const ports: number[] = [];
const url = (port: number) => `http://127.0.0.1:${port}`;

/** A real `screenshare-server` process on Redis; resolves once it is ready (store and LiveKit reachable). */
async function node(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      resolve(import.meta.dirname, "cli.ts"),
      ...["--port", String(port), "--redis-url", redis.url, "--livekit-url", livekit.url],
      ...["--livekit-api-key", livekit.apiKey, "--livekit-api-secret", livekit.apiSecret],
      ...["--viewer-token-secret", TOKENS.secret, "--integration-api-key", API_KEY],
      ...["--viewer-token-issuer", TOKENS.issuer, "--viewer-token-audience", TOKENS.audience],
      ...["--key-ttl", String(KEY_TTL_S), "--selection-timeout", "300", ...MEDIA_FLAGS],
    ],
    { stdio: "ignore" },
  );
  await ready(port);
  return child;
}

async function ready(port: number): Promise<void> {
  await waitFor(
    `server on ${port}`,
    async () => {
      if ((await fetch(`${url(port)}/readyz`)).status !== 200) throw new Error("not ready");
    },
    30_000,
  );
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGKILL");
  await exited;
}

/** An agent with a voice interaction of their own, registered through any node. */
async function agent() {
  const org = unique("org");
  const user = unique("agent");
  const interactionId = unique("interaction");
  await clientsFor(url(ports[0] as number), API_KEY).platform.registerInteraction({ orgId: org, interactionId, channel: Channel.VOICE, agentUserId: user });
  const token = await mintViewerToken({ ...TOKENS, org, sub: user, permissions: [VIEW_PERMISSION] });
  return { org, interactionId, on: (port: number) => clientsFor(url(port), token) };
}
type Agent = Awaited<ReturnType<typeof agent>>;

/** A voice session of `owner` started on `port`; with `redeem`, its customer has typed the key (on `redeem`). */
async function share(owner: Agent, port: number, redeem?: number) {
  const { session } = await owner.on(port).viewer.startScreenShare({ interactionId: owner.interactionId });
  const sessionId = session?.sessionId ?? "";
  const key = session?.securityKey?.key ?? "";
  const credential =
    redeem === undefined ? "" : (await clientsFor(url(redeem)).sharer.redeemSecurityKey({ orgId: owner.org, securityKey: key })).sharerCredential;
  return { owner, sessionId, key, credential };
}

beforeAll(async () => {
  ports.push(await freePort(), await freePort());
  livekit = await startLiveKit({ webhookUrls: ports.map((port) => `${url(port)}/livekit/webhook`) });
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all([livekit?.stop(), redis?.stop()]);
});

describe("two nodes on one Redis", () => {
  it("serve any RPC and any watch stream: start on one, redeem and watch on the other; one live session per viewer across nodes", async () => {
    const [a, b] = ports as [number, number];
    const nodes = await Promise.all([node(a), node(b)]);
    try {
      const owner = await agent();
      const { sessionId } = await share(owner, a, b);
      const watched = collectEvents(owner.on(b).watch, sessionId);
      await sleep(300);
      await owner.on(a).viewer.cancelScreenShare({ sessionId });
      expect((await watched).map((event) => event.session?.state)).toEqual([
        SessionState.AWAITING_KEY_REDEMPTION,
        SessionState.SELECTING_SCREEN,
        SessionState.ENDED,
      ]);
      const concurrent = await Promise.allSettled(
        Array.from({ length: 10 }, (_, index) => owner.on(ports[index % 2] as number).viewer.startScreenShare({ interactionId: owner.interactionId })),
      );
      expect(concurrent.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    } finally {
      await Promise.all(nodes.map(kill9));
    }
  }, 60_000);

  it("lose nothing, block no agent and end every session rightly through kill -9 of a node, a Redis crash and a LiveKit crash", async () => {
    const [a, b] = ports as [number, number];
    let nodeA = await node(a);
    const nodeB = await node(b);
    const expected = new Map<string, { owner: Agent; reason: keyof typeof EndReason }>();
    const watches: Array<Promise<SessionEvent[]>> = [];
    /** Follows a session on node B, the one that never dies, until it ends. */
    const ended = (story: { owner: Agent; sessionId: string }, withinMs: number) =>
      waitFor(
        `session ${story.sessionId} to end`,
        async () => {
          const { session } = await story.owner.on(b).viewer.getSession({ sessionId: story.sessionId });
          if (session?.state !== SessionState.ENDED) throw new Error(SessionState[session?.state ?? 0]);
        },
        withinMs,
      );
    const follow = (story: { owner: Agent; sessionId: string }, reason: keyof typeof EndReason) => {
      expected.set(story.sessionId, { owner: story.owner, reason });
      watches.push(collectEvents(story.owner.on(b).watch, story.sessionId, undefined, 0n, 90_000));
    };
    try {
      // 1. A node killed mid-session: sessions it started and timers it armed carry on from the other node.
      const cancelled = await share(await agent(), a, b);
      follow(cancelled, "VIEWER_CANCELLED");
      const mediaFailed = await share(await agent(), a, a);
      follow(mediaFailed, "MEDIA_FAILURE");
      const expiring = await share(await agent(), a);
      follow(expiring, "KEY_EXPIRED");
      const redeemedLater = await share(await agent(), a);
      follow(redeemedLater, "MEDIA_FAILURE");
      // Killed while calls to it are in flight.
      const inFlight = Promise.allSettled([
        cancelled.owner.on(a).viewer.getSession({ sessionId: cancelled.sessionId }),
        expiring.owner.on(a).viewer.regenerateSecurityKey({ sessionId: expiring.sessionId }),
      ]);
      await kill9(nodeA);
      await inFlight;
      const { session: keyKept } = await redeemedLater.owner.on(b).viewer.getSession({ sessionId: redeemedLater.sessionId });
      expect(keyKept?.securityKey?.key).toBe(redeemedLater.key);
      await clientsFor(url(b)).sharer.redeemSecurityKey({ orgId: redeemedLater.owner.org, securityKey: redeemedLater.key });
      nodeA = await node(a);
      await cancelled.owner.on(a).viewer.cancelScreenShare({ sessionId: cancelled.sessionId });

      // 2. Redis killed mid-session (appendfsync everysec: writes older than a second survive, two under load) and
      // restarted.
      const stopped = await share(await agent(), b, a);
      follow(stopped, "SHARER_STOPPED");
      const expiringOverRestart = await share(await agent(), b);
      follow(expiringOverRestart, "KEY_EXPIRED");
      await sleep(2_100);
      await redis.restart({ kill: true });
      await Promise.all([ready(a), ready(b)]);
      const { session: survived } = await stopped.owner.on(a).viewer.getSession({ sessionId: stopped.sessionId });
      expect(survived?.state).toBe(SessionState.SELECTING_SCREEN);
      await clientsFor(url(a), stopped.credential).sharer.stopSharing({ sessionId: stopped.sessionId });
      // The timers armed before the crash still fire: both unredeemed keys expire.
      for (const story of [expiring, expiringOverRestart]) await ended(story, KEY_TTL_S * 1_000 + 2_000);

      // 3. LiveKit killed mid-session: live sessions end with MEDIA_FAILURE within the outage bound plus one
      // check, and a start fails fast with UNAVAILABLE instead of hanging.
      const lateShare = await share(await agent(), a, b);
      follow(lateShare, "MEDIA_FAILURE");
      const unavailableAgent = await agent();
      await livekit.kill();
      const began = Date.now();
      const refused = await unavailableAgent
        .on(a)
        .viewer.startScreenShare({ interactionId: unavailableAgent.interactionId })
        .then(
          () => "OK",
          (error: unknown) => Code[ConnectError.from(error).code],
        );
      expect(refused).toBe("Unavailable");
      expect(Date.now() - began).toBeLessThan(3_000);
      await ended(lateShare, 3_000 + 1_000 + 4_000);
      livekit = await startLiveKit({
        port: Number(new URL(livekit.httpUrl).port),
        apiKey: livekit.apiKey,
        apiSecret: livekit.apiSecret,
        webhookUrls: ports.map((port) => `${url(port)}/livekit/webhook`),
      });

      // Every watch stream closed after its final event, with every event in order; every session ended rightly.
      const streams = await Promise.all(watches);
      for (const [index, [sessionId, { owner, reason }]] of [...expected].entries()) {
        const events = streams[index] ?? [];
        const { events: history } = await owner.on(b).viewer.getSessionHistory({ sessionId });
        expect(
          events.map((event) => event.sequence),
          sessionId,
        ).toEqual(history.map((event) => event.sequence));
        expect(EndReason[events.at(-1)?.session?.endReason ?? 0], sessionId).toBe(reason);
      }
      // No agent is blocked: each starts a new share (LiveKit is back), on either node.
      for (const [index, { owner }] of [...expected.values(), { owner: unavailableAgent }].entries()) {
        const port = ports[index % 2] as number;
        const { session } = await owner.on(port).viewer.startScreenShare({ interactionId: owner.interactionId });
        await owner.on(port).viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" });
      }
    } finally {
      await Promise.all([kill9(nodeA), kill9(nodeB)]);
    }
  }, 120_000);
});
