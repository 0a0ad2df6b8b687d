import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { applyEvent, endReasonOf, lifecycleStateOf, PROTO_SESSION_STATE, startSession, stateDeadlineOf, toProtoEndReason } from "@screenshare/machine";
import {
  type Invitation,
  InvitationSchema,
  type Observation,
  ObservationSchema,
  Channel as ProtoChannel,
  SecurityKeySchema,
  type Session,
  type SessionEvent,
  SessionEventSchema,
  SessionSchema,
  SessionState,
} from "@screenshare/protocol";
import { observerIdentityOf } from "./media.js";
import type { HistoryEntry, SessionRecord } from "./store.js";

// How a stored session looks in the protocol: pure functions of a record, so every reader shows it the same way.

export function protoStateOf(record: Pick<SessionRecord, "machine">): SessionState {
  return PROTO_SESSION_STATE[lifecycleStateOf(record.machine)];
}

type RenderedRecord = Pick<SessionRecord, "id" | "machine" | "lastSequence" | "securityKey" | "observers" | "observersAnnounced">;

/**
 * The session as the protocol shows it to the sharer, the platform and in events: never its security key (only the
 * viewer may read it aloud) nor its observations (an org's silent monitoring stays silent).
 */
export function sessionToProto(record: Omit<RenderedRecord, "securityKey" | "observers">): Session {
  const context = record.machine.context;
  const deadline = stateDeadlineOf(record.machine);
  const session = create(SessionSchema, {
    sessionId: record.id,
    orgId: context.orgId,
    interactionId: context.interactionId,
    channel: context.channel === "voice" ? ProtoChannel.VOICE : ProtoChannel.CHAT,
    viewerUserId: context.viewerUserId,
    state: protoStateOf(record),
    endReason: toProtoEndReason(endReasonOf(record.machine)),
    createdAt: timestampFromMs(context.createdAt),
    updatedAt: timestampFromMs(context.updatedAt),
    maxDurationDeadline: timestampFromMs(context.deadlines.maxDuration),
    lastSequence: BigInt(record.lastSequence),
    observersAnnounced: record.observersAnnounced ?? false,
    previousViewerUserId: context.previousViewerUserId ?? "",
    viewerDisplayName: context.viewerDisplayName ?? "",
  });
  if (context.endedAt !== undefined) session.endedAt = timestampFromMs(context.endedAt);
  if (deadline !== undefined) session.stateDeadline = timestampFromMs(deadline);
  if (context.pausedAt !== undefined) session.pausedAt = timestampFromMs(context.pausedAt);
  if (context.unpauseRequestedAt !== undefined) session.unpauseRequestedAt = timestampFromMs(context.unpauseRequestedAt);
  return session;
}

/** The session as supervisors see it: with its observations, never with its security key. */
export function supervisorSessionToProto(record: Omit<RenderedRecord, "securityKey">): Session {
  const session = sessionToProto(record);
  session.observations = observationsOf(record);
  return session;
}

/**
 * The session as its viewer sees it: with its observations, and with its security key while the key is live. The
 * machine issues the key on entering AWAITING_KEY_REDEMPTION and revokes it on leaving, so the record holds one
 * exactly then.
 */
export function viewerSessionToProto(record: RenderedRecord): Session {
  const session = supervisorSessionToProto(record);
  const key = record.securityKey;
  if (key) {
    session.securityKey = create(SecurityKeySchema, {
      key: key.key,
      display: groupDigits(key.key),
      expiresAt: timestampFromMs(key.expiresAt),
      attemptsRemaining: key.attemptsRemaining,
    });
  }
  return session;
}

/** Who observed the session and when; an observer still in the room when the session ended left at its end. */
function observationsOf(record: Pick<SessionRecord, "id" | "machine" | "observers">): Observation[] {
  const endedAt = record.machine.context.endedAt;
  return (record.observers ?? []).map((entry, index) => {
    const observation = create(ObservationSchema, {
      observerUserId: entry.userId,
      participantIdentity: observerIdentityOf(index + 1, record.id),
      startedAt: timestampFromMs(entry.startedAt),
    });
    if (entry.joinedAt !== undefined) observation.joinedAt = timestampFromMs(entry.joinedAt);
    const leftAt = entry.leftAt ?? (entry.joinedAt !== undefined ? endedAt : undefined);
    if (leftAt !== undefined) observation.leftAt = timestampFromMs(leftAt);
    return observation;
  });
}

/** The protocol event of a history entry, showing `record` as it was right after the entry. */
export function eventOf(
  record: Pick<SessionRecord, "id" | "machine" | "observersAnnounced">,
  [type, actor, at, sequence]: HistoryEntry,
  previous: SessionState,
): SessionEvent {
  return create(SessionEventSchema, {
    sequence: BigInt(sequence),
    occurredAt: timestampFromMs(at),
    actor,
    // The machine's event types are stable names, timers included (`TIMEOUT:securityKeyTtl`).
    trigger: type,
    previousState: previous,
    session: sessionToProto({ ...record, lastSequence: String(sequence) }),
  });
}

/** The session's events, oldest first, rebuilt by replaying its history through the machine. */
export function historyOf(record: SessionRecord): SessionEvent[] {
  const [first, ...rest] = record.history;
  if (!first) return [];
  const { orgId, interactionId, channel, timeouts } = record.machine.context;
  // The viewer who started it: the context holds the current one, the first transfer names the first.
  const viewerUserId = rest.find((entry) => entry[4])?.[4]?.from ?? record.machine.context.viewerUserId;
  let machine = startSession({ sessionId: record.id, orgId, interactionId, viewerUserId, channel, timeouts, at: first[2] }).session;
  const { observersAnnounced } = record;
  const events = [eventOf({ id: record.id, machine, observersAnnounced }, first, SessionState.UNSPECIFIED)];
  for (const entry of rest) {
    const transfer = entry[4];
    const target = transfer && { toViewerUserId: transfer.to, ...(transfer.toName !== undefined && { toViewerDisplayName: transfer.toName }) };
    const outcome = applyEvent(machine, { type: entry[0], at: entry[2], ...target });
    // Only a machine changed incompatibly since the session was stored could get here.
    if (outcome.kind !== "applied") throw new ConnectError(`session ${record.id}'s history does not replay at sequence ${entry[3]}`, Code.Internal);
    const previous = protoStateOf({ machine });
    machine = outcome.step.session;
    events.push(eventOf({ id: record.id, machine, observersAnnounced }, entry, previous));
  }
  return events;
}

/** The pending invitation of a chat session, if it awaits acceptance. */
export function invitationOf(record: SessionRecord): Invitation | undefined {
  if (lifecycleStateOf(record.machine) !== "awaitingAcceptance") return undefined;
  return create(InvitationSchema, {
    sessionId: record.id,
    interactionId: record.machine.context.interactionId,
    expiresAt: timestampFromMs(record.machine.context.deadlines.lifecycle ?? Date.now()),
  });
}

/** "482913" -> "482 913"; longer keys in groups of three. */
export function groupDigits(key: string): string {
  return key.replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}
