import { randomBytes, randomUUID } from "node:crypto";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  applyEvent,
  endReasonOf,
  isLive,
  lifecycleStateOf,
  pendingTimers,
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
  InteractionSchema,
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
import { generateKey, hashKey } from "./keys.js";
import type { MediaPlane } from "./media.js";
import type { Metrics } from "./metrics.js";
import type { Credential, HistoryEntry, SessionRecord, Store } from "./store.js";

export type { Credential, SessionRecord } from "./store.js";

const TIMER_POLL_MS = 25;

/**
 * Runs sessions: every state change goes through the lifecycle machine's `applyEvent`; the engine stores the
 * result (compare-and-set on the record's version), carries out the effects it names, numbers and publishes the
 * events and arms the timers in the store, where any node may fire them.
 */
export class SessionEngine {
  private poller: NodeJS.Timeout | undefined;
  private readonly keySecret: Buffer;

  constructor(
    readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly media: MediaPlane,
    private readonly metrics: Metrics,
  ) {
    this.keySecret = options.keyIndexSecret;
  }

  /** Re-arms every live session's timers from its deadlines (after a restart), then fires timers as they fall due. */
  async run(): Promise<void> {
    for (const id of await this.store.allSessionIds()) {
      const record = await this.store.getSession(id);
      for (const timer of record ? pendingTimers(record.machine) : []) {
        await this.store.scheduleTimer(id, timer.id, timer.eventType, timer.fireAt);
      }
    }
    let polling = false;
    this.poller = setInterval(() => {
      if (polling) return;
      polling = true;
      void this.store
        .claimDueTimers(Date.now())
        .then((due) => Promise.all(due.map((timer) => this.fact(timer.sessionId, timer.eventType, Actor.TIMER, timer.fireAt))))
        .catch(() => {})
        .finally(() => {
          polling = false;
        });
    }, TIMER_POLL_MS);
    this.poller.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.poller);
  }

  async interaction(orgId: string, interactionId: string): Promise<Interaction | undefined> {
    const bytes = await this.store.getInteraction(orgId, interactionId);
    return bytes && fromBinary(InteractionSchema, bytes);
  }

  async saveInteraction(interaction: Interaction): Promise<void> {
    await this.store.putInteraction(interaction.orgId, interaction.interactionId, toBinary(InteractionSchema, interaction));
  }

  /** Starts a session for `viewer` on `interaction`; at most one live session per viewer. */
  async start(orgId: string, viewerUserId: string, interaction: Interaction): Promise<Session> {
    return this.store.withLock(`viewer:${orgId}/${viewerUserId}`, async () => {
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
      const record: SessionRecord = { id, version: 1, machine: step.session, history: [], lastSequence: "0", participants: {} };
      try {
        await this.media.createRoom(id, this.options.timeouts.maxSessionDurationMs);
      } catch (error) {
        throw new ConnectError(`the media plane could not create the session's room (${(error as Error).message}); retry later`, Code.Unavailable);
      }
      const after = await this.prepare(record, step);
      const event = this.appendEvent(record, step, "SESSION_STARTED", Actor.VIEWER, at, SessionState.UNSPECIFIED);
      await this.store.createSession(record, `${orgId}/${viewerUserId}`, `${orgId}/${interaction.interactionId}`);
      await after();
      if (event) await this.store.publish(`session:${id}`, toBinary(SessionEventSchema, event));
      return this.toProto(record, { withKey: true });
    });
  }

  /** Applies a party's command. Rejected commands answer FAILED_PRECONDITION naming the state; `hint` says what to do. */
  command(sessionId: string, type: SessionEventType, actor: Actor, hint = ""): Promise<SessionRecord> {
    return this.transition(sessionId, type, actor, Date.now(), (record) => {
      const state = SessionState[PROTO_SESSION_STATE[lifecycleStateOf(record.machine)]];
      throw new ConnectError(`${type} is not allowed in state ${state}${hint ? `: ${hint}` : ""}`, Code.FailedPrecondition);
    });
  }

  /** Applies a fact from the media plane or a timer; where it no longer applies it is ignored. */
  async fact(sessionId: string, type: string, actor: Actor, at = Date.now()): Promise<void> {
    await this.transition(sessionId, type, actor, at, () => undefined).catch((error) => {
      if (!(error instanceof ConnectError && error.code === Code.NotFound)) throw error;
    });
  }

  private async transition(
    sessionId: string,
    type: string,
    actor: Actor,
    at: number,
    onNotApplied: (record: SessionRecord) => undefined,
  ): Promise<SessionRecord> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const record = await this.mustGet(sessionId);
      const outcome = applyEvent(record.machine, { type, at });
      if (outcome.kind !== "applied") {
        onNotApplied(record);
        return record;
      }
      const previous = this.protoState(record);
      // Copies what prepare and appendEvent change; `record` stays as read, for undoPrepare.
      const next: SessionRecord = { ...record, version: record.version + 1, machine: outcome.step.session, history: [...record.history] };
      const after = await this.prepare(next, outcome.step);
      const event = this.appendEvent(next, outcome.step, type, actor, at, previous);
      if (!(await this.store.updateSession(next))) {
        await this.undoPrepare(record, next);
        continue;
      }
      await after();
      if (event) await this.store.publish(`session:${sessionId}`, toBinary(SessionEventSchema, event));
      return next;
    }
    throw new ConnectError(`session ${sessionId} is too busy; retry`, Code.Aborted);
  }

  /**
   * Carries out the effects that change the record itself before it is written; returns the rest (media, index
   * clean-up, notifications, timers) to run once the write won.
   */
  private async prepare(record: SessionRecord, step: Step): Promise<() => Promise<void>> {
    const context = record.machine.context;
    const later: Array<() => Promise<void>> = [];
    for (const effect of step.effects) {
      switch (effect) {
        case "issueSecurityKey":
          record.securityKey = await this.issueKey(context.orgId, record.id, context.deadlines.lifecycle ?? Date.now());
          break;
        case "revokeSecurityKey": {
          const key = record.securityKey;
          record.securityKey = undefined;
          if (key && !this.options.faults.has("accept-used-key")) later.push(() => this.store.deleteKey(context.orgId, key.hash, record.id));
          break;
        }
        case "revokeSharerCredential": {
          const credential = record.sharerCredential;
          record.sharerCredential = undefined;
          if (credential) later.push(() => this.store.deleteCredential(credential));
          break;
        }
        case "deleteMediaRoom":
          later.push(() => this.media.deleteRoom(record.id).catch(() => {}));
          break;
        case "sendInvitation":
          later.push(async () => {
            const invitation = this.invitationOf(record);
            if (invitation) await this.store.publish(`invitations:${context.orgId}/${context.interactionId}`, toBinary(InvitationSchema, invitation));
          });
          break;
        case "createMediaRoom": // done before the session is stored, so a failure leaves nothing behind
        case "withdrawInvitation": // invitations are derived from state
          break;
      }
    }
    return async () => {
      for (const id of step.cancel) await this.store.cancelTimer(record.id, id);
      for (const timer of step.schedule) await this.store.scheduleTimer(record.id, timer.id, timer.eventType, timer.fireAt);
      for (const work of later) await work();
    };
  }

  /** A lost write issued a key that no record holds: free it. */
  private async undoPrepare(stored: SessionRecord, discarded: SessionRecord): Promise<void> {
    const key = discarded.securityKey;
    if (key && key.hash !== stored.securityKey?.hash) await this.store.deleteKey(stored.machine.context.orgId, key.hash, stored.id);
  }

  private async issueKey(orgId: string, sessionId: string, expiresAt: number): Promise<NonNullable<SessionRecord["securityKey"]>> {
    const length = this.options.limits.securityKeyLength;
    for (let attempt = 0; attempt < 50; attempt++) {
      const key = generateKey(length);
      const hash = hashKey(this.keySecret, orgId, key);
      if (await this.store.putKey(orgId, hash, sessionId)) {
        return { key, hash, expiresAt, attemptsRemaining: this.options.limits.securityKeyMaxAttempts };
      }
    }
    throw new ConnectError("no free security key could be issued; retry later", Code.ResourceExhausted);
  }

  /** Numbers and appends the step's event to the record; undefined for a step that changed nothing. */
  private appendEvent(record: SessionRecord, step: Step, type: string, actor: Actor, at: number, previous: SessionState): SessionEvent | undefined {
    if (!step.changed) return undefined;
    const last = BigInt(record.lastSequence);
    const skip = this.options.faults.has("skip-event-sequence") && last > 0n ? 2n : 1n;
    record.lastSequence = String(last + skip);
    const entry: HistoryEntry = [type, actor, at, Number(last + skip)];
    record.history.push(entry);
    const event = this.eventOf(record, entry, previous);
    this.metrics.transitions.inc({ trigger: event.trigger, to: SessionState[event.session?.state ?? SessionState.UNSPECIFIED] });
    return event;
  }

  /** The protocol event of a history entry, showing `record` as it was right after the entry. */
  private eventOf(record: Pick<SessionRecord, "id" | "machine">, [type, actor, at, sequence]: HistoryEntry, previous: SessionState): SessionEvent {
    return create(SessionEventSchema, {
      sequence: BigInt(sequence),
      occurredAt: timestampFromMs(at),
      actor,
      trigger: timerName(type) ?? type,
      previousState: previous,
      session: this.toProto({ ...record, lastSequence: String(sequence) }, { withKey: false }),
    });
  }

  /** Changes a stored session outside the machine (participant SIDs, key attempts), with the same compare-and-set. */
  async update(sessionId: string, change: (record: SessionRecord) => Promise<boolean> | boolean): Promise<SessionRecord | undefined> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const record = await this.store.getSession(sessionId);
      if (!record) return undefined;
      const next = { ...record, version: record.version + 1 };
      if (!(await change(next))) return record;
      if (await this.store.updateSession(next)) return next;
    }
    throw new ConnectError(`session ${sessionId} is too busy; retry`, Code.Aborted);
  }

  /** The session's sharer credential, issued on first use. */
  async sharerCredential(sessionId: string): Promise<string> {
    const token = `shr_${randomBytes(24).toString("base64url")}`;
    const record = await this.update(sessionId, (next) => {
      if (next.sharerCredential) return false;
      next.sharerCredential = token;
      return true;
    });
    if (record?.sharerCredential === token) {
      await this.store.putCredential(token, { kind: "sharer", orgId: record.machine.context.orgId, sessionId }, this.options.timeouts.maxSessionDurationMs);
    }
    return record?.sharerCredential ?? token;
  }

  async credential(token: string): Promise<Credential | undefined> {
    return this.store.getCredential(token);
  }

  /**
   * The viewer's live session: the busy slot is derived from session state, never stored. Only the newest session
   * can be live: starts are serialised per viewer and refused while one is live, and an ended session never
   * comes back, so this reads one record however long the viewer's history is.
   */
  async liveSessionOf(orgId: string, viewerUserId: string): Promise<SessionRecord | undefined> {
    const [newest] = await this.store.viewerSessions(`${orgId}/${viewerUserId}`, 1);
    const record = newest === undefined ? undefined : await this.store.getSession(newest);
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

  /** A session of `orgId`, or NOT_FOUND: sessions of other orgs are indistinguishable from missing ones. */
  async sessionInOrg(sessionId: string, orgId: string): Promise<SessionRecord> {
    const record = await this.store.getSession(sessionId);
    if (!record || record.machine.context.orgId !== orgId) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return record;
  }

  async getSession(sessionId: string): Promise<SessionRecord | undefined> {
    return this.store.getSession(sessionId);
  }

  private async mustGet(sessionId: string): Promise<SessionRecord> {
    const record = await this.store.getSession(sessionId);
    if (!record) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return record;
  }

  protoState(record: Pick<SessionRecord, "machine">): SessionState {
    return PROTO_SESSION_STATE[lifecycleStateOf(record.machine)];
  }

  /** The session as the protocol shows it; the security key only for the viewer. */
  toProto(record: Pick<SessionRecord, "id" | "machine" | "lastSequence" | "securityKey">, { withKey }: { withKey: boolean }): Session {
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
      lastSequence: BigInt(record.lastSequence),
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

  /** The session's events, oldest first, rebuilt by replaying its history through the machine. */
  historyOf(record: SessionRecord): SessionEvent[] {
    const [first, ...rest] = record.history;
    if (!first) return [];
    const { orgId, interactionId, viewerUserId, channel, timeouts } = record.machine.context;
    let machine = startSession({ sessionId: record.id, orgId, interactionId, viewerUserId, channel, timeouts, at: first[2] }).session;
    const events = [this.eventOf({ id: record.id, machine }, first, SessionState.UNSPECIFIED)];
    for (const entry of rest) {
      const outcome = applyEvent(machine, { type: entry[0], at: entry[2] });
      // Only a machine changed incompatibly since the session was stored could get here.
      if (outcome.kind !== "applied") throw new ConnectError(`session ${record.id}'s history does not replay at sequence ${entry[3]}`, Code.Internal);
      const previous = PROTO_SESSION_STATE[lifecycleStateOf(machine)];
      machine = outcome.step.session;
      events.push(this.eventOf({ id: record.id, machine }, entry, previous));
    }
    return events;
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

  /** Calls `listener` with each new event of a session, from any node, until the returned function is called. */
  subscribe(sessionId: string, listener: (event: SessionEvent) => void): Promise<() => Promise<void>> {
    return this.store.subscribe(`session:${sessionId}`, (bytes) => listener(fromBinary(SessionEventSchema, bytes)));
  }

  /** Calls `listener` with each new invitation on a chat until the returned function is called. */
  subscribeInvitations(orgId: string, interactionId: string, listener: (invitation: Invitation) => void): Promise<() => Promise<void>> {
    return this.store.subscribe(`invitations:${orgId}/${interactionId}`, (bytes) => listener(fromBinary(InvitationSchema, bytes)));
  }

  /** Counts of sessions by protocol state, for metrics. */
  async countByState(): Promise<Map<SessionState, number>> {
    const counts = new Map<SessionState, number>();
    for (const id of await this.store.allSessionIds()) {
      const record = await this.store.getSession(id);
      if (record) counts.set(this.protoState(record), (counts.get(this.protoState(record)) ?? 0) + 1);
    }
    return counts;
  }

  /** Marks an interaction, ending its live sessions when it disconnects. */
  async setInteractionStatus(interaction: Interaction, status: InteractionStatus): Promise<Session[]> {
    interaction.status = status;
    await this.saveInteraction(interaction);
    if (status !== InteractionStatus.DISCONNECTED || this.options.faults.has("survive-interaction-disconnect")) return [];
    const ended: Session[] = [];
    for (const record of await this.liveSessionsOn(interaction.orgId, interaction.interactionId)) {
      await this.fact(record.id, "INTERACTION_DISCONNECTED", Actor.PLATFORM);
      const after = await this.store.getSession(record.id);
      if (after) ended.push(this.toProto(after, { withKey: false }));
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
