// Long because it is the one way to the store: each public method is one domain operation (start, commands, facts,
// keys, credentials, transfer, interaction status); background work lives in timer-runner.ts and media-sync.ts.
import { randomUUID } from "node:crypto";
import { create, type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { isLive, PROTO_SESSION_STATE, startSession } from "@screenshare/machine";
import {
  Actor,
  type Interaction,
  InteractionStatus,
  LiveSessionConflictSchema,
  type MediaJoinInfo,
  Channel as ProtoChannel,
  RedeemSecurityKeyResponseSchema,
  type Session,
  type SessionEvent,
  SessionEventSchema,
  type SessionState,
  type WatchInvitationsResponse,
  WatchInvitationsResponseSchema,
} from "@screenshare/protocol";
import type { WebhookEvent } from "livekit-server-sdk";
import { observersAnnouncedIn, type ResolvedOptions } from "./config.js";
import { Credentials } from "./credentials.js";
import { once } from "./idempotency.js";
import { Interactions } from "./interactions.js";
import { identityOf, joinInfoOf, type MediaPlane } from "./media.js";
import { MediaSync } from "./media-sync.js";
import type { Metrics } from "./metrics.js";
import { Observers } from "./observers.js";
import { type PartyCommand, refusal } from "./refusal.js";
import { SecurityKeys } from "./security-keys.js";
import { sessionToProto } from "./session-view.js";
import { SessionWriter } from "./session-writer.js";
import { type SessionRecord, type Store, sessionIndexKeys } from "./store.js";
import { TimerRunner } from "./timer-runner.js";

export { identityOf, type MediaPlane } from "./media.js";
export { sessionToProto, viewerSessionToProto } from "./session-view.js";
export type { Credential, SessionRecord } from "./store.js";

const interactionLock = (orgId: string, interactionId: string) => `interaction:${orgId}/${interactionId}`;
const viewerLock = (orgId: string, viewerUserId: string) => `viewer:${orgId}/${viewerUserId}`;

/** What a transfer did: the interaction, and its live sessions that followed it or ended. */
export interface TransferResult {
  interaction: Interaction;
  transferredSessions: Session[];
  endedSessions: Session[];
}

/** Where the engine reports failures of work no caller waits for (pino's signature). */
export interface EngineLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
  info(details: object, message: string): void;
}

/** Warnings and errors to stderr, for an engine run without the server's logger (benchmarks, tests). */
export const stderrLog: EngineLog = {
  warn: (details, message) => console.error(message, details),
  error: (details, message) => console.error(message, details),
  info: () => undefined,
};

/**
 * Runs sessions, and is the only way to the store: every domain rule (keys, credentials, interactions, media
 * facts) sits behind it. Every state change goes through the lifecycle machine's `applyEvent` and is written by
 * {@link SessionWriter} (compare-and-set, effects prepared and undone or run after the write); timers are armed
 * in the store, where any node's {@link TimerRunner} may fire them; {@link MediaSync} turns the media plane's
 * webhooks and rooms into facts.
 */
export class SessionEngine {
  readonly interactions: Interactions;
  readonly credentials: Credentials;
  readonly observers: Observers;
  private readonly keys: SecurityKeys;
  private readonly writer: SessionWriter;
  private readonly timers: TimerRunner;
  private readonly mediaSync: MediaSync;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly media: MediaPlane,
    metrics: Metrics,
    log: EngineLog = stderrLog,
  ) {
    this.interactions = new Interactions(store);
    this.credentials = new Credentials(store, options);
    this.keys = new SecurityKeys(store, options, metrics, { get: (id) => this.getSession(id), update: (id, change) => this.writer.update(id, change) });
    this.writer = new SessionWriter(store, options, media, metrics, this.keys, log);
    this.observers = new Observers(options, media, (id, change) => this.writer.update(id, change));
    this.timers = new TimerRunner(store, metrics, log, (timer) => this.fact(timer.sessionId, timer.eventType, Actor.TIMER, timer.fireAt));
    this.mediaSync = new MediaSync(
      store,
      options,
      media,
      metrics,
      log,
      this.writer,
      (sessionId, type, actor) => this.fact(sessionId, type, actor),
      this.observers,
    );
  }

  /** Re-arms every live session's timers from its deadlines (after a restart), then fires timers as they fall due. */
  async run(): Promise<void> {
    await this.timers.start();
    this.mediaSync.start();
  }

  async close(): Promise<void> {
    this.timers.close();
    this.mediaSync.close();
  }

  /** Runs `work` once per scope and idempotency key; see {@link once}. */
  idempotent<Schema extends DescMessage>(scope: string, idempotencyKey: string, schema: Schema, work: () => Promise<MessageShape<Schema>>) {
    return once(this.store, this.options.limits.idempotencyRetentionMs, scope, idempotencyKey, schema, work);
  }

  /**
   * Starts a session for the viewer on their connected interaction; at most one live session per viewer. Under the
   * interaction's lock, so a transfer of the interaction never misses a session started while it runs.
   */
  start(orgId: string, viewerUserId: string, interactionId: string): Promise<SessionRecord> {
    return this.store.withLock(interactionLock(orgId, interactionId), () => this.startLocked(orgId, viewerUserId, interactionId));
  }

  private async startLocked(orgId: string, viewerUserId: string, interactionId: string): Promise<SessionRecord> {
    const interaction = await this.interactions.forShare(orgId, viewerUserId, interactionId);
    return this.store.withLock(viewerLock(orgId, viewerUserId), async () => {
      const live = await this.liveSessionOf(orgId, viewerUserId);
      if (live && !this.options.faults.has("allow-second-session")) {
        throw new ConnectError(
          `viewer already has a live session ${live.id}: end it (CancelScreenShare or LeaveSession) or resume it (ResumeSession)`,
          Code.FailedPrecondition,
          undefined,
          [{ desc: LiveSessionConflictSchema, value: create(LiveSessionConflictSchema, { sessionId: live.id }) }],
        );
      }
      const id = randomUUID();
      const at = Date.now();
      const step = startSession({
        sessionId: id,
        orgId,
        interactionId: interaction.interactionId,
        viewerUserId,
        channel: interaction.channel === ProtoChannel.VOICE ? "voice" : "chat",
        timeouts: this.options.timeouts,
        at,
      });
      const record: SessionRecord = {
        id,
        version: 1,
        machine: step.session,
        history: [],
        lastSequence: "0",
        participants: {},
        observersAnnounced: observersAnnouncedIn(this.options.observerPolicy, orgId),
      };
      try {
        await this.media.createRoom(id, this.options.timeouts.maxSessionDurationMs);
      } catch (error) {
        throw new ConnectError(
          `the media plane could not create the session's room (${(error as Error).message}); retry later`,
          Code.Unavailable,
          undefined,
          undefined,
          error,
        );
      }
      await this.writer.create(record, step, Actor.VIEWER, at, ...sessionIndexKeys(step.session.context));
      return record;
    });
  }

  /** Applies a party's command. Rejected commands answer FAILED_PRECONDITION saying what the party can do instead. */
  command(sessionId: string, type: PartyCommand, actor: Actor): Promise<SessionRecord> {
    return this.writer.transition(sessionId, type, actor, Date.now(), (record) => {
      throw refusal(record, type);
    });
  }

  /** Applies a fact from the media plane or a timer; where it no longer applies it is ignored. */
  async fact(sessionId: string, type: string, actor: Actor, at = Date.now()): Promise<void> {
    await this.writer
      .transition(sessionId, type, actor, at, () => undefined)
      .catch((error) => {
        if (!(error instanceof ConnectError && error.code === Code.NotFound)) throw error;
      });
  }

  /** Applies a verified LiveKit webhook; see {@link MediaSync.mediaEvent}. */
  mediaEvent(event: WebhookEvent, rememberMs: number): Promise<"applied" | "replayed"> {
    return this.mediaSync.mediaEvent(event, rememberMs);
  }

  /** How `role` joins the live session's media room. */
  async joinInfo(role: "viewer" | "sharer", record: SessionRecord): Promise<MediaJoinInfo> {
    if (!isLive(record.machine)) throw new ConnectError(`session ${record.id} has ended; start a new one`, Code.FailedPrecondition);
    return joinInfoOf(this.media, record.id, await this.media.token(role, record.id, record.machine.context.transfers ?? 0));
  }

  /** Redeems a typed security key for the sharer: the session moves on and its sharer credential is issued. */
  redeemKey(orgId: string, typed: string, clientAddress: string, idempotencyKey: string) {
    return this.keys.redeem(orgId, typed, clientAddress, idempotencyKey, async (record) => {
      try {
        const redeemed = record.securityKey ? await this.command(record.id, "KEY_REDEEMED", Actor.SHARER) : record;
        return create(RedeemSecurityKeyResponseSchema, {
          session: sessionToProto(redeemed),
          sharerCredential: await this.sharerCredential(record.id),
        });
      } catch (error) {
        // The agent ended the session while its key was being redeemed: to the customer, a key no longer live.
        if (error instanceof ConnectError && error.code === Code.FailedPrecondition) {
          throw new ConnectError("the screen share of this security key has ended: ask the agent for a new one", Code.NotFound, undefined, undefined, error);
        }
        throw error;
      }
    });
  }

  /**
   * The session's sharer credential, issued on first use. The store keeps it with the record, so it dies in the
   * very write that ends the session; an ended session has none: FAILED_PRECONDITION.
   */
  async sharerCredential(sessionId: string): Promise<string> {
    const token = this.credentials.newSharerToken();
    const record = await this.writer.update(sessionId, (next) => {
      if (next.sharerCredential || !isLive(next.machine)) return false;
      next.sharerCredential = token;
      return true;
    });
    if (!record?.sharerCredential) throw new ConnectError(`session ${sessionId} has ended; ask the agent to start a new screen share`, Code.FailedPrecondition);
    return record.sharerCredential;
  }

  /**
   * The viewer's live session: the busy slot is derived from session state, never stored. Only the newest session
   * can be live: starts are serialised per viewer and refused while one is live, and an ended session never
   * comes back, so this reads one record however long the viewer's history is.
   */
  async liveSessionOf(orgId: string, viewerUserId: string): Promise<SessionRecord | undefined> {
    const [record] = await Promise.all((await this.store.viewerSessions(`${orgId}/${viewerUserId}`, 1)).map((id) => this.store.getSession(id)));
    return record && isLive(record.machine) ? record : undefined;
  }

  /** Ids of the viewer's sessions, newest first. */
  async sessionsOfViewer(orgId: string, viewerUserId: string): Promise<string[]> {
    return this.store.viewerSessions(`${orgId}/${viewerUserId}`);
  }

  async liveSessionsOn(orgId: string, interactionId: string): Promise<SessionRecord[]> {
    const records = await Promise.all((await this.store.interactionSessions(`${orgId}/${interactionId}`)).map((id) => this.store.getSession(id)));
    return records.filter((record): record is SessionRecord => !!record && isLive(record.machine));
  }

  /** The org's live sessions, newest first. Reads every live session of the server: fine for a reference server's scale. */
  async liveSessionsOfOrg(orgId: string): Promise<SessionRecord[]> {
    const records = await Promise.all((await this.store.liveSessionIds()).map((id) => this.store.getSession(id)));
    return records
      .filter((record): record is SessionRecord => !!record && record.machine.context.orgId === orgId && isLive(record.machine))
      .sort((a, b) => b.machine.context.createdAt - a.machine.context.createdAt || a.id.localeCompare(b.id));
  }

  /** A session of `orgId`, or NOT_FOUND: sessions of other orgs are indistinguishable from missing ones. */
  async sessionInOrg(sessionId: string, orgId: string): Promise<SessionRecord> {
    const record = await this.store.getSession(sessionId);
    if (!record || record.machine.context.orgId !== orgId) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return record;
  }

  async getSession(sessionId: string): Promise<SessionRecord | undefined> {
    return this.store.getSession(sessionId);
  }

  /** Calls `listener` with each new event of a session, from any node, until the returned function is called. */
  subscribe(sessionId: string, listener: (event: SessionEvent) => void): Promise<() => Promise<void>> {
    return this.store.subscribe(`session:${sessionId}`, (bytes) => listener(fromBinary(SessionEventSchema, bytes)));
  }

  /** Calls `listener` with each new or withdrawn invitation on a chat until the returned function is called. */
  subscribeInvitations(orgId: string, interactionId: string, listener: (change: WatchInvitationsResponse) => void): Promise<() => Promise<void>> {
    return this.store.subscribe(`invitations:${orgId}/${interactionId}`, (bytes) => listener(fromBinary(WatchInvitationsResponseSchema, bytes)));
  }

  /** Live sessions by protocol state, for metrics: counters the store keeps as sessions change, never a scan. */
  async liveCountsByState(): Promise<Map<SessionState, number>> {
    const counts = new Map<SessionState, number>();
    for (const [state, count] of await this.store.liveSessionCounts()) {
      const protoState = PROTO_SESSION_STATE[state as keyof typeof PROTO_SESSION_STATE];
      if (protoState !== undefined) counts.set(protoState, (counts.get(protoState) ?? 0) + count);
    }
    return counts;
  }

  /** Resolves when the store answers (readiness). */
  pingStore(): Promise<void> {
    return this.store.ping();
  }

  /**
   * Moves the interaction to `toAgentUserId` and its live sessions with it (see InteractionService.TransferInteraction).
   * Safe to repeat: a session already with the new agent is not moved again, but its former viewer is removed from
   * the media room again, so a retry after an UNAVAILABLE finishes what the first call began.
   */
  transfer(orgId: string, interactionId: string, toAgentUserId: string, toAgentDisplayName: string): Promise<TransferResult> {
    return this.store.withLock(interactionLock(orgId, interactionId), async () => {
      const interaction = await this.interactions.transfer(orgId, interactionId, toAgentUserId);
      const result: TransferResult = { interaction, transferredSessions: [], endedSessions: [] };
      for (const live of await this.liveSessionsOn(orgId, interactionId)) {
        const record = await this.store.withLock(viewerLock(orgId, toAgentUserId), () => this.transferSession(live, toAgentUserId, toAgentDisplayName));
        // Listed when it is the new agent's by a transfer: moved now, or by an earlier call that this one repeats.
        if (isLive(record.machine) && record.machine.context.viewerUserId === toAgentUserId && record.machine.context.transfers) {
          await this.evictFormerViewer(record);
          result.transferredSessions.push(sessionToProto(record));
        } else if (record.machine.context.endReason === "TRANSFER_TARGET_BUSY") {
          result.endedSessions.push(sessionToProto(record));
        }
      }
      return result;
    });
  }

  /** One session's part of a transfer, under the new viewer's lock: it follows, or it ends when they are busy. */
  private async transferSession(record: SessionRecord, toViewerUserId: string, toViewerDisplayName: string): Promise<SessionRecord> {
    if (record.machine.context.viewerUserId === toViewerUserId) return record;
    const busy = await this.liveSessionOf(record.machine.context.orgId, toViewerUserId);
    // A session that ended meanwhile is not moved (the machine rejects it); it is returned as it is.
    const notApplied = () => undefined;
    if (busy) return this.writer.transition(record.id, "TRANSFER_TARGET_BUSY", Actor.PLATFORM, Date.now(), notApplied);
    return this.writer.transition(record.id, "VIEWER_TRANSFERRED", Actor.PLATFORM, Date.now(), notApplied, {
      toViewerUserId,
      ...(toViewerDisplayName && { toViewerDisplayName }),
    });
  }

  /** Removes the viewer a session was last transferred away from from its media room; UNAVAILABLE when LiveKit does not. */
  private async evictFormerViewer(record: SessionRecord): Promise<void> {
    const transfers = record.machine.context.transfers ?? 0;
    if (transfers === 0) return;
    try {
      await this.media.removeParticipant(record.id, identityOf("viewer", record.id, transfers - 1));
    } catch (error) {
      throw new ConnectError(
        `the session followed the interaction, but its former viewer could not be removed from the media room (${(error as Error).message}); retry TransferInteraction`,
        Code.Unavailable,
        undefined,
        undefined,
        error,
      );
    }
  }

  /** Marks an interaction, ending its live sessions when it disconnects. */
  setInteractionStatus(orgId: string, interactionId: string, status: InteractionStatus): Promise<{ interaction: Interaction; endedSessions: Session[] }> {
    return this.store.withLock(interactionLock(orgId, interactionId), () => this.setInteractionStatusLocked(orgId, interactionId, status));
  }

  private async setInteractionStatusLocked(
    orgId: string,
    interactionId: string,
    status: InteractionStatus,
  ): Promise<{ interaction: Interaction; endedSessions: Session[] }> {
    const interaction = await this.interactions.setStatus(orgId, interactionId, status);
    const endedSessions: Session[] = [];
    if (status !== InteractionStatus.DISCONNECTED || this.options.faults.has("survive-interaction-disconnect")) return { interaction, endedSessions };
    for (const record of await this.liveSessionsOn(orgId, interactionId)) {
      // A session that ended meanwhile is listed as it ended.
      endedSessions.push(sessionToProto(await this.writer.transition(record.id, "INTERACTION_DISCONNECTED", Actor.PLATFORM, Date.now(), () => undefined)));
    }
    return { interaction, endedSessions };
  }
}
