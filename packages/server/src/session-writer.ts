import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { applyEvent, type Step, type TransferTarget } from "@screenshare/machine";
import { Actor, type SessionEvent, SessionEventSchema, SessionState, WatchInvitationsResponseSchema } from "@screenshare/protocol";
import type { ResolvedOptions } from "./config.js";
import type { EngineLog } from "./engine.js";
import type { MediaPlane } from "./media.js";
import type { Metrics } from "./metrics.js";
import type { SecurityKeys } from "./security-keys.js";
import { eventOf, invitationOf, protoStateOf } from "./session-view.js";
import { type HistoryEntry, type SessionRecord, type Store, type StoredTransfer, sessionIndexKeys } from "./store.js";

const MAX_WRITE_ATTEMPTS = 50;

/** What a write attempt answers when another write won the compare-and-set: read again and retry. */
const LOST = Symbol();

/**
 * The engine's write path. Every write is a compare-and-set on the record's version, retried on conflict. The rule
 * for effects: what changes the record (a key, a credential) happens before the write and is undone if the write
 * loses; everything else (timers, media, index clean-up, notifications) happens only after the write won.
 */
export class SessionWriter {
  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly media: MediaPlane,
    private readonly metrics: Metrics,
    private readonly keys: SecurityKeys,
    private readonly log: EngineLog,
  ) {}

  /**
   * Stores a new session from the machine's first step, indexed by viewer and by interaction. Its first event is not
   * published: nobody can watch a session before its id is known, and WatchSession replays it from the store.
   */
  async create(record: SessionRecord, step: Step, actor: Actor, at: number, viewerKey: string, interactionKey: string): Promise<void> {
    const after = await this.prepare(record, step);
    this.appendEvent(record, step, "SESSION_STARTED", actor, at, SessionState.UNSPECIFIED);
    try {
      await this.store.createSession(record, viewerKey, interactionKey);
    } catch (error) {
      await this.undoPrepare(undefined, record);
      throw error;
    }
    await after();
  }

  /**
   * Sends an event through the machine and stores the result; `onNotApplied` decides what an unapplied one means.
   * `target` is a transfer's new viewer.
   */
  async transition(
    sessionId: string,
    type: string,
    actor: Actor,
    at: number,
    onNotApplied: (record: SessionRecord) => undefined,
    target?: TransferTarget,
  ): Promise<SessionRecord> {
    return this.retried(sessionId, async () => {
      const record = await this.store.getSession(sessionId);
      if (!record) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
      const outcome = applyEvent(record.machine, { type, at, ...target });
      if (outcome.kind !== "applied") {
        onNotApplied(record);
        return record;
      }
      const previous = protoStateOf(record);
      // Copies what prepare and appendEvent change; `record` stays as read, for undoPrepare.
      const next: SessionRecord = { ...record, version: record.version + 1, machine: outcome.step.session, history: [...record.history] };
      const after = await this.prepare(next, outcome.step);
      const transfer: StoredTransfer | undefined = target && {
        from: record.machine.context.viewerUserId,
        to: target.toViewerUserId,
        ...(target.toViewerDisplayName !== undefined && { toName: target.toViewerDisplayName }),
      };
      const event = this.appendEvent(next, outcome.step, type, actor, at, previous, transfer);
      // A transfer moves the session to another viewer's index in the same write.
      const [formerViewerKey] = sessionIndexKeys(record.machine.context);
      const moved = formerViewerKey !== sessionIndexKeys(next.machine.context)[0];
      if (!(await this.store.updateSession(next, moved ? formerViewerKey : undefined))) {
        await this.undoPrepare(record, next);
        return LOST;
      }
      await after();
      if (event) await this.store.publish(`session:${sessionId}`, toBinary(SessionEventSchema, event));
      return next;
    });
  }

  /**
   * Changes a stored session outside the machine (participant SIDs, key attempts, the sharer credential), with the
   * same compare-and-set. `change` only edits the record: effects belong after the write, to the caller.
   */
  update(sessionId: string, change: (record: SessionRecord) => boolean): Promise<SessionRecord | undefined> {
    return this.retried(sessionId, async () => {
      const record = await this.store.getSession(sessionId);
      if (!record) return undefined;
      const next = { ...record, version: record.version + 1 };
      if (!change(next)) return record;
      return (await this.store.updateSession(next)) ? next : LOST;
    });
  }

  /** Runs `attempt` again while another write wins the compare-and-set, up to MAX_WRITE_ATTEMPTS times. */
  private async retried<T>(sessionId: string, attempt: () => Promise<T | typeof LOST>): Promise<T> {
    for (let tries = 0; tries < MAX_WRITE_ATTEMPTS; tries++) {
      const result = await attempt();
      if (result !== LOST) return result;
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
    // Two effects need nothing here: createMediaRoom is the engine's, before the session is stored (a failure leaves
    // nothing behind); revokeSharerCredential is the store's, in the very write that ends the session.
    for (const effect of step.effects) {
      switch (effect) {
        case "issueSecurityKey":
          record.securityKey = await this.keys.issue(context.orgId, record.id, context.deadlines.lifecycle ?? Date.now());
          break;
        case "revokeSecurityKey": {
          const key = record.securityKey;
          record.securityKey = undefined;
          if (key) later.push(() => this.keys.release(context.orgId, key, record.id));
          break;
        }
        case "deleteMediaRoom":
          later.push(() =>
            this.media.deleteRoom(record.id).catch((error: unknown) => {
              // The session has ended either way; media reconciliation deletes the room later.
              this.metrics.backgroundFailures.inc({ task: "media_room_delete" });
              this.log.warn({ err: error, sessionId: record.id }, "media room not deleted");
            }),
          );
          break;
        case "sendInvitation":
          // Entered with AWAITING_ACCEPTANCE, the state that has an invitation.
          later.push(() => this.publishInvitations(context.orgId, context.interactionId, { invitation: invitationOf(record) }));
          break;
        case "withdrawInvitation":
          // The chat shows the invitation until told otherwise, so every way out of waiting for it is announced.
          later.push(() => this.publishInvitations(context.orgId, context.interactionId, { withdrawnSessionId: record.id }));
          break;
        case "muteScreen":
          // Privacy first: a pause the media plane cannot enforce ends the session rather than leave the screen
          // showing under a "paused" state.
          later.push(() =>
            this.media.setScreenMuted(record.id, true).catch(async (error: unknown) => {
              this.metrics.backgroundFailures.inc({ task: "media_screen_mute" });
              this.log.error({ err: error, sessionId: record.id }, "screen not muted for a pause: ending the session with MEDIA_FAILURE");
              await this.transition(record.id, "MEDIA_FAILED", Actor.MEDIA, Date.now(), () => undefined);
            }),
          );
          break;
        case "unmuteScreen":
          later.push(() =>
            this.media.setScreenMuted(record.id, false).catch((error: unknown) => {
              // The sharer's page unmutes its own track as well (a LiveKit without remote unmute refuses the server),
              // so the share comes back either way; the failure is only worth a warning.
              this.metrics.backgroundFailures.inc({ task: "media_screen_unmute" });
              this.log.warn({ err: error, sessionId: record.id }, "screen not unmuted by the server after a pause");
            }),
          );
          break;
        case "evictFormerViewer":
          // The former viewer's media facts are no longer the viewer's: the new one's are not compared with them.
          // Removing the former viewer from the room is the engine's transfer's (it answers UNAVAILABLE when the media
          // plane does not, and a retry removes again).
          record.participants = { ...record.participants, viewer: undefined };
          record.mediaFactAt = { ...record.mediaFactAt, viewer: undefined };
          record.joinedAt = { ...record.joinedAt, viewer: undefined };
          break;
      }
    }
    return async () => {
      for (const id of step.cancel) await this.store.cancelTimer(record.id, id);
      for (const timer of step.schedule) await this.store.scheduleTimer(record.id, timer.id, timer.eventType, timer.fireAt);
      for (const work of later) await work();
    };
  }
  /** Publishes a new or withdrawn invitation to the chat's WatchInvitations streams, on every node. */
  private publishInvitations(orgId: string, interactionId: string, change: MessageInitShape<typeof WatchInvitationsResponseSchema>): Promise<void> {
    return this.store.publish(
      `invitations:${orgId}/${interactionId}`,
      toBinary(WatchInvitationsResponseSchema, create(WatchInvitationsResponseSchema, change)),
    );
  }

  /** A lost write issued a key that no stored record holds: free it. */
  private async undoPrepare(stored: SessionRecord | undefined, discarded: SessionRecord): Promise<void> {
    const key = discarded.securityKey;
    if (key && key.hash !== stored?.securityKey?.hash) await this.keys.unissue(discarded.machine.context.orgId, key, discarded.id);
  }

  /** Numbers and appends the step's event to the record; undefined for a step that changed nothing. */
  private appendEvent(
    record: SessionRecord,
    step: Step,
    type: string,
    actor: Actor,
    at: number,
    previous: SessionState,
    transfer?: StoredTransfer,
  ): SessionEvent | undefined {
    if (!step.changed) return undefined;
    const last = BigInt(record.lastSequence);
    const skip = this.options.faults.has("skip-event-sequence") && last > 0n ? 2n : 1n;
    record.lastSequence = String(last + skip);
    const entry: HistoryEntry = [type, actor, at, Number(last + skip)];
    if (transfer) entry.push(transfer);
    record.history.push(entry);
    const event = eventOf(record, entry, previous);
    this.metrics.transitions.inc({ trigger: event.trigger, to: SessionState[event.session?.state ?? SessionState.UNSPECIFIED] });
    return event;
  }
}
