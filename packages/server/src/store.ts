import { lifecycleStateOf, type PersistedSession, type SessionContext } from "@screenshare/machine";
import { KeyedLock } from "./lock.js";

/** A session as the server stores it: plain JSON, the same in every store. */
export interface SessionRecord {
  id: string;
  /** Bumped by every write; writes compare it, so concurrent events on one session are serialised. */
  version: number;
  machine: PersistedSession;
  /**
   * Every event, as what the machine was given: its type, who sent it, when, and its sequence number. Each event's
   * session is rebuilt by replaying these through the machine (it is pure), so history costs a few bytes an event.
   */
  history: HistoryEntry[];
  lastSequence: string;
  /** The security key while one is live (voice, awaiting redemption). */
  securityKey?: { key: string; hash: string; expiresAt: number; attemptsRemaining: number };
  sharerCredential?: string;
  /** The latest LiveKit participant SID per role: a `participant_left` of an older one is a stale fact. */
  participants: { viewer?: string; sharer?: string };
  /**
   * When LiveKit created the latest fact applied per role (epoch ms): a fact about that participant created earlier
   * (delivered late, or replayed) is ignored.
   */
  mediaFactAt?: { viewer?: number; sharer?: number };
  /** When LiveKit created the join of each role's latest SID: a join created earlier never replaces it. */
  joinedAt?: { viewer?: number; sharer?: number };
}

/** One stored event: `[event type as given to the machine, actor, at (epoch ms), sequence]`. */
export type HistoryEntry = [type: string, actor: number, at: number, sequence: number];

/** A credential a customer presents to SharerService. */
export type Credential = { kind: "sharer"; orgId: string; sessionId: string } | { kind: "customer"; orgId: string; interactionId: string; expiresAt: number };

/** A timer that fell due and was claimed by this node. */
export interface DueTimer {
  sessionId: string;
  /** The timer's id within its session: re-arming under it replaces nothing else. */
  id: string;
  eventType: string;
  fireAt: number;
}

/** How long the stores keep what is no longer in use. Every period is configurable; see docs/operations.md. */
export interface Retention {
  /** An ended session, its history and its entries in its viewer's and interaction's lists. Default 30 days. */
  endedSessionMs: number;
  /** An interaction, counted from its last write (registration or status change). Default 30 days. */
  interactionMs: number;
  /**
   * An idempotency record of a call still running, counted from the running node's last heartbeat: a node that
   * died mid-call leaves a record that lapses this soon, and a retry then runs again. Default 10 s.
   */
  inFlightMs: number;
}

const DAY_MS = 24 * 60 * 60_000;

/** See {@link Retention}. */
export const DEFAULT_RETENTION: Retention = { endedSessionMs: 30 * DAY_MS, interactionMs: 30 * DAY_MS, inFlightMs: 10_000 };

/** A rate limiter's strikes are kept this long past the last block, so pausing does not reset the doubling back-off. */
export const STRIKE_MEMORY_MS = DAY_MS;

/** The keys a session is listed under: its viewer's and its interaction's. */
export function sessionIndexKeys(context: Pick<SessionContext, "orgId" | "viewerUserId" | "interactionId">): [viewerKey: string, interactionKey: string] {
  return [`${context.orgId}/${context.viewerUserId}`, `${context.orgId}/${context.interactionId}`];
}

/** The lifecycle state a store files a record under; `ended` sessions are no longer live. */
export const storedState = (record: SessionRecord): string => lifecycleStateOf(record.machine);

/** How long after `now` an index must be kept so that it outlives every session it lists (see {@link Retention}). */
export function indexHorizonMs(record: SessionRecord, retention: Retention, now: number): number {
  return Math.max(0, record.machine.context.deadlines.maxDuration - now) + retention.endedSessionMs;
}

/**
 * Everything the server keeps. Two implementations: {@link MemoryStore} (embedded, no setup) and RedisStore
 * (several server processes share the load and survive restarts).
 */
export interface Store {
  getInteraction(orgId: string, interactionId: string): Promise<Uint8Array | undefined>;
  putInteraction(orgId: string, interactionId: string, interaction: Uint8Array): Promise<void>;

  getSession(id: string): Promise<SessionRecord | undefined>;
  /**
   * Stores a new session, indexes it by viewer and by interaction (keys from {@link sessionIndexKeys}) and lists it
   * as live.
   */
  createSession(record: SessionRecord, viewerKey: string, interactionKey: string): Promise<void>;
  /**
   * Writes `record` if its stored version is still `record.version - 1`; false when another write came first.
   * In the same atomic write: the live list and the count of live sessions by state follow the record's state;
   * the record's sharer credential is stored when it appears and revoked when it changes or the session ends (an
   * ended session never keeps one); an ended session expires after {@link Retention.endedSessionMs}.
   */
  updateSession(record: SessionRecord): Promise<boolean>;
  /** Session ids of a viewer, newest first; at most `limit` of them when given. */
  viewerSessions(viewerKey: string, limit?: number): Promise<string[]>;
  interactionSessions(interactionKey: string): Promise<string[]>;
  /** Ids of the sessions that have not ended (start-up re-arming, media reconciliation). */
  liveSessionIds(): Promise<string[]>;
  /** Live sessions by lifecycle state, kept as sessions change (never counted by reading sessions). */
  liveSessionCounts(): Promise<Map<string, number>>;

  /** Indexes a live key by its HMAC; false when that key is already live in the org. */
  putKey(orgId: string, hash: string, sessionId: string): Promise<boolean>;
  getKey(hash: string): Promise<string | undefined>;
  deleteKey(orgId: string, hash: string, sessionId: string): Promise<void>;
  /** Sessions of an org that hold a live key. */
  orgKeySessions(orgId: string): Promise<string[]>;

  /** Stores a customer credential; sharer credentials live in their session's record (see `updateSession`). */
  putCredential(token: string, credential: Credential, ttlMs: number): Promise<void>;
  getCredential(token: string): Promise<Credential | undefined>;

  /**
   * Runs `work` once per `scope` within `ttlMs`; concurrent and later calls get the first result. A failed call
   * leaves nothing (a retry runs again), and neither does a node that dies mid-call, after
   * {@link Retention.inFlightMs}.
   */
  idempotent(scope: string, ttlMs: number, work: () => Promise<Uint8Array>): Promise<Uint8Array>;

  /** Counts a wrong attempt; see `AttemptLimiter` for the rule. */
  failAttempt(subject: string, limit: number, windowMs: number, now: number): Promise<void>;
  /** Milliseconds until `subject` may try again; 0 when it may now. */
  retryAfter(subject: string, now: number): Promise<number>;

  scheduleTimer(sessionId: string, id: string, eventType: string, fireAt: number): Promise<void>;
  cancelTimer(sessionId: string, id: string): Promise<void>;
  /** Removes and returns timers due by `now`; each is returned to exactly one caller across all nodes. */
  claimDueTimers(now: number): Promise<DueTimer[]>;

  publish(channel: string, message: Uint8Array): Promise<void>;
  subscribe(channel: string, listener: (message: Uint8Array) => void): Promise<() => Promise<void>>;

  /** Runs `work` while holding `key` (across nodes for shared stores). */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Resolves when the store answers; rejects with the reason when it does not (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What expires in the embedded store, each with its own map. */
enum Expiring {
  Session,
  Interaction,
  Credential,
  Result,
  Limit,
}

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
  private readonly expiries = new MinHeap<{ at: number; kind: Expiring; key: string }>((entry) => entry.at);
  private readonly timers = new TimerHeap();
  private readonly channels = new Map<string, Set<(message: Uint8Array) => void>>();
  private readonly lock = new KeyedLock();
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
    for (const key of [`viewer:${viewerKey}`, `interaction:${interactionKey}`]) {
      const ids = this.indexes.get(key);
      if (ids === undefined) this.indexes.set(key, record.id);
      else if (typeof ids === "string") this.indexes.set(key, [record.id, ids]);
      else ids.unshift(record.id);
    }
  }
  async updateSession(record: SessionRecord) {
    const stored = this.sessions.get(record.id);
    if (stored?.version !== record.version - 1) return false;
    const previous = JSON.parse(stored.json) as SessionRecord;
    const state = storedState(record);
    if (state === "ended") record = { ...record, sharerCredential: undefined };
    this.sessions.set(record.id, { version: record.version, json: JSON.stringify(record), state });
    if (previous.sharerCredential && previous.sharerCredential !== record.sharerCredential) this.credentials.delete(previous.sharerCredential);
    if (record.sharerCredential && record.sharerCredential !== previous.sharerCredential) {
      const { orgId, deadlines } = record.machine.context;
      this.credentials.set(record.sharerCredential, { credential: { kind: "sharer", orgId, sessionId: record.id }, expiresAt: deadlines.maxDuration });
      this.later(Expiring.Credential, record.sharerCredential, deadlines.maxDuration - Date.now());
    }
    if (state !== stored.state) {
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
  private count(state: string, change: number): void {
    const count = (this.counts.get(state) ?? 0) + change;
    if (count === 0) this.counts.delete(state);
    else this.counts.set(state, count);
  }
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

  /** Files `key` to expire in `ttlMs`; returns the expiry. */
  private later(kind: Expiring, key: string, ttlMs: number): number {
    const at = Date.now() + ttlMs;
    this.expiries.push({ at, kind, key });
    return at;
  }

  /** Drops every entry whose retention has ended; costs nothing while none has. */
  private expire(now = Date.now()): void {
    for (const { kind, key } of this.expiries.popUntil(now)) {
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
        case Expiring.Interaction:
          if ((this.interactions.get(key)?.expiresAt ?? now) <= now) this.interactions.delete(key);
          break;
        case Expiring.Credential:
          if ((this.credentials.get(key)?.expiresAt ?? now) <= now) this.credentials.delete(key);
          break;
        case Expiring.Result:
          if ((this.results.get(key)?.expiresAt ?? now) <= now) this.results.delete(key);
          break;
        case Expiring.Limit:
          if ((this.limiter.get(key)?.expiresAt ?? now) <= now) this.limiter.delete(key);
          break;
      }
    }
  }
}

/** The rate-limit rule shared by both stores: past the limit, blocked to the window's end; each block doubles. */
export function nextAttemptState(
  previous: { windowStart: number; failures: number; blockedUntil: number; strikes: number } | undefined,
  limit: number,
  windowMs: number,
  now: number,
) {
  const state = previous ? { ...previous } : { windowStart: now, failures: 0, blockedUntil: 0, strikes: 0 };
  if (now - state.windowStart >= windowMs) Object.assign(state, { windowStart: now, failures: 0 });
  state.failures++;
  if (state.failures >= limit) {
    state.strikes++;
    state.blockedUntil = now + windowMs * 2 ** (state.strikes - 1);
    state.windowStart = state.blockedUntil;
    state.failures = 0;
  }
  return state;
}

/** An armed timer; its strings are shared (the session id with the session's entries, the rest with the machine). */
interface ArmedTimer {
  sessionId: string;
  id: string;
  eventType: string;
  fireAt: number;
  /** The session's next armed timer: a session has a few, and a list costs less memory than an array. */
  next: ArmedTimer | undefined;
}

/** A binary min-heap on `priority`. */
class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly priority: (item: T) => number) {}

  push(item: T): void {
    this.items.push(item);
    let index = this.items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.priority(this.at(parent)) <= this.priority(item)) break;
      this.swap(parent, index);
      index = parent;
    }
  }

  /** Removes and returns, in order, every item whose priority is at most `limit`. */
  *popUntil(limit: number): Generator<T> {
    while (this.items.length > 0 && this.priority(this.at(0)) <= limit) yield this.pop();
  }

  private pop(): T {
    const top = this.at(0);
    const last = this.items.pop() as T;
    if (this.items.length > 0) {
      this.items[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < this.items.length && this.priority(this.at(left)) < this.priority(this.at(smallest))) smallest = left;
        if (right < this.items.length && this.priority(this.at(right)) < this.priority(this.at(smallest))) smallest = right;
        if (smallest === index) break;
        this.swap(smallest, index);
        index = smallest;
      }
    }
    return top;
  }

  private at(index: number): T {
    return this.items[index] as T;
  }

  private swap(a: number, b: number): void {
    [this.items[a], this.items[b]] = [this.at(b), this.at(a)];
  }
}

/**
 * Timers on a min-heap by due time, indexed by session (no key string is built per timer: idle sessions hold
 * two timers each, so this is a large share of an idle session's memory). Cancelled entries leave the heap lazily.
 */
class TimerHeap {
  private readonly bySession = new Map<string, ArmedTimer>();
  private readonly heap = new MinHeap<ArmedTimer>((timer) => timer.fireAt);

  set(sessionId: string, id: string, eventType: string, fireAt: number): void {
    this.delete(sessionId, id);
    const timer: ArmedTimer = { sessionId, id, eventType, fireAt, next: this.bySession.get(sessionId) };
    this.bySession.set(sessionId, timer);
    this.heap.push(timer);
  }

  /** Disarms the session's timer `id`; with `only`, just that very timer (not one re-armed under its id). */
  delete(sessionId: string, id: string, only?: ArmedTimer): boolean {
    let previous: ArmedTimer | undefined;
    for (let timer = this.bySession.get(sessionId); timer; previous = timer, timer = timer.next) {
      if (timer.id !== id || (only && timer !== only)) continue;
      if (previous) previous.next = timer.next;
      else if (timer.next) this.bySession.set(sessionId, timer.next);
      else this.bySession.delete(sessionId);
      return true;
    }
    return false;
  }

  takeDue(now: number): DueTimer[] {
    const due: DueTimer[] = [];
    for (const top of this.heap.popUntil(now)) {
      if (this.delete(top.sessionId, top.id, top)) due.push({ sessionId: top.sessionId, id: top.id, eventType: top.eventType, fireAt: top.fireAt });
    }
    return due;
  }
}
