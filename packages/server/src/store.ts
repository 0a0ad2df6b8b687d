import { lifecycleStateOf, type PersistedSession, type SessionContext } from "@screenshare/machine";

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
  /**
   * Supervisors who asked to observe, in order; the `n`th has the media identity `observer-n-<session>`. Kept
   * outside the machine on purpose: observers never change the lifecycle or the event sequence.
   */
  observers?: ObserverEntry[];
  /** The org's observer policy when the session started: observers visible to the sharer (true) or hidden. */
  observersAnnounced?: boolean;
}

/** One supervisor's observing of a session (times in epoch ms). */
export interface ObserverEntry {
  userId: string;
  startedAt: number;
  /** The media plane's first report of them in the room. */
  joinedAt?: number;
  /** Their latest leaving; cleared when they join again. */
  leftAt?: number;
  /** Their latest connection's SID: only its leaving counts. */
  sid?: string;
  /** When LiveKit created the latest fact applied about them: older facts are ignored. */
  factAt?: number;
}

/**
 * One stored event: `[event type as given to the machine, actor, at (epoch ms), sequence]`, and for a transfer its
 * two viewers (the only event that carries data, so that replaying the history gives each event's viewer).
 */
export type HistoryEntry = [type: string, actor: number, at: number, sequence: number, transfer?: StoredTransfer];

/** The viewers of a transfer, as its history entry keeps them. */
export interface StoredTransfer {
  from: string;
  to: string;
  /** The new viewer's display name, when the platform gave one. */
  toName?: string;
}

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
 * Everything the server keeps. Two implementations: MemoryStore (memory-store.ts: embedded, no setup) and RedisStore
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
   * In the same atomic write: the live list and the count of live sessions by state follow the record's state; with
   * `formerViewerKey` (the index key of the viewer the stored version has, given only when this write moves the
   * session to another viewer: a transfer) the session leaves that index and is listed first in its new viewer's; the record's sharer credential is stored when it appears and revoked when it changes or the session ends (an
   * ended session never keeps one); an ended session expires after {@link Retention.endedSessionMs}.
   */
  updateSession(record: SessionRecord, formerViewerKey?: string): Promise<boolean>;
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
