// Long because each fault needs its own setup (a failing store, a paused LiveKit, a restarted Redis) beside its test.
// Faults the server must survive: store failures under timers, an unreachable Redis or LiveKit, a Redis restart,
// and races between parties that end a session and parties that join it.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Channel, EndReason, InteractionSchema, InteractionStatus, SessionState } from "@screenshare/protocol";
import {
  agentWithInteraction,
  clientsFor,
  collectEvents,
  engineOptions,
  memoryMedia,
  type ReferenceStack,
  sleep,
  startReferenceStack,
} from "@screenshare/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EngineLog, SessionEngine, sessionToProto } from "./engine.js";
import { MemoryStore } from "./memory-store.js";
import { createMetrics } from "./metrics.js";
import type { SessionRecord } from "./store.js";

/** The embedded store, with writes and timer arming that fail while told to. */
class FailingStore extends MemoryStore {
  failWrites = 0;
  failArming = 0;
  override async updateSession(record: Parameters<MemoryStore["updateSession"]>[0]) {
    if (this.failWrites > 0 && this.failWrites--) throw new Error("injected store failure: write");
    return super.updateSession(record);
  }
  override async scheduleTimer(sessionId: string, id: string, eventType: string, fireAt: number) {
    if (this.failArming > 0 && this.failArming--) throw new Error("injected store failure: arm timer");
    return super.scheduleTimer(sessionId, id, eventType, fireAt);
  }
}

function recordingLog(): EngineLog & { lines: string[] } {
  const lines: string[] = [];
  const record = (details: object, message: string) => lines.push(`${message} ${String((details as { err?: Error }).err?.message ?? "")}`);
  return { lines, warn: record, error: record, info: () => undefined };
}

describe("a timer whose event could not be applied", () => {
  async function voiceSession(store: FailingStore, log: EngineLog) {
    const options = engineOptions({ timeouts: { securityKeyTtlMs: 200 } });
    const metrics = createMetrics();
    const engine = new SessionEngine(store, options, memoryMedia(), metrics, log);
    await engine.run();
    await engine.interactions.register(
      create(InteractionSchema, { orgId: "org", interactionId: "i", channel: Channel.VOICE, agentUserId: "agent", status: InteractionStatus.CONNECTED }),
    );
    const session = await engine.start("org", "agent", "i");
    return { engine, metrics, sessionId: session.id };
  }

  it("is armed again with back-off until it applies, and each failure is logged with its cause", async () => {
    const store = new FailingStore();
    const log = recordingLog();
    const { engine, metrics, sessionId } = await voiceSession(store, log);
    try {
      store.failWrites = 3;
      await sleep(200 + 100 + 200 + 400 + 300);
      const record = await engine.getSession(sessionId);
      expect(record && sessionToProto(record).endReason).toBe(EndReason.KEY_EXPIRED);
      expect((await metrics.timerRetries.get()).values[0]?.value).toBe(3);
      expect(log.lines.filter((line) => line.includes("injected store failure: write"))).toHaveLength(3);
    } finally {
      await engine.close();
    }
  });

  it("is retried by this node while the store cannot take it back", async () => {
    const store = new FailingStore();
    const log = recordingLog();
    const { engine, sessionId } = await voiceSession(store, log);
    try {
      store.failWrites = 2;
      store.failArming = 2;
      await sleep(200 + 100 + 200 + 300);
      const record = await engine.getSession(sessionId);
      expect(record && sessionToProto(record).endReason).toBe(EndReason.KEY_EXPIRED);
      expect(log.lines.filter((line) => line.includes("injected store failure: arm timer"))).toHaveLength(2);
    } finally {
      await engine.close();
    }
  });
});

describe("media failures nobody reports", () => {
  async function engineWithSessions(count: number) {
    const media = memoryMedia();
    const options = engineOptions({ media: { reconcileIntervalMs: 100, outageMs: 600 } });
    const engine = new SessionEngine(new MemoryStore(), options, media, createMetrics(), recordingLog());
    await engine.run();
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      await engine.interactions.register(
        create(InteractionSchema, {
          orgId: "org",
          interactionId: `i${index}`,
          channel: Channel.CHAT,
          agentUserId: `a${index}`,
          status: InteractionStatus.CONNECTED,
        }),
      );
      ids.push((await engine.start("org", `a${index}`, `i${index}`)).id);
    }
    const reasons = async () => Promise.all(ids.map(async (id) => EndReason[sessionToProto((await engine.getSession(id)) as SessionRecord).endReason]));
    return { engine, media, ids, reasons };
  }

  it("a session whose room vanished ends with MEDIA_FAILURE within one reconciliation interval; the others stay", async () => {
    const { engine, media, ids, reasons } = await engineWithSessions(2);
    try {
      media.rooms.delete(ids[0] as string);
      await sleep(250);
      expect(await reasons()).toEqual(["MEDIA_FAILURE", "UNSPECIFIED"]);
    } finally {
      await engine.close();
    }
  });

  it("while LiveKit is unreachable sessions stay for the outage bound, then all end with MEDIA_FAILURE", async () => {
    const { engine, media, reasons } = await engineWithSessions(2);
    try {
      media.failing = true;
      await sleep(400);
      expect(await reasons()).toEqual(["UNSPECIFIED", "UNSPECIFIED"]);
      await sleep(450);
      expect(await reasons()).toEqual(["MEDIA_FAILURE", "MEDIA_FAILURE"]);
    } finally {
      await engine.close();
    }
  });

  it("a room an ended session left behind is deleted once it is old enough not to be a session being stored", async () => {
    const { engine, media, ids } = await engineWithSessions(2);
    try {
      media.rooms.set("ended-elsewhere", Date.now() - 61_000);
      media.rooms.set("being-stored", Date.now());
      await sleep(250);
      expect([...media.rooms.keys()].sort()).toEqual([...ids, "being-stored"].sort());
    } finally {
      await engine.close();
    }
  });
});

describe("on Redis", () => {
  let stack: ReferenceStack;
  beforeAll(async () => {
    stack = await startReferenceStack({ redis: true, media: { requestTimeoutMs: 500 } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const get = async (path: string) => {
    const response = await fetch(`${stack.server.url}${path}`);
    return { status: response.status, text: await response.text() };
  };

  it("a Redis restart mid-session loses nothing: state, key, credential, history, timers and the viewer's slot", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const redeemed = await clientsFor(stack.server.url).sharer.redeemSecurityKey({ orgId: agent.orgId, securityKey: session?.securityKey?.key ?? "" });
    const sharer = clientsFor(stack.server.url, redeemed.sharerCredential);
    const waiting = await agentWithInteraction(stack, Channel.VOICE);
    const { session: unredeemed } = await waiting.viewer.viewer.startScreenShare({ interactionId: waiting.interactionId });
    // A stream open across the restart still gets every event and closes after the last.
    const watched = collectEvents(agent.viewer.watch, sessionId, undefined, 0n, 20_000);
    // A crash (kill -9) with appendfsync everysec keeps every write older than a second; Redis may put an fsync off
    // by up to another second while the disk is busy, hence two.
    await sleep(2_100);
    await stack.redis?.restart({ kill: true });
    await waitUntilReady();
    const { session: after } = await agent.viewer.viewer.getSession({ sessionId });
    expect(after?.state).toBe(SessionState.SELECTING_SCREEN);
    expect((await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media?.transport.case).toBe("livekit");
    const { session: stillWaiting } = await waiting.viewer.viewer.getSession({ sessionId: unredeemed?.sessionId ?? "" });
    expect(stillWaiting?.securityKey?.key).toBe(unredeemed?.securityKey?.key);
    await expect(agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId })).rejects.toSatisfy(
      (error: unknown) => ConnectError.from(error).code === Code.FailedPrecondition,
    );
    await agent.viewer.viewer.cancelScreenShare({ sessionId });
    const states = (events: Awaited<typeof watched>) => events.map((event) => SessionState[event.session?.state ?? 0]);
    expect(states(await collectEvents(agent.viewer.watch, sessionId))).toEqual(["AWAITING_KEY_REDEMPTION", "SELECTING_SCREEN", "ENDED"]);
    expect(states(await watched)).toEqual(["AWAITING_KEY_REDEMPTION", "SELECTING_SCREEN", "ENDED"]);
    await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
  }, 30_000);

  async function waitUntilReady() {
    for (let attempt = 0; attempt < 100 && (await get("/readyz")).status !== 200; attempt++) await sleep(100);
  }

  it("health stays up, readiness fails and metrics keep answering while Redis is down; readiness returns after", async () => {
    expect(await get("/readyz")).toEqual({ status: 200, text: "ready\n" });
    await stack.redis?.kill();
    try {
      expect(await get("/healthz")).toEqual({ status: 200, text: "ok\n" });
      const ready = await get("/readyz");
      expect(ready.status).toBe(503);
      expect(ready.text).toMatch(/^not ready: store unreachable/);
      // Scraped twice: a rejected store read used to be unhandled and took the process down.
      for (let scrape = 0; scrape < 2; scrape++) {
        const metrics = await get("/metrics");
        expect(metrics.status).toBe(200);
        expect(metrics.text).toContain("screenshare_rpc_duration_seconds");
        expect(metrics.text).not.toMatch(/^screenshare_sessions\{/m);
      }
    } finally {
      await stack.redis?.restart();
    }
    await waitUntilReady();
    expect((await get("/readyz")).status).toBe(200);
  }, 30_000);

  it("metrics count live sessions by state from counters, across states", async () => {
    const before = liveCount((await get("/metrics")).text, "AWAITING_KEY_REDEMPTION");
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    expect(liveCount((await get("/metrics")).text, "AWAITING_KEY_REDEMPTION")).toBe(before + 1);
    await agent.viewer.viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" });
    expect(liveCount((await get("/metrics")).text, "AWAITING_KEY_REDEMPTION")).toBe(before);
    expect((await get("/metrics")).text).not.toContain('screenshare_sessions{state="ENDED"}');
  });

  it("readiness fails while LiveKit is unreachable", async () => {
    const paused = stack.livekit.pause();
    try {
      const ready = await get("/readyz");
      expect(ready.status).toBe(503);
      expect(ready.text).toMatch(/LiveKit unreachable/);
    } finally {
      await paused.resume();
    }
    expect((await get("/readyz")).status).toBe(200);
  });
});

function liveCount(metrics: string, state: string): number {
  return Number(new RegExp(`^screenshare_sessions\\{state="${state}"\\} (\\d+)$`, "m").exec(metrics)?.[1] ?? Number.NaN);
}

describe.each([
  ["embedded", false],
  ["Redis", true],
])("the sharer credential on the %s store", (_name, redis) => {
  let stack: ReferenceStack;
  beforeAll(async () => {
    // A redeem that comes after the cancel counts as a wrong key: the race would soon hit the rate limit.
    stack = await startReferenceStack({ redis, limits: { redeemAttemptsPerClient: 1_000, redeemAttemptsPerOrg: 1_000 } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("never outlives its session when CancelScreenShare races RedeemSecurityKey", async () => {
    const rounds = 20;
    let alive = 0;
    for (let round = 0; round < rounds; round++) {
      const agent = await agentWithInteraction(stack, Channel.VOICE);
      const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
      const sessionId = session?.sessionId ?? "";
      const [redeemed] = await Promise.allSettled([
        clientsFor(stack.server.url).sharer.redeemSecurityKey({ orgId: agent.orgId, securityKey: session?.securityKey?.key ?? "" }),
        sleep(round % 4).then(() => agent.viewer.viewer.cancelScreenShare({ sessionId })),
      ]);
      const { session: ended } = await agent.viewer.viewer.getSession({ sessionId });
      expect(ended?.state).toBe(SessionState.ENDED);
      // Losing the race is a key no longer live, as RedeemSecurityKey documents it.
      if (redeemed.status === "rejected") expect(Code[ConnectError.from(redeemed.reason).code]).toBe("NotFound");
      if (redeemed.status !== "fulfilled") continue;
      const sharer = clientsFor(stack.server.url, redeemed.value.sharerCredential);
      const used = await sharer.sharer.getSharerMediaJoinInfo({ sessionId }).then(
        () => "accepted",
        (error: unknown) => Code[ConnectError.from(error).code],
      );
      if (used !== "Unauthenticated") alive++;
    }
    expect(alive).toBe(0);
  }, 60_000);

  it("lets a StopSharing retry with the same key return the first result after the session ended, and nobody else", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const redeemed = await clientsFor(stack.server.url).sharer.redeemSecurityKey({ orgId: agent.orgId, securityKey: session?.securityKey?.key ?? "" });
    const sharer = clientsFor(stack.server.url, redeemed.sharerCredential).sharer;
    const first = await sharer.stopSharing({ sessionId, idempotencyKey: "stop-1" });
    expect(EndReason[first.session?.endReason ?? 0]).toBe("SHARER_STOPPED");
    const retry = await sharer.stopSharing({ sessionId, idempotencyKey: "stop-1" });
    expect(retry.session).toEqual(first.session);
    const codeOf = (call: Promise<unknown>) =>
      call.then(
        () => "OK",
        (error: unknown) => Code[ConnectError.from(error).code],
      );
    // A new key is a new call, and the credential died with the session.
    expect(await codeOf(sharer.stopSharing({ sessionId, idempotencyKey: "stop-2" }))).toBe("Unauthenticated");
    // The same key without the credential gets nothing.
    expect(await codeOf(clientsFor(stack.server.url, "shr_someone-else").sharer.stopSharing({ sessionId, idempotencyKey: "stop-1" }))).toBe("Unauthenticated");
  });

  it("closes a WatchSession resumed at the last sequence of an ended session at once", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const { session: ended } = await agent.viewer.viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" });
    const began = Date.now();
    const events = await collectEvents(agent.viewer.watch, ended?.sessionId ?? "", undefined, ended?.lastSequence ?? 0n, 5_000);
    expect(events).toEqual([]);
    expect(Date.now() - began).toBeLessThan(1_000);
  });
});
