import { randomBytes, randomUUID } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  applyEvent,
  type Channel,
  endReasonOf,
  isLive,
  lifecycleStateOf,
  type PersistedSession,
  PROTO_SESSION_STATE,
  type SessionEventType,
  startSession,
  stateDeadlineOf,
  type Step,
  toProtoEndReason,
} from "@screenshare/machine";
import {
  Actor,
  Channel as ProtoChannel,
  type Interaction,
  InteractionStatus,
  type Invitation,
  InvitationSchema,
  LiveSessionConflictSchema,
  type Session,
  type SessionEvent,
  SessionEventSchema,
  SessionSchema,
  SessionState,
} from "@screenshare/protocol";
import type { ResolvedOptions } from "./config.js";
import { KeyRing } from "./keys.js";
import { KeyedLock } from "./lock.js";
import type { MediaPlane } from "./media.js";
import type { Metrics } from "./metrics.js";

/** A session as the server stores it. */
export interface SessionRecord {
  id: string;
  machine: PersistedSession;
  /** Every event, encoded: history is read rarely and kept for every session, so it is stored compactly. */
  history: Uint8Array[];
  lastSequence: bigint;
  /** The security key while one is live (voice, awaiting redemption). */
  securityKey?: { key: string; expiresAt: number; attemptsRemaining: number };
  sharerCredential?: string;
  /** The latest LiveKit participant SID per role: a `participant_left` of an older one is a stale fact. */
  participants: { viewer?: string; sharer?: string };
}

/** A credential a customer presents to SharerService. */
export type Credential =
  | { kind: "sharer"; orgId: string; sessionId: string }
  | { kind: "customer"; orgId: string; interactionId: string; expiresAt: number };

type Listener = (event: SessionEvent) => void;

/**
 * Runs sessions: every state change goes through the lifecycle machine's `applyEvent`; the engine stores the
 * result, carries out the effects it names, numbers and publishes the events and arms the timers.
 */
export class SessionEngine {
  readonly interactions = new Map<string, Interaction>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly credentials = new Map<string, Credential>();
  private readonly sessionsByViewer = new Map<string, string[]>();
  private readonly sessionsByInteraction = new Map<string, string[]>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly invitationListeners = new Map<string, Set<(invitation: Invitation) => void>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lock = new KeyedLock();
  readonly keys: KeyRing;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly media: MediaPlane,
    private readonly metrics: Metrics,
  ) {
    this.keys = new KeyRing(options);
  }

  /** Starts a session for `viewer` on `interaction`; at most one live session per viewer. */
  async start(orgId: string, viewerUserId: string, interaction: Interaction): Promise<Session> {
    return this.lock.run(`viewer:${orgId}/${viewerUserId}`, async () => {
      const live = this.liveSessionOf(orgId, viewerUserId);
      if (live && !this.options.faults.has("allow-second-session")) {
        throw new ConnectError(
          `viewer already has a live session ${live.id}: end it (CancelScreenShare or LeaveSession) or resume it (ResumeSession)`,
          Code.FailedPrecondition,
          undefined,
          [{ desc: LiveSessionConflictSchema, value: create(LiveSessionConflictSchema, { sessionId: live.id }) }],
        );
      }
      const id = randomUUID();
      const step = startSession({
        sessionId: id,
        orgId,
        interactionId: interaction.interactionId,
        viewerUserId,
        channel: (interaction.channel === ProtoChannel.VOICE ? "voice" : "chat") satisfies Channel,
        timeouts: this.options.timeouts,
        at: Date.now(),
      });
      const record: SessionRecord = { id, machine: step.session, history: [], lastSequence: 0n, participants: {} };
      this.sessions.set(id, record);
      push(this.sessionsByViewer, `${orgId}/${viewerUserId}`, id);
      push(this.sessionsByInteraction, `${orgId}/${interaction.interactionId}`, id);
      await this.lock.run(`session:${id}`, () => this.commit(record, step, "SESSION_STARTED", Actor.VIEWER, SessionState.UNSPECIFIED));
      if (!isLive(record.machine)) {
        throw new ConnectError("the media plane could not create the session's room; retry later", Code.Unavailable);
      }
      return this.toProto(record, { withKey: true });
    });
  }

  /**
   * Applies a party's command. Rejected commands answer FAILED_PRECONDITION naming the state; `hint` says what to
   * do instead.
   */
  async command(sessionId: string, type: SessionEventType, actor: Actor, hint = ""): Promise<SessionRecord> {
    return this.lock.run(`session:${sessionId}`, async () => {
      const record = this.mustGet(sessionId);
      const outcome = applyEvent(record.machine, { type, at: Date.now() });
      if (outcome.kind !== "applied") {
        const state = SessionState[PROTO_SESSION_STATE[lifecycleStateOf(record.machine)]];
        throw new ConnectError(`${type} is not allowed in state ${state}${hint ? `: ${hint}` : ""}`, Code.FailedPrecondition);
      }
      await this.commit(record, outcome.step, type, actor, this.protoState(record));
      return record;
    });
  }

  /** Applies a fact from the media plane or a timer; where it no longer applies it is ignored. */
  async fact(sessionId: string, type: string, actor: Actor, at = Date.now()): Promise<void> {
    await this.lock.run(`session:${sessionId}`, async () => {
      const record = this.sessions.get(sessionId);
      if (!record) return;
      const outcome = applyEvent(record.machine, { type, at });
      if (outcome.kind === "applied") await this.commit(record, outcome.step, type, actor, this.protoState(record));
    });
  }

  /** Stores a step, carries out its effects, arms and disarms its timers and publishes its event. */
  private async commit(record: SessionRecord, step: Step, trigger: string, actor: Actor, previous: SessionState): Promise<void> {
    record.machine = step.session;
    for (const id of step.cancel) this.disarm(record.id, id);
    for (const effect of step.effects) await this.carryOut(record, effect);
    for (const timer of step.schedule) this.arm(record.id, timer.id, timer.eventType, timer.fireAt);
    if (!step.changed) return;
    const last = record.lastSequence;
    const skip = this.options.faults.has("skip-event-sequence") && last > 0n ? 2n : 1n;
    record.lastSequence = last + skip;
    const event = create(SessionEventSchema, {
      sequence: record.lastSequence,
      occurredAt: timestampFromMs(Date.now()),
      actor,
      trigger: timerName(trigger) ?? trigger,
      previousState: previous,
    });
    event.session = this.toProto(record, { withKey: false });
    record.history.push(toBinary(SessionEventSchema, event));
    this.metrics.transitions.inc({ trigger: event.trigger, to: SessionState[event.session.state] });
    for (const listener of this.listeners.get(record.id) ?? []) listener(event);
  }

  private async carryOut(record: SessionRecord, effect: Step["effects"][number]): Promise<void> {
    const context = record.machine.context;
    switch (effect) {
      case "createMediaRoom":
        try {
          await this.media.createRoom(record.id, this.options.timeouts.maxSessionDurationMs);
        } catch (error) {
          const outcome = applyEvent(record.machine, { type: "MEDIA_FAILED", at: Date.now() });
          if (outcome.kind === "applied") record.machine = outcome.step.session;
          this.disarmAll(record.id);
          throw new ConnectError(`media plane unavailable: ${(error as Error).message}`, Code.Unavailable);
        }
        return;
      case "deleteMediaRoom":
        await this.media.deleteRoom(record.id).catch(() => {});
        return;
      case "issueSecurityKey":
        record.securityKey = this.keys.issue(context.orgId, record.id, context.deadlines.lifecycle ?? Date.now());
        return;
      case "revokeSecurityKey":
        if (record.securityKey && !this.options.faults.has("accept-used-key")) this.keys.revoke(context.orgId, record.securityKey.key);
        record.securityKey = undefined;
        return;
      case "sendInvitation": {
        const invitation = this.invitationOf(record);
        for (const listener of this.invitationListeners.get(`${context.orgId}/${context.interactionId}`) ?? []) {
          if (invitation) listener(invitation);
        }
        return;
      }
      case "withdrawInvitation":
        return;
      case "revokeSharerCredential":
        if (record.sharerCredential) this.credentials.delete(record.sharerCredential);
        record.sharerCredential = undefined;
        return;
    }
  }

  /** Issues the session's sharer credential (once; later calls return the same one). */
  issueSharerCredential(record: SessionRecord): string {
    if (!record.sharerCredential) {
      record.sharerCredential = `shr_${randomBytes(24).toString("base64url")}`;
      this.credentials.set(record.sharerCredential, { kind: "sharer", orgId: record.machine.context.orgId, sessionId: record.id });
    }
    return record.sharerCredential;
  }

  private arm(sessionId: string, id: string, eventType: string, fireAt: number): void {
    this.disarm(sessionId, id);
    const timer = setTimeout(() => {
      this.timers.delete(`${sessionId}|${id}`);
      void this.fact(sessionId, eventType, Actor.TIMER, fireAt);
    }, Math.max(0, fireAt - Date.now()));
    timer.unref();
    this.timers.set(`${sessionId}|${id}`, timer);
  }

  private disarm(sessionId: string, id: string): void {
    clearTimeout(this.timers.get(`${sessionId}|${id}`));
    this.timers.delete(`${sessionId}|${id}`);
  }

  private disarmAll(sessionId: string): void {
    for (const key of [...this.timers.keys()]) if (key.startsWith(`${sessionId}|`)) this.disarm(sessionId, key.slice(sessionId.length + 1));
  }

  /** Stops every timer (server shutdown). */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** The viewer's live session: the busy slot is derived from session state, never stored. */
  liveSessionOf(orgId: string, viewerUserId: string): SessionRecord | undefined {
    const ids = this.sessionsByViewer.get(`${orgId}/${viewerUserId}`) ?? [];
    return ids.map((id) => this.sessions.get(id)).find((record) => record && isLive(record.machine));
  }

  /** The viewer's sessions, newest first. */
  sessionsOfViewer(orgId: string, viewerUserId: string): SessionRecord[] {
    const ids = this.sessionsByViewer.get(`${orgId}/${viewerUserId}`) ?? [];
    return ids.map((id) => this.sessions.get(id)).filter((record): record is SessionRecord => !!record).reverse();
  }

  /** Live sessions on an interaction. */
  liveSessionsOn(orgId: string, interactionId: string): SessionRecord[] {
    const ids = this.sessionsByInteraction.get(`${orgId}/${interactionId}`) ?? [];
    return ids.map((id) => this.sessions.get(id)).filter((record): record is SessionRecord => !!record && isLive(record.machine));
  }

  /** A session of `orgId`, or NOT_FOUND: sessions of other orgs are indistinguishable from missing ones. */
  sessionInOrg(sessionId: string, orgId: string): SessionRecord {
    const record = this.sessions.get(sessionId);
    if (!record || record.machine.context.orgId !== orgId) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return record;
  }

  private mustGet(sessionId: string): SessionRecord {
    const record = this.sessions.get(sessionId);
    if (!record) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return record;
  }

  protoState(record: SessionRecord): SessionState {
    return PROTO_SESSION_STATE[lifecycleStateOf(record.machine)];
  }

  /** The session as the protocol shows it; the security key only for the viewer. */
  toProto(record: SessionRecord, { withKey }: { withKey: boolean }): Session {
    const context = record.machine.context;
    const deadline = stateDeadlineOf(record.machine);
    const session = create(SessionSchema, {
      sessionId: record.id,
      orgId: context.orgId,
      interactionId: context.interactionId,
      channel: context.channel === "voice" ? ProtoChannel.VOICE : ProtoChannel.CHAT,
      viewerUserId: context.viewerUserId,
      state: this.protoState(record),
      endReason: toProtoEndReason(endReasonOf(record.machine)),
      createdAt: timestampFromMs(context.createdAt),
      updatedAt: timestampFromMs(context.updatedAt),
      maxDurationDeadline: timestampFromMs(context.deadlines.maxDuration),
      lastSequence: record.lastSequence,
    });
    if (context.endedAt !== undefined) session.endedAt = timestampFromMs(context.endedAt);
    if (deadline !== undefined) session.stateDeadline = timestampFromMs(deadline);
    if (withKey && record.securityKey) {
      session.securityKey = {
        $typeName: "screenshare.v1.SecurityKey",
        key: record.securityKey.key,
        display: groupDigits(record.securityKey.key),
        expiresAt: timestampFromMs(record.securityKey.expiresAt),
        attemptsRemaining: record.securityKey.attemptsRemaining,
      };
    }
    return session;
  }

  /** The pending invitation of a chat session, if it awaits acceptance. */
  invitationOf(record: SessionRecord): Invitation | undefined {
    if (lifecycleStateOf(record.machine) !== "awaitingAcceptance") return undefined;
    return create(InvitationSchema, {
      sessionId: record.id,
      interactionId: record.machine.context.interactionId,
      expiresAt: timestampFromMs(record.machine.context.deadlines.lifecycle ?? Date.now()),
    });
  }

  /** The session's events, oldest first. */
  historyOf(record: SessionRecord): SessionEvent[] {
    return record.history.map((bytes) => fromBinary(SessionEventSchema, bytes));
  }

  /** Calls `listener` with each new event of a session until the returned function is called. */
  subscribe(sessionId: string, listener: Listener): () => void {
    const set = this.listeners.get(sessionId) ?? new Set();
    set.add(listener);
    this.listeners.set(sessionId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(sessionId);
    };
  }

  /** Calls `listener` with each new invitation on a chat until the returned function is called. */
  subscribeInvitations(orgId: string, interactionId: string, listener: (invitation: Invitation) => void): () => void {
    const key = `${orgId}/${interactionId}`;
    const set = this.invitationListeners.get(key) ?? new Set();
    set.add(listener);
    this.invitationListeners.set(key, set);
    return () => set.delete(listener);
  }

  /** Counts of sessions by protocol state, for metrics. */
  countByState(): Map<SessionState, number> {
    const counts = new Map<SessionState, number>();
    for (const record of this.sessions.values()) counts.set(this.protoState(record), (counts.get(this.protoState(record)) ?? 0) + 1);
    return counts;
  }

  /** Marks an interaction, ending its live sessions when it disconnects. */
  async setInteractionStatus(interaction: Interaction, status: InteractionStatus): Promise<Session[]> {
    interaction.status = status;
    if (status !== InteractionStatus.DISCONNECTED || this.options.faults.has("survive-interaction-disconnect")) return [];
    const ended: Session[] = [];
    for (const record of this.liveSessionsOn(interaction.orgId, interaction.interactionId)) {
      await this.fact(record.id, "INTERACTION_DISCONNECTED", Actor.PLATFORM);
      ended.push(this.toProto(record, { withKey: false }));
    }
    for (const [token, credential] of this.credentials) {
      if (credential.kind === "customer" && credential.interactionId === interaction.interactionId && credential.orgId === interaction.orgId) {
        this.credentials.delete(token);
      }
    }
    return ended;
  }
}

/** "482913" -> "482 913"; longer keys in groups of three. */
export function groupDigits(key: string): string {
  return key.replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}

function timerName(eventType: string): string | undefined {
  const match = /^xstate\.after\.([^.]+)\./.exec(eventType);
  return match ? `TIMEOUT:${match[1]}` : undefined;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}
