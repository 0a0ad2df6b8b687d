import type { PersistedSession } from "@screenshare/machine";
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
}

/** One stored event: `[event type as given to the machine, actor, at (epoch ms), sequence]`. */
export type HistoryEntry = [type: string, actor: number, at: number, sequence: number];

/** A credential a customer presents to SharerService. */
export type Credential =
  | { kind: "sharer"; orgId: string; sessionId: string }
  | { kind: "customer"; orgId: string; interactionId: string; expiresAt: number };

/** A timer that fell due and was claimed by this node. */
export interface DueTimer {
  sessionId: string;
  eventType: string;
  fireAt: number;
}

/**
 * Everything the server keeps. Two implementations: {@link MemoryStore} (embedded, no setup) and RedisStore
 * (several server processes share the load and survive restarts).
 */
export interface Store {
  getInteraction(orgId: string, interactionId: string): Promise<Uint8Array | undefined>;
  putInteraction(orgId: string, interactionId: string, interaction: Uint8Array): Promise<void>;

  getSession(id: string): Promise<SessionRecord | undefined>;
  /** Stores a new session and indexes it by viewer and by interaction. */
  createSession(record: SessionRecord, viewerKey: string, interactionKey: string): Promise<void>;
  /** Writes `record` if its stored version is still `record.version - 1`; false when another write came first. */
  updateSession(record: SessionRecord): Promise<boolean>;
  /** Session ids of a viewer, newest first; at most `limit` of them when given. */
  viewerSessions(viewerKey: string, limit?: number): Promise<string[]>;
  interactionSessions(interactionKey: string): Promise<string[]>;
  /** Every session id (start-up re-arming, metrics). */
  allSessionIds(): Promise<string[]>;

  /** Indexes a live key by its HMAC; false when that key is already live in the org. */
  putKey(orgId: string, hash: string, sessionId: string): Promise<boolean>;
  getKey(hash: string): Promise<string | undefined>;
  deleteKey(orgId: string, hash: string, sessionId: string): Promise<void>;
  /** Sessions of an org that hold a live key. */
  orgKeySessions(orgId: string): Promise<string[]>;

  putCredential(token: string, credential: Credential, ttlMs: number): Promise<void>;
  getCredential(token: string): Promise<Credential | undefined>;
  deleteCredential(token: string): Promise<void>;

  /** Runs `work` once per `scope` within `ttlMs`; concurrent and later calls get the first result. */
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
  close(): Promise<void>;
}

/** The embedded store: everything in this process's memory. */
export class MemoryStore implements Store {
  private readonly interactions = new Map<string, Uint8Array>();
  /** Records as JSON text: as compact as the Redis store's, and a reader can never alias a stored record. */
  private readonly sessions = new Map<string, { version: number; json: string }>();
  /** Session ids, newest first; a lone id is held as itself, since most viewers and interactions have one live. */
  private readonly indexes = new Map<string, string | string[]>();
  private readonly keys = new Map<string, string>();
  private readonly orgKeys = new Map<string, Set<string>>();
  private readonly credentials = new Map<string, { credential: Credential; expiresAt: number }>();
  private readonly results = new Map<string, { expiresAt: number; result: Promise<Uint8Array> }>();
  private readonly limiter = new Map<string, { windowStart: number; failures: number; blockedUntil: number; strikes: number }>();
  private readonly timers = new TimerHeap();
  private readonly channels = new Map<string, Set<(message: Uint8Array) => void>>();
  private readonly lock = new KeyedLock();

  async getInteraction(orgId: string, interactionId: string) {
    return this.interactions.get(`${orgId}/${interactionId}`);
  }
  async putInteraction(orgId: string, interactionId: string, interaction: Uint8Array) {
    this.interactions.set(`${orgId}/${interactionId}`, interaction);
  }
  async getSession(id: string) {
    const stored = this.sessions.get(id);
    return stored && (JSON.parse(stored.json) as SessionRecord);
  }
  async createSession(record: SessionRecord, viewerKey: string, interactionKey: string) {
    this.sessions.set(record.id, { version: record.version, json: JSON.stringify(record) });
    for (const key of [`viewer:${viewerKey}`, `interaction:${interactionKey}`]) {
      const ids = this.indexes.get(key);
      if (ids === undefined) this.indexes.set(key, record.id);
      else if (typeof ids === "string") this.indexes.set(key, [record.id, ids]);
      else ids.unshift(record.id);
    }
  }
  async updateSession(record: SessionRecord) {
    if (this.sessions.get(record.id)?.version !== record.version - 1) return false;
    this.sessions.set(record.id, { version: record.version, json: JSON.stringify(record) });
    return true;
  }
  async viewerSessions(viewerKey: string, limit?: number) {
    return this.indexed(`viewer:${viewerKey}`).slice(0, limit);
  }
  async interactionSessions(interactionKey: string) {
    return this.indexed(`interaction:${interactionKey}`);
  }
  private indexed(key: string): string[] {
    const ids = this.indexes.get(key) ?? [];
    return typeof ids === "string" ? [ids] : [...ids];
  }
  async allSessionIds() {
    return [...this.sessions.keys()];
  }
  async putKey(orgId: string, hash: string, sessionId: string) {
    if (this.keys.has(hash)) return false;
    this.keys.set(hash, sessionId);
    const set = this.orgKeys.get(orgId) ?? new Set();
    set.add(sessionId);
    this.orgKeys.set(orgId, set);
    return true;
  }
  async getKey(hash: string) {
    return this.keys.get(hash);
  }
  async deleteKey(orgId: string, hash: string, sessionId: string) {
    if (this.keys.get(hash) === sessionId) this.keys.delete(hash);
    this.orgKeys.get(orgId)?.delete(sessionId);
  }
  async orgKeySessions(orgId: string) {
    return [...(this.orgKeys.get(orgId) ?? [])];
  }
  async putCredential(token: string, credential: Credential, ttlMs: number) {
    this.credentials.set(token, { credential, expiresAt: Date.now() + ttlMs });
  }
  async getCredential(token: string) {
    const entry = this.credentials.get(token);
    return entry && entry.expiresAt > Date.now() ? entry.credential : undefined;
  }
  async deleteCredential(token: string) {
    this.credentials.delete(token);
  }
  idempotent(scope: string, ttlMs: number, work: () => Promise<Uint8Array>) {
    const known = this.results.get(scope);
    if (known && known.expiresAt > Date.now()) return known.result;
    const result = work();
    this.results.set(scope, { expiresAt: Date.now() + ttlMs, result });
    result.catch(() => this.results.delete(scope));
    return result;
  }
  async failAttempt(subject: string, limit: number, windowMs: number, now: number) {
    this.limiter.set(subject, nextAttemptState(this.limiter.get(subject), limit, windowMs, now));
  }
  async retryAfter(subject: string, now: number) {
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
  async close() {}
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

/**
 * Timers with a min-heap on due time, indexed by session (no key string is built per timer: idle sessions hold
 * two timers each, so this is a large share of an idle session's memory). Cancelled entries leave the heap lazily.
 */
class TimerHeap {
  private readonly bySession = new Map<string, ArmedTimer>();
  private readonly heap: ArmedTimer[] = [];

  set(sessionId: string, id: string, eventType: string, fireAt: number): void {
    this.delete(sessionId, id);
    const timer: ArmedTimer = { sessionId, id, eventType, fireAt, next: this.bySession.get(sessionId) };
    this.bySession.set(sessionId, timer);
    this.heap.push(timer);
    let index = this.heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.at(parent).fireAt <= fireAt) break;
      this.swap(parent, index);
      index = parent;
    }
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
    while (this.heap.length > 0 && this.at(0).fireAt <= now) {
      const top = this.pop();
      if (this.delete(top.sessionId, top.id, top)) {
        due.push({ sessionId: top.sessionId, eventType: top.eventType, fireAt: top.fireAt });
      }
    }
    return due;
  }

  private at(index: number): ArmedTimer {
    return this.heap[index] as ArmedTimer;
  }

  private swap(a: number, b: number): void {
    [this.heap[a], this.heap[b]] = [this.at(b), this.at(a)];
  }

  private pop(): ArmedTimer {
    const top = this.at(0);
    const last = this.heap.pop() as ArmedTimer;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < this.heap.length && this.at(left).fireAt < this.at(smallest).fireAt) smallest = left;
        if (right < this.heap.length && this.at(right).fireAt < this.at(smallest).fireAt) smallest = right;
        if (smallest === index) break;
        this.swap(smallest, index);
        index = smallest;
      }
    }
    return top;
  }
}
