// Every case runs against both stores (embedded and Redis), so the Store contract is checked in one place.
import { type RedisHandle, startRedis } from "@screenshare/devstack";
import { applyEvent, DEFAULT_TIMEOUTS, type PersistedSession, startSession } from "@screenshare/machine";
import { sleep } from "@screenshare/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "./memory-store.js";
import { RedisStore } from "./redis-store.js";
import { type Retention, type SessionRecord, type Store, sessionIndexKeys } from "./store.js";

let redis: RedisHandle;
let redisClient: Redis;
beforeAll(async () => {
  redis = await startRedis();
  redisClient = new Redis(redis.url);
});
afterAll(async () => {
  redisClient?.disconnect();
  await redis?.stop();
});

const opened: Store[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
});

/** Each case runs on both stores; Redis ones on a freshly emptied database. */
const stores: Array<[string, (retention?: Partial<Retention>) => Promise<Store>]> = [
  ["embedded", async (retention) => new MemoryStore(retention)],
  [
    "Redis",
    async (retention) => {
      await redisClient.flushall();
      const store = new RedisStore(redis.url, retention);
      opened.push(store);
      return store;
    },
  ],
];

let sessionCount = 0;
/** A voice session as the engine stores it, just started. */
function started(viewer = "agent", interaction = "i1"): SessionRecord {
  const id = `s${++sessionCount}`;
  const step = startSession({
    sessionId: id,
    orgId: "org",
    interactionId: interaction,
    viewerUserId: viewer,
    channel: "voice",
    timeouts: DEFAULT_TIMEOUTS,
    at: Date.now(),
  });
  return { id, version: 1, machine: step.session, history: [], lastSequence: "0", participants: {} };
}

/** `record` after `type`, one version on. */
function after(record: SessionRecord, type: string, change: Partial<SessionRecord> = {}): SessionRecord {
  const outcome = applyEvent(record.machine, { type, at: Date.now() });
  if (outcome.kind !== "applied") throw new Error(`${type} does not apply`);
  return { ...record, ...change, version: record.version + 1, machine: outcome.step.session as PersistedSession };
}

async function create(store: Store, record: SessionRecord): Promise<SessionRecord> {
  await store.createSession(record, ...sessionIndexKeys(record.machine.context));
  return record;
}

describe.each(stores)("the %s store", (_name, open) => {
  it("fires each armed timer once, in due order; a re-armed id replaces the old timer and a cancelled one never fires", async () => {
    const store = await open();
    await store.scheduleTimer("s1", "lifecycle", "LIFECYCLE", 100);
    await store.scheduleTimer("s1", "max", "MAX", 50);
    await store.scheduleTimer("s2", "lifecycle", "LIFECYCLE", 70);
    await store.scheduleTimer("s3", "lifecycle", "LIFECYCLE", 60);
    await store.scheduleTimer("s1", "lifecycle", "LIFECYCLE", 200);
    await store.cancelTimer("s2", "lifecycle");
    expect(await store.claimDueTimers(40)).toEqual([]);
    expect(await store.claimDueTimers(150)).toEqual([
      { sessionId: "s1", id: "max", eventType: "MAX", fireAt: 50 },
      { sessionId: "s3", id: "lifecycle", eventType: "LIFECYCLE", fireAt: 60 },
    ]);
    expect(await store.claimDueTimers(150)).toEqual([]);
    expect(await store.claimDueTimers(250)).toEqual([{ sessionId: "s1", id: "lifecycle", eventType: "LIFECYCLE", fireAt: 200 }]);
    expect(await store.claimDueTimers(10_000)).toEqual([]);
    // The machine's own timers, one re-armed with its usual event after another event: each fires with its event.
    await store.scheduleTimer("s4", "securityKeyTtl", "SOMETHING_ELSE", 300);
    await store.scheduleTimer("s4", "securityKeyTtl", "TIMEOUT:securityKeyTtl", 300);
    await store.scheduleTimer("s5", "maxSessionDuration", "TIMEOUT:maxSessionDuration", 400);
    if (store instanceof RedisStore) expect(await redisClient.exists("ss:timer-events")).toBe(0);
    expect(await store.claimDueTimers(500)).toEqual([
      { sessionId: "s4", id: "securityKeyTtl", eventType: "TIMEOUT:securityKeyTtl", fireAt: 300 },
      { sessionId: "s5", id: "maxSessionDuration", eventType: "TIMEOUT:maxSessionDuration", fireAt: 400 },
    ]);
  });

  it("lists a viewer's and an interaction's sessions newest first, one or many", async () => {
    const store = await open();
    const a = await create(store, started("agent", "i1"));
    expect(await store.viewerSessions("org/agent")).toEqual([a.id]);
    await sleep(2);
    const b = await create(store, started("agent", "i1"));
    await sleep(2);
    const c = await create(store, started("agent", "i2"));
    expect(await store.viewerSessions("org/agent")).toEqual([c.id, b.id, a.id]);
    expect(await store.viewerSessions("org/agent", 1)).toEqual([c.id]);
    expect(await store.interactionSessions("org/i1")).toEqual([b.id, a.id]);
    expect(await store.interactionSessions("org/i2")).toEqual([c.id]);
    expect(await store.viewerSessions("org/nobody")).toEqual([]);
    // A caller changing the returned list does not change the index.
    (await store.viewerSessions("org/agent")).pop();
    expect(await store.viewerSessions("org/agent")).toEqual([c.id, b.id, a.id]);
  });

  it("moves a transferred session to the top of its new viewer's index in the write that transfers it; a lost write moves nothing", async () => {
    const store = await open();
    const moving = await create(store, started("alex", "i1"));
    await sleep(2);
    // The new viewer's own ended session is newer than the transferred one, which must still come first.
    const own = await create(store, started("bo", "i2"));
    expect(await store.updateSession(after(own, "VIEWER_CANCELLED"))).toBe(true);
    await sleep(2);
    const transfer = applyEvent(moving.machine, { type: "VIEWER_TRANSFERRED", at: Date.now(), toViewerUserId: "bo" });
    if (transfer.kind !== "applied") throw new Error("transfer not applied");
    const moved = { ...moving, version: moving.version + 1, machine: transfer.step.session };
    expect(await store.updateSession({ ...moved, version: moving.version + 5 }, "org/alex")).toBe(false);
    expect(await store.viewerSessions("org/alex")).toEqual([moving.id]);
    expect(await store.updateSession(moved, "org/alex")).toBe(true);
    expect(await store.viewerSessions("org/alex")).toEqual([]);
    expect(await store.viewerSessions("org/bo")).toEqual([moving.id, own.id]);
    expect(await store.viewerSessions("org/bo", 1)).toEqual([moving.id]);
    expect(await store.interactionSessions("org/i1")).toEqual([moving.id]);
    // Later writes of the same viewer leave the indexes as they are.
    expect(await store.updateSession(after(moved, "VIEWER_CANCELLED"))).toBe(true);
    expect(await store.viewerSessions("org/bo")).toEqual([moving.id, own.id]);
    expect(await store.viewerSessions("org/alex")).toEqual([]);
  });

  it("keeps the live list and the live counts by state as sessions change, without reading sessions", async () => {
    const store = await open();
    const first = await create(store, started());
    const second = await create(store, started("other", "i2"));
    expect(new Set(await store.liveSessionIds())).toEqual(new Set([first.id, second.id]));
    expect(await store.liveSessionCounts()).toEqual(new Map([["awaitingKeyRedemption", 2]]));
    expect(await store.updateSession(after(first, "KEY_REDEEMED"))).toBe(true);
    expect(await store.liveSessionCounts()).toEqual(
      new Map([
        ["awaitingKeyRedemption", 1],
        ["selectingScreen", 1],
      ]),
    );
    // A lost compare-and-set changes nothing.
    expect(await store.updateSession(after(first, "VIEWER_CANCELLED"))).toBe(false);
    expect(await store.updateSession(after(second, "VIEWER_CANCELLED"))).toBe(true);
    expect(await store.liveSessionIds()).toEqual([first.id]);
    expect(await store.liveSessionCounts()).toEqual(new Map([["selectingScreen", 1]]));
  });

  it("stores the sharer credential with its record and revokes it in the write that ends the session", async () => {
    const store = await open();
    const record = await create(store, started());
    const redeemed = after(record, "KEY_REDEEMED", { sharerCredential: "shr_one" });
    expect(await store.updateSession(redeemed)).toBe(true);
    expect(await store.getCredential("shr_one")).toEqual({ kind: "sharer", orgId: "org", sessionId: record.id });
    // The race of CancelScreenShare with RedeemSecurityKey: a writer that still holds the credential ends the session.
    const ended = after(redeemed, "VIEWER_CANCELLED");
    expect(ended.sharerCredential).toBe("shr_one");
    expect(await store.updateSession(ended)).toBe(true);
    expect(await store.getCredential("shr_one")).toBeUndefined();
    expect((await store.getSession(record.id))?.sharerCredential).toBeUndefined();
    // And one that adds a credential to an ended record stores none.
    expect(await store.updateSession({ ...ended, version: ended.version + 1, sharerCredential: "shr_late" })).toBe(true);
    expect(await store.getCredential("shr_late")).toBeUndefined();
  });

  it("forgets ended sessions, their indexes, interactions, credentials, idempotency results and limits after their retention; live sessions stay", async () => {
    const store = await open({ endedSessionMs: 300, interactionMs: 300 });
    const live = await create(store, started("stays", "i-live"));
    const gone = await create(store, started("goes", "i-gone"));
    const ended = after(gone, "VIEWER_CANCELLED");
    await store.updateSession(ended);
    // A write after the end (a late fact) keeps the retention the end started.
    expect(await store.updateSession({ ...ended, version: ended.version + 1 })).toBe(true);
    await store.putInteraction("org", "i-gone", new Uint8Array([1]));
    await store.putCredential("cus_x", { kind: "customer", orgId: "org", interactionId: "i-gone", expiresAt: Date.now() + 300 }, 300);
    await store.idempotent("scope", 300, async () => new Uint8Array([7]));
    await store.failAttempt("client:x", 1, 100, Date.now());
    expect(await store.getSession(gone.id)).toBeDefined();
    expect(await store.viewerSessions("org/goes")).toEqual([gone.id]);
    await sleep(450);
    expect(await store.getSession(gone.id)).toBeUndefined();
    expect(await store.viewerSessions("org/goes")).toEqual([]);
    expect(await store.interactionSessions("org/i-gone")).toEqual([]);
    expect(await store.getInteraction("org", "i-gone")).toBeUndefined();
    expect(await store.getCredential("cus_x")).toBeUndefined();
    let ran = 0;
    await store.idempotent("scope", 300, async () => new Uint8Array([++ran]));
    expect(ran).toBe(1);
    expect((await store.getSession(live.id))?.id).toBe(live.id);
    expect(await store.viewerSessions("org/stays")).toEqual([live.id]);
    if (store instanceof MemoryStore) {
      // The limiter keeps strikes a day past a block (STRIKE_MEMORY_MS): one entry; everything else expired is freed.
      expect(store.sizes()).toEqual({ sessions: 1, indexes: 2, interactions: 0, credentials: 0, results: 1, limits: 1 });
    } else {
      const keys = (await redisClient.keys("ss:*")).sort();
      expect(keys).toEqual(
        [
          "ss:idem:scope",
          "ss:interaction-sessions:org/i-live",
          "ss:limit:client:x",
          "ss:live",
          "ss:live-counts",
          `ss:session:${live.id}`,
          "ss:viewer-sessions:org/stays",
        ].sort(),
      );
      // Everything but the live session and the lists the store always keeps carries an expiry.
      for (const key of keys.filter((key) => !["ss:live", "ss:live-counts", `ss:session:${live.id}`].includes(key))) {
        expect(await redisClient.pttl(key), key).toBeGreaterThan(0);
      }
    }
  });

  it("runs an idempotent call once for concurrent callers, and again after a failure", async () => {
    const store = await open();
    let runs = 0;
    const work = async () => {
      runs++;
      await sleep(100);
      return new Uint8Array([runs]);
    };
    const results = await Promise.all([store.idempotent("k", 60_000, work), store.idempotent("k", 60_000, work), store.idempotent("k", 60_000, work)]);
    expect(runs).toBe(1);
    expect(results.map((result) => [...result])).toEqual([[1], [1], [1]]);
    await expect(store.idempotent("failing", 60_000, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect([...(await store.idempotent("failing", 60_000, async () => new Uint8Array([9])))]).toEqual([9]);
  });
});

describe("the embedded store's heaps", () => {
  it("drop cancelled timers and revoked credentials' expiries long before their due time, keeping armed timers", async () => {
    const store = new MemoryStore({ endedSessionMs: 0 });
    const now = Date.now();
    for (let session = 0; session < 50; session++) await store.scheduleTimer(`armed-${session}`, "max", "MAX", now + session);
    // Sessions that end early: their maximum-duration timers are cancelled hours before they would fall due.
    for (let session = 0; session < 5_000; session++) {
      await store.scheduleTimer(`ended-${session}`, "max", "MAX", now + 4 * 60 * 60_000);
      await store.scheduleTimer(`ended-${session}`, "key", "KEY", now + 5 * 60_000);
      await store.scheduleTimer(`ended-${session}`, "key", "KEY", now + 6 * 60_000);
      await store.cancelTimer(`ended-${session}`, "max");
      await store.cancelTimer(`ended-${session}`, "key");
    }
    // Sessions whose sharer credential (kept until the maximum duration) is revoked when they end, and are then
    // forgotten; an interaction whose status changes again and again.
    for (let session = 0; session < 2_000; session++) {
      const record = await create(store, started(`viewer-${session}`, `i-${session}`));
      const redeemed = after(record, "KEY_REDEEMED", { sharerCredential: `shr_${session}` });
      await store.updateSession(redeemed);
      await store.updateSession(after(redeemed, "VIEWER_CANCELLED"));
      await store.putInteraction("org", "i-busy", new Uint8Array([session % 2]));
      expect(await store.getSession(record.id)).toBeUndefined();
    }
    const queued = store.queued();
    expect(queued.timers).toBeLessThanOrEqual(1_024 + 50);
    expect(queued.expiries).toBeLessThanOrEqual(1_024 + 1);
    const due = await store.claimDueTimers(now + 60_000);
    expect(due.map((timer) => timer.sessionId)).toEqual(Array.from({ length: 50 }, (_, session) => `armed-${session}`));
    expect(await store.claimDueTimers(now + 24 * 60 * 60_000)).toEqual([]);
  });
});

describe("the Redis store's idempotency records", () => {
  it("let a retry run again soon after the node running the first call died; concurrent retries wait for one result", async () => {
    await redisClient.flushall();
    const crashed = new RedisStore(redis.url, { inFlightMs: 600 });
    // The first call never finishes: its node dies mid-call (no reply, no heartbeat).
    void crashed.idempotent("start/key-1", 60_000, () => new Promise<Uint8Array>(() => undefined));
    await sleep(100);
    await crashed.close();
    const survivor = new RedisStore(redis.url, { inFlightMs: 600 });
    opened.push(survivor);
    let runs = 0;
    const retry = () =>
      survivor.idempotent("start/key-1", 60_000, async () => {
        runs++;
        await sleep(200);
        return new Uint8Array([42]);
      });
    const began = Date.now();
    const results = await Promise.all([retry(), retry()]);
    expect(results.map((result) => [...result])).toEqual([[42], [42]]);
    expect(runs).toBe(1);
    // Within the in-flight period (plus the retry's own work), not the 24-hour retention.
    expect(Date.now() - began).toBeLessThan(2_000);
  });

  it("keep a slow call's record alive past the in-flight period while its node is working", async () => {
    await redisClient.flushall();
    const store = new RedisStore(redis.url, { inFlightMs: 300 });
    opened.push(store);
    let runs = 0;
    const slow = async () => {
      runs++;
      await sleep(1_000);
      return new Uint8Array([1]);
    };
    const first = store.idempotent("slow", 60_000, slow);
    await sleep(50);
    const second = store.idempotent("slow", 60_000, slow);
    expect([...(await first)]).toEqual([1]);
    expect([...(await second)]).toEqual([1]);
    expect(runs).toBe(1);
  });
});

describe.each(stores)("the %s store's live-key index", (_name, open) => {
  it("keeps a session among the org's keyed sessions when its old key is deleted after its new key was added", async () => {
    const store = await open();
    // What a regeneration does: the new key is indexed, then the old key's deferred delete runs.
    expect(await store.putKey("org", "old-hash", "s1")).toBe(true);
    expect(await store.putKey("org", "new-hash", "s1")).toBe(true);
    await store.deleteKey("org", "old-hash", "s1");
    expect(await store.orgKeySessions("org")).toEqual(["s1"]);
    expect(await store.getKey("old-hash")).toBeUndefined();
    await store.deleteKey("org", "new-hash", "s1");
    expect(await store.orgKeySessions("org")).toEqual([]);
  });
});
