import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { KeyedLock } from "./lock.js";
import { type Credential, type DueTimer, nextAttemptState, type SessionRecord, type Store } from "./store.js";

const PREFIX = "ss:";
const TIMERS = `${PREFIX}timers`;
const TIMER_EVENTS = `${PREFIX}timer-events`;

// Writes the session only if the stored version is the one the writer read.
const COMPARE_AND_SET = `
local current = redis.call('HGET', KEYS[1], 'version')
if tostring(current) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'record', ARGV[3])
return 1`;

// Removes and returns due timers; ZREM makes each claim exclusive across nodes.
const CLAIM_DUE = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, 100)
local claimed = {}
for i = 1, #due, 2 do
  if redis.call('ZREM', KEYS[1], due[i]) == 1 then
    table.insert(claimed, due[i]); table.insert(claimed, due[i + 1])
    table.insert(claimed, redis.call('HGET', KEYS[2], due[i]) or '')
    redis.call('HDEL', KEYS[2], due[i])
  end
end
return claimed`;

const STRIKE_MEMORY_MS = 24 * 60 * 60_000;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * The shared store: any number of server processes on one Redis serve any RPC and any watch stream, and a restart
 * (even `kill -9`) loses no session, key or timer. Timers sit in one sorted set that every node polls.
 */
export class RedisStore implements Store {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<(message: Uint8Array) => void>>();
  private readonly localLock = new KeyedLock();

  constructor(url: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 3 });
    this.subscriber = new Redis(url, { maxRetriesPerRequest: 3 });
    this.subscriber.on("messageBuffer", (channel: Buffer, message: Buffer) => {
      for (const listener of this.listeners.get(channel.toString()) ?? []) listener(new Uint8Array(message));
    });
  }

  async getInteraction(orgId: string, interactionId: string) {
    const value = await this.redis.getBuffer(`${PREFIX}interaction:${orgId}/${interactionId}`);
    return value ? new Uint8Array(value) : undefined;
  }
  async putInteraction(orgId: string, interactionId: string, interaction: Uint8Array) {
    await this.redis.set(`${PREFIX}interaction:${orgId}/${interactionId}`, Buffer.from(interaction));
  }
  async getSession(id: string) {
    const record = await this.redis.hget(`${PREFIX}session:${id}`, "record");
    return record ? (JSON.parse(record) as SessionRecord) : undefined;
  }
  async createSession(record: SessionRecord, viewerKey: string, interactionKey: string) {
    await this.redis
      .multi()
      .hset(`${PREFIX}session:${record.id}`, "version", String(record.version), "record", JSON.stringify(record))
      .sadd(`${PREFIX}sessions`, record.id)
      .lpush(`${PREFIX}viewer:${viewerKey}`, record.id)
      .lpush(`${PREFIX}isessions:${interactionKey}`, record.id)
      .exec();
  }
  async updateSession(record: SessionRecord) {
    const written = await this.redis.eval(COMPARE_AND_SET, 1, `${PREFIX}session:${record.id}`, String(record.version - 1), String(record.version), JSON.stringify(record));
    return written === 1;
  }
  viewerSessions(viewerKey: string, limit?: number) {
    return this.redis.lrange(`${PREFIX}viewer:${viewerKey}`, 0, limit === undefined ? -1 : limit - 1);
  }
  interactionSessions(interactionKey: string) {
    return this.redis.lrange(`${PREFIX}isessions:${interactionKey}`, 0, -1);
  }
  allSessionIds() {
    return this.redis.smembers(`${PREFIX}sessions`);
  }
  async putKey(orgId: string, hash: string, sessionId: string) {
    const set = await this.redis.set(`${PREFIX}key:${hash}`, sessionId, "NX");
    if (set !== "OK") return false;
    await this.redis.sadd(`${PREFIX}orgkeys:${orgId}`, sessionId);
    return true;
  }
  async getKey(hash: string) {
    return (await this.redis.get(`${PREFIX}key:${hash}`)) ?? undefined;
  }
  async deleteKey(orgId: string, hash: string, sessionId: string) {
    await this.redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 1`, 1, `${PREFIX}key:${hash}`, sessionId);
    await this.redis.srem(`${PREFIX}orgkeys:${orgId}`, sessionId);
  }
  orgKeySessions(orgId: string) {
    return this.redis.smembers(`${PREFIX}orgkeys:${orgId}`);
  }
  async putCredential(token: string, credential: Credential, ttlMs: number) {
    await this.redis.set(`${PREFIX}cred:${token}`, JSON.stringify(credential), "PX", ttlMs);
  }
  async getCredential(token: string) {
    const value = await this.redis.get(`${PREFIX}cred:${token}`);
    return value ? (JSON.parse(value) as Credential) : undefined;
  }
  async deleteCredential(token: string) {
    await this.redis.del(`${PREFIX}cred:${token}`);
  }
  async idempotent(scope: string, ttlMs: number, work: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const key = `${PREFIX}idem:${scope}`;
    if ((await this.redis.set(key, "", "PX", ttlMs, "NX")) === "OK") {
      try {
        const result = await work();
        await this.redis.set(key, Buffer.concat([Buffer.from([1]), Buffer.from(result)]), "PX", ttlMs);
        return result;
      } catch (error) {
        await this.redis.del(key);
        throw error;
      }
    }
    // Another call with this key is under way or done: wait for its result.
    for (let attempt = 0; attempt < 400; attempt++) {
      const value = await this.redis.getBuffer(key);
      if (value === null) return this.idempotent(scope, ttlMs, work);
      if (value.length > 0) return new Uint8Array(value.subarray(1));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error("an earlier call with this idempotency key did not finish");
  }
  async failAttempt(subject: string, limit: number, windowMs: number, now: number) {
    await this.withLock(`limit:${subject}`, async () => {
      const key = `${PREFIX}limit:${subject}`;
      const previous = await this.redis.get(key);
      const state = nextAttemptState(previous ? JSON.parse(previous) : undefined, limit, windowMs, now);
      // Strikes are kept a day past the last block, so pausing does not reset the doubling back-off.
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
    await this.redis.multi().hset(TIMER_EVENTS, member, eventType).zadd(TIMERS, fireAt, member).exec();
  }
  async cancelTimer(sessionId: string, id: string) {
    const member = `${sessionId}|${id}`;
    await this.redis.multi().zrem(TIMERS, member).hdel(TIMER_EVENTS, member).exec();
  }
  async claimDueTimers(now: number): Promise<DueTimer[]> {
    const claimed = (await this.redis.eval(CLAIM_DUE, 2, TIMERS, TIMER_EVENTS, String(now))) as string[];
    const due: DueTimer[] = [];
    for (let index = 0; index < claimed.length; index += 3) {
      const sessionId = (claimed[index] as string).split("|")[0] as string;
      due.push({ sessionId, fireAt: Number(claimed[index + 1]), eventType: claimed[index + 2] as string });
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
  async close() {
    this.redis.disconnect();
    this.subscriber.disconnect();
  }
}
