import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { type TimerName, timerEventType } from "@screenshare/machine";
import { Redis } from "ioredis";
import { KeyedLock } from "./lock.js";
import { recordOf, sessionValue } from "./redis-record.js";
import { CLAIM_DUE, COMPARE_AND_SET, DELETE_KEY, EXTEND, INDEXED, RELEASE } from "./redis-scripts.js";
import {
  type Credential,
  DEFAULT_RETENTION,
  type DueTimer,
  indexHorizonMs,
  nextAttemptState,
  type Retention,
  type SessionRecord,
  STRIKE_MEMORY_MS,
  type Store,
  sessionIndexKeys,
  storedState,
} from "./store.js";

const PREFIX = "ss:";
const TIMERS = `${PREFIX}timers`;
const TIMER_EVENTS = `${PREFIX}timer-events`;
const LIVE = `${PREFIX}live`;
const COUNTS = `${PREFIX}live-counts`;
const CREDENTIAL = `${PREFIX}cred:`;

/** First byte of an idempotency record: a call still running (then its owner's token), or its result. */
const IN_FLIGHT = 0;
const RESULT = 1;
/** How long a retry waits for a call with its key that is still running elsewhere before answering UNAVAILABLE. */
const IDEMPOTENT_WAIT_MS = 30_000;

/**
 * The shared store: any number of server processes on one Redis serve any RPC and any watch stream, and a restart
 * (even `kill -9`) loses no session, key or timer. Timers sit in one sorted set that every node polls. Every key
 * that outlives its use expires (see {@link Retention}); live sessions and the keys they need do not.
 */
export class RedisStore implements Store {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<(message: Uint8Array) => void>>();
  private readonly localLock = new KeyedLock();
  private readonly retention: Retention;

  constructor(url: string, retention: Partial<Retention> = {}) {
    this.retention = { ...DEFAULT_RETENTION, ...retention };
    this.redis = new Redis(url, { maxRetriesPerRequest: 3 });
    this.subscriber = new Redis(url, { maxRetriesPerRequest: 3 });
    this.subscriber.on("messageBuffer", (channel: Buffer, message: Buffer) => {
      for (const listener of this.listeners.get(channel.toString()) ?? []) listener(new Uint8Array(message));
    });
  }

  /** Connection errors (Redis down or restarting): ioredis reconnects by itself, commands fail meanwhile. */
  onError(listener: (error: Error) => void): void {
    this.redis.on("error", listener);
    this.subscriber.on("error", listener);
  }

  async getInteraction(orgId: string, interactionId: string) {
    const value = await this.redis.getBuffer(`${PREFIX}interaction:${orgId}/${interactionId}`);
    return value ? new Uint8Array(value) : undefined;
  }
  async putInteraction(orgId: string, interactionId: string, interaction: Uint8Array) {
    await this.redis.set(`${PREFIX}interaction:${orgId}/${interactionId}`, Buffer.from(interaction), "PX", this.retention.interactionMs);
  }
  async getSession(id: string) {
    const value = await this.redis.getBuffer(`${PREFIX}session:${id}`);
    return value ? recordOf(value) : undefined;
  }
  async createSession(record: SessionRecord, viewerKey: string, interactionKey: string) {
    const now = Date.now();
    const horizon = indexHorizonMs(record, this.retention, now);
    const state = storedState(record);
    const transaction = this.redis
      .multi()
      .set(`${PREFIX}session:${record.id}`, sessionValue(record, state, ""))
      .sadd(LIVE, record.id)
      .hincrby(COUNTS, state, 1);
    // Indexes are sorted by start; entries older than any session they could still name are pruned, and an index
    // no session is added to expires with its newest session.
    for (const key of [`${PREFIX}viewer-sessions:${viewerKey}`, `${PREFIX}interaction-sessions:${interactionKey}`]) {
      transaction
        .zadd(key, record.machine.context.createdAt, record.id)
        .zremrangebyscore(key, "-inf", now - horizon)
        .pexpire(key, horizon);
    }
    await exec(transaction);
  }
  async updateSession(record: SessionRecord, formerViewerKey?: string) {
    const state = storedState(record);
    const credential = state === "ended" ? "" : (record.sharerCredential ?? "");
    if (state === "ended") record = { ...record, sharerCredential: undefined };
    const { orgId, deadlines } = record.machine.context;
    const [viewerKey] = sessionIndexKeys(record.machine.context);
    const sharer: Credential = { kind: "sharer", orgId, sessionId: record.id };
    const now = Date.now();
    const written = await this.redis.eval(
      COMPARE_AND_SET,
      4,
      `${PREFIX}session:${record.id}`,
      LIVE,
      COUNTS,
      `${PREFIX}viewer-sessions:${viewerKey}`,
      String(record.version - 1),
      String(record.version),
      sessionValue(record, state, credential),
      state,
      credential,
      JSON.stringify(sharer),
      String(Math.max(1, deadlines.maxDuration - Date.now())),
      String(this.retention.endedSessionMs),
      CREDENTIAL,
      record.id,
      formerViewerKey === undefined ? "" : `${PREFIX}viewer-sessions:${formerViewerKey}`,
      String(now),
      String(indexHorizonMs(record, this.retention, now)),
    );
    return written === 1;
  }
  viewerSessions(viewerKey: string, limit?: number) {
    return this.indexed(`${PREFIX}viewer-sessions:${viewerKey}`, limit);
  }
  interactionSessions(interactionKey: string) {
    return this.indexed(`${PREFIX}interaction-sessions:${interactionKey}`);
  }
  /**
   * A viewer's or interaction's sessions end in the order they started (one live at a time), so they expire in
   * that order too: the newest `limit` that still exist are the newest `limit` entries once expired ones are gone.
   */
  private async indexed(key: string, limit?: number): Promise<string[]> {
    return (await this.redis.eval(INDEXED, 1, key, String(limit === undefined ? -1 : limit - 1), `${PREFIX}session:`)) as string[];
  }
  liveSessionIds() {
    return this.redis.smembers(LIVE);
  }
  async liveSessionCounts() {
    const counts = new Map<string, number>();
    for (const [state, count] of Object.entries(await this.redis.hgetall(COUNTS))) {
      if (Number(count) !== 0) counts.set(state, Number(count));
    }
    return counts;
  }
  async putKey(orgId: string, hash: string, sessionId: string) {
    const set = await this.redis.set(`${PREFIX}key:${hash}`, sessionId, "NX");
    if (set !== "OK") return false;
    await this.redis.hset(`${PREFIX}orgkeyhashes:${orgId}`, hash, sessionId);
    return true;
  }
  async getKey(hash: string) {
    return (await this.redis.get(`${PREFIX}key:${hash}`)) ?? undefined;
  }
  async deleteKey(orgId: string, hash: string, sessionId: string) {
    await this.redis.eval(DELETE_KEY, 2, `${PREFIX}key:${hash}`, `${PREFIX}orgkeyhashes:${orgId}`, sessionId, hash);
  }
  async orgKeySessions(orgId: string) {
    return [...new Set(await this.redis.hvals(`${PREFIX}orgkeyhashes:${orgId}`))];
  }
  async putCredential(token: string, credential: Credential, ttlMs: number) {
    await this.redis.set(`${CREDENTIAL}${token}`, JSON.stringify(credential), "PX", ttlMs);
  }
  async getCredential(token: string) {
    const value = await this.redis.get(`${CREDENTIAL}${token}`);
    return value ? (JSON.parse(value) as Credential) : undefined;
  }
  /**
   * The record of a running call holds its owner's token and lives `inFlightMs` past the owner's last heartbeat,
   * so a node that dies mid-call blocks its key for seconds, not for the retention window.
   */
  async idempotent(scope: string, ttlMs: number, work: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const key = `${PREFIX}idem:${scope}`;
    const { inFlightMs } = this.retention;
    const giveUpAt = Date.now() + IDEMPOTENT_WAIT_MS;
    for (;;) {
      const owner = Buffer.concat([Buffer.from([IN_FLIGHT]), Buffer.from(randomUUID())]);
      if ((await this.redis.set(key, owner, "PX", inFlightMs, "NX")) === "OK") {
        const heartbeat = setInterval(() => {
          // A missed heartbeat only shortens the record's life: at worst a concurrent retry runs the call again.
          this.redis.eval(EXTEND, 1, key, owner, String(inFlightMs)).catch(() => undefined);
        }, inFlightMs / 3);
        let result: Uint8Array;
        try {
          result = await work();
        } catch (error) {
          clearInterval(heartbeat);
          // Not deleting it (Redis unreachable) only delays a retry until the in-flight record lapses.
          await this.redis.eval(RELEASE, 1, key, owner).catch(() => undefined);
          throw error;
        }
        clearInterval(heartbeat);
        await this.redis.set(key, Buffer.concat([Buffer.from([RESULT]), Buffer.from(result)]), "PX", ttlMs);
        return result;
      }
      // Another call with this key is under way or done: wait for its result, or run it here if it vanished.
      const value = await this.redis.getBuffer(key);
      if (value?.[0] === RESULT) return new Uint8Array(value.subarray(1));
      if (value === null) continue;
      if (Date.now() > giveUpAt) {
        throw new ConnectError("an earlier call with this idempotency key is still running; retry later", Code.Unavailable);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  async failAttempt(subject: string, limit: number, windowMs: number, now: number) {
    await this.withLock(`limit:${subject}`, async () => {
      const key = `${PREFIX}limit:${subject}`;
      const previous = await this.redis.get(key);
      const state = nextAttemptState(previous ? JSON.parse(previous) : undefined, limit, windowMs, now);
      await this.redis.set(key, JSON.stringify(state), "PX", Math.max(windowMs, state.blockedUntil - now) + STRIKE_MEMORY_MS);
    });
  }
  async retryAfter(subject: string, now: number) {
    const value = await this.redis.get(`${PREFIX}limit:${subject}`);
    const blockedUntil = value ? (JSON.parse(value) as { blockedUntil: number }).blockedUntil : 0;
    return Math.max(0, blockedUntil - now);
  }
  async scheduleTimer(sessionId: string, id: string, eventType: string, fireAt: number) {
    const member = `${sessionId}|${id}`;
    // Most timers' events are the machine's own name for the timer: those need no entry of their own.
    const transaction = this.redis.multi();
    if (eventType === timerEventType(id as TimerName)) transaction.hdel(TIMER_EVENTS, member);
    else transaction.hset(TIMER_EVENTS, member, eventType);
    await exec(transaction.zadd(TIMERS, fireAt, member));
  }
  async cancelTimer(sessionId: string, id: string) {
    const member = `${sessionId}|${id}`;
    await exec(this.redis.multi().zrem(TIMERS, member).hdel(TIMER_EVENTS, member));
  }
  async claimDueTimers(now: number): Promise<DueTimer[]> {
    const claimed = (await this.redis.eval(CLAIM_DUE, 2, TIMERS, TIMER_EVENTS, String(now))) as string[];
    const due: DueTimer[] = [];
    for (let index = 0; index < claimed.length; index += 3) {
      const member = claimed[index] as string;
      const split = member.indexOf("|");
      const id = member.slice(split + 1);
      due.push({ sessionId: member.slice(0, split), id, fireAt: Number(claimed[index + 1]), eventType: claimed[index + 2] || timerEventType(id as TimerName) });
    }
    return due;
  }
  async publish(channel: string, message: Uint8Array) {
    await this.redis.publish(`${PREFIX}${channel}`, Buffer.from(message));
  }
  async subscribe(channel: string, listener: (message: Uint8Array) => void) {
    const name = `${PREFIX}${channel}`;
    const set = this.listeners.get(name) ?? new Set();
    if (set.size === 0) await this.subscriber.subscribe(name);
    set.add(listener);
    this.listeners.set(name, set);
    return async () => {
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(name);
        await this.subscriber.unsubscribe(name);
      }
    };
  }
  /** A lease in Redis (SET NX PX), released only by its holder; local callers queue first. */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.localLock.run(key, async () => {
      const name = `${PREFIX}lock:${key}`;
      const token = randomUUID();
      for (let attempt = 0; (await this.redis.set(name, token, "PX", 10_000, "NX")) !== "OK"; attempt++) {
        if (attempt > 400) throw new Error(`lock ${key} is held elsewhere`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      try {
        return await work();
      } finally {
        await this.redis.eval(RELEASE, 1, name, token);
      }
    });
  }
  async ping() {
    await this.redis.ping();
  }
  async close() {
    this.redis.disconnect();
    this.subscriber.disconnect();
  }
}

/** Runs a MULTI; a command that failed inside it fails the whole call (ioredis only reports it per command). */
async function exec(transaction: ReturnType<Redis["multi"]>): Promise<void> {
  for (const [error] of (await transaction.exec()) ?? []) if (error) throw error;
}
