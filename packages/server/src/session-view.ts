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

/**
 * The session as the protocol shows it; the security key only for the viewer, observations only for the viewer and
 * supervisors (never the sharer, never in events: an org's silent monitoring stays silent).
 */
export function sessionToProto(
  record: Pick<SessionRecord, "id" | "machine" | "lastSequence" | "securityKey" | "observers" | "observersAnnounced">,
  { withKey, withObservations = withKey }: { withKey: boolean; withObservations?: boolean },
): Session {
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
  if (withObservations) session.observations = observationsOf(record);
  if (context.endedAt !== undefined) session.endedAt = timestampFromMs(context.endedAt);
  if (deadline !== undefined) session.stateDeadline = timestampFromMs(deadline);
  if (context.pausedAt !== undefined) session.pausedAt = timestampFromMs(context.pausedAt);
  if (context.unpauseRequestedAt !== undefined) session.unpauseRequestedAt = timestampFromMs(context.unpauseRequestedAt);
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
    session: sessionToProto({ ...record, lastSequence: String(sequence) }, { withKey: false }),
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
