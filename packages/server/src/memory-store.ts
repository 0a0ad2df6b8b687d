import TinyQueue from "tinyqueue";
import { popUntil, retained, TimerHeap } from "./heap.js";
import { KeyedLock } from "./lock.js";
import {
  type Credential,
  DEFAULT_RETENTION,
  nextAttemptState,
  type Retention,
  type SessionRecord,
  STRIKE_MEMORY_MS,
  type Store,
  sessionIndexKeys,
  storedState,
} from "./store.js";

/** What expires in the embedded store, each with its own map. */
enum Expiring {
  Session,
  Interaction,
  Credential,
  Result,
  Limit,
}

/** An entry's expiry, filed when the entry is written. */
interface Expiry {
  at: number;
  kind: Expiring;
  key: string;
}
const byDueTime = (a: Expiry, b: Expiry) => a.at - b.at;

/** Stale expiries tolerated before a rebuild is considered: rebuilding a small heap often gains nothing. */
const STALE_EXPIRIES_MINIMUM = 1_024;

/** The embedded store: everything in this process's memory, each entry dropped when its retention ends. */
export class MemoryStore implements Store {
  private readonly interactions = new Map<string, { expiresAt: number; interaction: Uint8Array }>();
  /** Records as JSON text: as compact as the Redis store's, and a reader can never alias a stored record. */
  private readonly sessions = new Map<string, { version: number; json: string; state: string }>();
  /** Session ids, newest first; a lone id is held as itself, since most viewers and interactions have one live. */
  private readonly indexes = new Map<string, string | string[]>();
  private readonly live = new Set<string>();
  private readonly counts = new Map<string, number>();
  private readonly keys = new Map<string, string>();
  /** Per org, each live key's index and its session: a session briefly holds two while its key is regenerated. */
  private readonly orgKeys = new Map<string, Map<string, string>>();
  private readonly credentials = new Map<string, { credential: Credential; expiresAt: number }>();
  private readonly results = new Map<string, { expiresAt: number; result: Promise<Uint8Array> }>();
  private readonly limiter = new Map<string, { windowStart: number; failures: number; blockedUntil: number; strikes: number; expiresAt: number }>();
  /** Every entry that expires, by due time; an entry written again since is checked against its current expiry. */
  private expiries = new TinyQueue<Expiry>([], byDueTime);
  private readonly timers = new TimerHeap();
  private readonly channels = new Map<string, Set<(message: Uint8Array) => void>>();
  private readonly lock = new KeyedLock();
  /** The map of each kind that expires by its entries' `expiresAt`. */
  private readonly expiring = {
    [Expiring.Interaction]: this.interactions,
    [Expiring.Credential]: this.credentials,
    [Expiring.Result]: this.results,
    [Expiring.Limit]: this.limiter,
  };
  private readonly retention: Retention;

  constructor(retention: Partial<Retention> = {}) {
    this.retention = { ...DEFAULT_RETENTION, ...retention };
  }

  async getInteraction(orgId: string, interactionId: string) {
    this.expire();
    return this.interactions.get(`${orgId}/${interactionId}`)?.interaction;
  }
  async putInteraction(orgId: string, interactionId: string, interaction: Uint8Array) {
    const key = `${orgId}/${interactionId}`;
    this.interactions.set(key, { interaction, expiresAt: this.later(Expiring.Interaction, key, this.retention.interactionMs) });
  }
  async getSession(id: string) {
    this.expire();
    const stored = this.sessions.get(id);
    return stored && (JSON.parse(stored.json) as SessionRecord);
  }
  async createSession(record: SessionRecord, viewerKey: string, interactionKey: string) {
    const state = storedState(record);
    this.sessions.set(record.id, { version: record.version, json: JSON.stringify(record), state });
    this.live.add(record.id);
    this.count(state, 1);
    this.index(`viewer:${viewerKey}`, record.id);
    this.index(`interaction:${interactionKey}`, record.id);
  }
  /** Lists `id` first (newest) under `key`. */
  private index(key: string, id: string): void {
    const ids = this.indexes.get(key);
    if (ids === undefined) this.indexes.set(key, id);
    else if (typeof ids === "string") this.indexes.set(key, [id, ids]);
    else ids.unshift(id);
  }
  async updateSession(record: SessionRecord, formerViewerKey?: string) {
    const stored = this.sessions.get(record.id);
    if (stored?.version !== record.version - 1) return false;
    const previous = JSON.parse(stored.json) as SessionRecord;
    const state = storedState(record);
    if (state === "ended") record = { ...record, sharerCredential: undefined };
    this.sessions.set(record.id, { version: record.version, json: JSON.stringify(record), state });
    if (formerViewerKey !== undefined) {
      this.unindex(`viewer:${formerViewerKey}`, record.id);
      this.index(`viewer:${sessionIndexKeys(record.machine.context)[0]}`, record.id);
    }
    if (previous.sharerCredential && previous.sharerCredential !== record.sharerCredential) this.credentials.delete(previous.sharerCredential);
    if (record.sharerCredential && record.sharerCredential !== previous.sharerCredential) {
      const { orgId, deadlines } = record.machine.context;
      const expiresAt = this.later(Expiring.Credential, record.sharerCredential, deadlines.maxDuration - Date.now());
      this.credentials.set(record.sharerCredential, { credential: { kind: "sharer", orgId, sessionId: record.id }, expiresAt });
    }
    if (state !== stored.state) {
      // Stryker disable next-line all: the live counts feed only the metrics gauge (engine.liveCountsByState)
      if (stored.state !== "ended") this.count(stored.state, -1);
      if (state === "ended") {
        this.live.delete(record.id);
        this.later(Expiring.Session, record.id, this.retention.endedSessionMs);
      } else this.count(state, 1);
    }
    return true;
  }
  async viewerSessions(viewerKey: string, limit?: number) {
    this.expire();
    return this.indexed(`viewer:${viewerKey}`).slice(0, limit);
  }
  async interactionSessions(interactionKey: string) {
    this.expire();
    return this.indexed(`interaction:${interactionKey}`);
  }
  private indexed(key: string): string[] {
    const ids = this.indexes.get(key) ?? [];
    return typeof ids === "string" ? [ids] : [...ids];
  }
  private unindex(key: string, id: string): void {
    const ids = this.indexes.get(key);
    if (ids === id) this.indexes.delete(key);
    else if (Array.isArray(ids)) {
      // Sessions end roughly in the order they started: the oldest, at the end, is the usual one to go.
      const at = ids.lastIndexOf(id);
      if (at >= 0) ids.splice(at, 1);
      if (ids.length === 1) this.indexes.set(key, ids[0] as string);
    }
  }
  async liveSessionIds() {
    return [...this.live];
  }
  async liveSessionCounts() {
    return new Map(this.counts);
  }
  // Stryker disable all: the live counts feed only the metrics gauge (engine.liveCountsByState); no RPC reads them
  private count(state: string, change: number): void {
    const count = (this.counts.get(state) ?? 0) + change;
    if (count === 0) this.counts.delete(state);
    else this.counts.set(state, count);
  }
  // Stryker restore all
  async putKey(orgId: string, hash: string, sessionId: string) {
    if (this.keys.has(hash)) return false;
    this.keys.set(hash, sessionId);
    const live = this.orgKeys.get(orgId) ?? new Map();
    live.set(hash, sessionId);
    this.orgKeys.set(orgId, live);
    return true;
  }
  async getKey(hash: string) {
    return this.keys.get(hash);
  }
  async deleteKey(orgId: string, hash: string, sessionId: string) {
    if (this.keys.get(hash) === sessionId) this.keys.delete(hash);
    const live = this.orgKeys.get(orgId);
    if (live?.get(hash) === sessionId) live.delete(hash);
    // Stryker disable next-line all: drops an org's empty map: memory only (an empty map lists no session)
    if (live?.size === 0) this.orgKeys.delete(orgId);
  }
  async orgKeySessions(orgId: string) {
    return [...new Set(this.orgKeys.get(orgId)?.values())];
  }
  async putCredential(token: string, credential: Credential, ttlMs: number) {
    this.credentials.set(token, { credential, expiresAt: this.later(Expiring.Credential, token, ttlMs) });
  }
  async getCredential(token: string) {
    this.expire();
    const entry = this.credentials.get(token);
    return entry && entry.expiresAt > Date.now() ? entry.credential : undefined;
  }
  idempotent(scope: string, ttlMs: number, work: () => Promise<Uint8Array>) {
    this.expire();
    const known = this.results.get(scope);
    if (known && known.expiresAt > Date.now()) return known.result;
    const result = work();
    this.results.set(scope, { expiresAt: this.later(Expiring.Result, scope, ttlMs), result });
    // A failed call is forgotten so that a retry runs again; the caller gets the failure through `result`.
    result.catch(() => {
      if (this.results.get(scope)?.result === result) this.results.delete(scope);
    });
    return result;
  }
  async failAttempt(subject: string, limit: number, windowMs: number, now: number) {
    const state = nextAttemptState(this.limiter.get(subject), limit, windowMs, now);
    const keepMs = Math.max(windowMs, state.blockedUntil - now) + STRIKE_MEMORY_MS;
    this.limiter.set(subject, { ...state, expiresAt: this.later(Expiring.Limit, subject, keepMs) });
  }
  async retryAfter(subject: string, now: number) {
    this.expire();
    const state = this.limiter.get(subject);
    return state && state.blockedUntil > now ? state.blockedUntil - now : 0;
  }
  async scheduleTimer(sessionId: string, id: string, eventType: string, fireAt: number) {
    this.timers.set(sessionId, id, eventType, fireAt);
  }
  async cancelTimer(sessionId: string, id: string) {
    this.timers.delete(sessionId, id);
  }
  async claimDueTimers(now: number) {
    return this.timers.takeDue(now);
  }
  async publish(channel: string, message: Uint8Array) {
    for (const listener of this.channels.get(channel) ?? []) listener(message);
  }
  async subscribe(channel: string, listener: (message: Uint8Array) => void) {
    const set = this.channels.get(channel) ?? new Set();
    set.add(listener);
    this.channels.set(channel, set);
    return async () => {
      set.delete(listener);
      if (set.size === 0) this.channels.delete(channel);
    };
  }
  withLock<T>(key: string, work: () => Promise<T>) {
    return this.lock.run(key, work);
  }
  async ping() {}
  async close() {}

  /** Entries held, by kind: what retention bounds (tests and benchmarks read it). */
  sizes() {
    this.expire();
    return {
      sessions: this.sessions.size,
      indexes: this.indexes.size,
      interactions: this.interactions.size,
      credentials: this.credentials.size,
      results: this.results.size,
      limits: this.limiter.size,
    };
  }

  /** Entries the store's two heaps hold, stale ones included: what their compaction bounds (tests read it). */
  queued() {
    return { timers: this.timers.entries, expiries: this.expiries.length };
  }

  /**
   * Files `key` to expire in `ttlMs`; returns the expiry, which the caller stores with the entry. An entry written
   * again, or deleted before it expired (a session's sharer credential when it ends, hours before the maximum
   * duration), leaves a stale expiry behind: when stale ones could outnumber current ones, the heap is rebuilt
   * with the current ones only, so stale expiries cannot hold memory until their due time.
   */
  private later(kind: Expiring, key: string, ttlMs: number): number {
    // Stryker disable all: the compaction only frees stale expiries' memory; every expiry is checked against its entry's own when it falls due
    const expiring = this.sessions.size - this.live.size + this.interactions.size + this.credentials.size + this.results.size + this.limiter.size;
    if (this.expiries.length >= STALE_EXPIRIES_MINIMUM && this.expiries.length > 2 * expiring) {
      this.expiries = retained(this.expiries, (entry) => this.current(entry), byDueTime);
    }
    // Stryker restore all
    const at = Date.now() + ttlMs;
    this.expiries.push({ at, kind, key });
    return at;
  }

  /** Whether an expiry is its entry's current one (an ended session has exactly one). */
  private current({ at, kind, key }: Expiry): boolean {
    switch (kind) {
      case Expiring.Session:
        return this.sessions.get(key)?.state === "ended";
      case Expiring.Interaction:
        return this.interactions.get(key)?.expiresAt === at;
      case Expiring.Credential:
        return this.credentials.get(key)?.expiresAt === at;
      case Expiring.Result:
        return this.results.get(key)?.expiresAt === at;
      case Expiring.Limit:
        return this.limiter.get(key)?.expiresAt === at;
    }
  }

  /** Drops every entry whose retention has ended; costs nothing while none has. */
  private expire(now = Date.now()): void {
    for (const { kind, key } of popUntil(this.expiries, (entry) => entry.at, now)) {
      switch (kind) {
        case Expiring.Session: {
          const stored = this.sessions.get(key);
          if (stored?.state !== "ended") break;
          const [viewerKey, interactionKey] = sessionIndexKeys((JSON.parse(stored.json) as SessionRecord).machine.context);
          this.unindex(`viewer:${viewerKey}`, key);
          this.unindex(`interaction:${interactionKey}`, key);
          this.sessions.delete(key);
          break;
        }
        default: {
          // Written again since it was filed: the entry's own expiry decides.
          const entries = this.expiring[kind];
          if ((entries.get(key)?.expiresAt ?? now) <= now) entries.delete(key);
        }
      }
    }
  }
}
