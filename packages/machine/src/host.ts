import { type AnyActorScope, type AnyMachineSnapshot, createActor } from "xstate";
import {
  COMMAND_EVENTS,
  DEFAULT_TIMEOUTS,
  type EndReason,
  type SessionContext,
  type SessionEvent,
  type SessionInput,
  sessionMachine,
} from "./machine.js";

/** A side effect the host must carry out after a step, named as in the machine definition. */
export type HostEffect =
  | "createMediaRoom"
  | "deleteMediaRoom"
  | "issueSecurityKey"
  | "revokeSecurityKey"
  | "sendInvitation"
  | "withdrawInvitation"
  | "revokeSharerCredential";

const HOST_EFFECTS: ReadonlySet<string> = new Set<HostEffect>([
  "createMediaRoom",
  "deleteMediaRoom",
  "issueSecurityKey",
  "revokeSecurityKey",
  "sendInvitation",
  "withdrawInvitation",
  "revokeSharerCredential",
]);

/**
 * A timer the host must arm: at `fireAt`, send `{ type: eventType, at: fireAt }` back through `applyEvent`. A timer
 * sent with an `at` before the deadline its state holds now is stale and ignored, so a timer that fired while its
 * cancellation was on the way does no harm.
 */
export interface TimerRequest {
  /** Stable id; a later step may cancel it by this id. Unique within a session. */
  id: string;
  /** The machine's own timer event type, e.g. `xstate.after.securityKeyTtl.session.live.lifecycle.…`. */
  eventType: string;
  /** Epoch ms. */
  fireAt: number;
}

/**
 * A session as stored by a host: the machine snapshot in XState's persisted form. Plain JSON; opaque to hosts
 * except through the functions of this module.
 */
export type PersistedSession = { readonly status: string; readonly context: SessionContext; readonly value: unknown };

/** The result of one applied event. */
export interface Step {
  session: PersistedSession;
  /** Side effects to carry out, in order. */
  effects: HostEffect[];
  /** Timers to arm, after disarming `cancel`: a state entered again re-arms its timer under the same id. */
  schedule: TimerRequest[];
  /** Ids of timers to disarm, before arming `schedule`. */
  cancel: string[];
  /** False for an event that was accepted but changed nothing (e.g. resuming while already connected). */
  changed: boolean;
}

/**
 * What `applyEvent` made of an event:
 * - `applied`: the machine took a transition.
 * - `ignored`: a media-plane fact or a timer that no longer applies (late, duplicate); not an error.
 * - `rejected`: a command that the current state does not allow; the caller should get FAILED_PRECONDITION.
 */
export type Outcome =
  | { kind: "applied"; step: Step }
  | { kind: "ignored" }
  | { kind: "rejected"; state: LifecycleState };

/** The states a session can rest in, flattened from the machine's parallel regions. */
export type LifecycleState =
  | "awaitingKeyRedemption"
  | "awaitingAcceptance"
  | "selectingScreen"
  | "sharing"
  | "sharerReconnecting"
  | "viewerReconnecting"
  | "ended";

const COMMANDS: ReadonlySet<string> = new Set(COMMAND_EVENTS);

/** Starts a session: the first snapshot plus the effects and timers of entering it. */
export function startSession(input: SessionInput): Step {
  const [snapshot, actions] = ownStep.start(input);
  return toStep(snapshot, actions, input.at, true);
}

/**
 * Applies one event to a stored session. Pure: the same stored session and event always give the same result.
 * Timer events (from a `TimerRequest`) are passed as `{ type: eventType, at: fireAt }`; one whose `at` is before the
 * deadline in the session's context is stale (armed for an earlier visit of its state) and ignored.
 */
export function applyEvent(session: PersistedSession, event: SessionEvent | { type: string; at: number }): Outcome {
  const snapshot = restore(session);
  if (snapshot.status !== "active" || !snapshot.can(event as SessionEvent) || isStaleTimer(session.context, event)) {
    return COMMANDS.has(event.type) ? { kind: "rejected", state: lifecycleStateOf(session) } : { kind: "ignored" };
  }
  const [next, actions] = ownStep.transition(snapshot, event);
  const changed =
    JSON.stringify(next.value) !== JSON.stringify(snapshot.value) || next.context !== snapshot.context;
  return { kind: "applied", step: toStep(next, actions, event.at, changed) };
}

/** Whether `event` would be applied, ignored or rejected, without applying it. */
export function classifyEvent(session: PersistedSession, event: SessionEvent | { type: string; at: number }): Outcome["kind"] {
  const snapshot = restore(session);
  if (snapshot.status === "active" && snapshot.can(event as SessionEvent) && !isStaleTimer(session.context, event)) {
    return "applied";
  }
  return COMMANDS.has(event.type) ? "rejected" : "ignored";
}

/** The single state a session is in, for clients and the protocol. The sharer's reconnect outranks the viewer's. */
export function lifecycleStateOf(session: PersistedSession): LifecycleState {
  if (session.status === "done") return "ended";
  const value = session.value as { live: { lifecycle: string; viewer: string } };
  const lifecycle = value.live.lifecycle as LifecycleState;
  if (lifecycle === "sharerReconnecting") return lifecycle;
  if (value.live.viewer === "reconnecting") return "viewerReconnecting";
  return lifecycle;
}

/**
 * The viewer's "busy" slot, derived from the state and never stored apart: a viewer is busy with a session
 * exactly while it has not ended.
 */
export function isLive(session: PersistedSession): boolean {
  return session.status !== "done";
}

/** Why the session ended, or undefined while it is live. */
export function endReasonOf(session: PersistedSession): EndReason | undefined {
  return session.context.endReason;
}

/** When the state the session rests in times out (epoch ms), or undefined when it does not. */
export function stateDeadlineOf(session: PersistedSession): number | undefined {
  const state = lifecycleStateOf(session);
  if (state === "ended") return undefined;
  if (state === "viewerReconnecting") return session.context.deadlines.viewerGrace;
  return session.context.deadlines.lifecycle;
}

/**
 * Every timer a live session should have armed right now, from the deadlines in its context. A host that lost
 * its timers (a restart) re-arms exactly these.
 */
export function pendingTimers(session: PersistedSession): TimerRequest[] {
  if (!isLive(session)) return [];
  const snapshot = restore(session);
  const timers: TimerRequest[] = [];
  for (const node of snapshot._nodes) {
    for (const delayed of node.after) {
      const eventType = delayed.eventType;
      const fireAt = deadlineFor(session.context, eventType);
      if (fireAt !== undefined) timers.push({ id: eventType, eventType, fireAt });
    }
  }
  return timers;
}

/**
 * A timer event that fires before the deadline the session now holds for it was armed for an earlier visit of its
 * state (a regenerated key, a second disconnect, a screen switched back to choosing) and lost the race with its
 * cancellation: the ids of a state's timers repeat, so only the time tells them apart.
 */
function isStaleTimer(context: SessionContext, event: { type: string; at: number }): boolean {
  if (!event.type.startsWith("xstate.after.")) return false;
  const deadline = deadlineFor(context, event.type);
  return deadline !== undefined && event.at < deadline;
}

function deadlineFor(context: SessionContext, eventType: string): number | undefined {
  if (eventType.includes(".maxSessionDuration.")) return context.deadlines.maxDuration;
  if (eventType.includes(".viewerReconnectGrace.")) return context.deadlines.viewerGrace;
  return context.deadlines.lifecycle;
}

function restore(session: PersistedSession): AnyMachineSnapshot & ReturnType<typeof sessionMachine.resolveState> {
  return sessionMachine.resolveState(session as Parameters<typeof sessionMachine.resolveState>[0]);
}

function persist(snapshot: AnyMachineSnapshot): PersistedSession {
  return JSON.parse(JSON.stringify(sessionMachine.getPersistedSnapshot(snapshot as never))) as PersistedSession;
}

type ExecutableAction = { type: string; params?: unknown };

/**
 * One inert actor scope, shaped as XState's own, for every step: XState's `transition()` and `initialTransition()`
 * build a new actor per call only to get a scope, and that actor evaluates the machine's initial state with no input
 * (which throws inside and is thrown away). That was a measurable share of a server's CPU per event. The scope's
 * executor records actions instead of running them, so steps stay pure.
 */
let recorded: ExecutableAction[] = [];
const scopeActor = createActor(sessionMachine, {
  input: { sessionId: "", orgId: "", interactionId: "", viewerUserId: "", channel: "voice", timeouts: DEFAULT_TIMEOUTS, at: 0 },
});
const inertScope: AnyActorScope = {
  self: scopeActor,
  id: "",
  sessionId: "",
  system: scopeActor.system,
  logger: () => {},
  defer: () => {},
  emit: () => {},
  stopChild: () => {},
  actionExecutor: (action) => {
    recorded.push(action);
  },
};

/** The two raw steps in the inert scope, exported for the test that compares them with XState's own. */
export const ownStep = {
  start: (input: SessionInput) => pure(() => sessionMachine.getInitialSnapshot(inertScope, input)),
  transition: (snapshot: ReturnType<typeof restore>, event: SessionEvent | { type: string; at: number }) =>
    pure(() => sessionMachine.transition(snapshot, event as SessionEvent, inertScope)),
};

/** Runs one synchronous step in the inert scope; returns its result and the actions it would have run. */
function pure<T>(step: () => T): [T, ExecutableAction[]] {
  recorded = [];
  const result = step();
  return [result, recorded];
}

function toStep(snapshot: AnyMachineSnapshot, actions: readonly ExecutableAction[], at: number, changed: boolean): Step {
  const step: Step = { session: persist(snapshot), effects: [], schedule: [], cancel: [], changed };
  for (const action of actions) {
    if (HOST_EFFECTS.has(action.type)) {
      step.effects.push(action.type as HostEffect);
    } else if (action.type === "xstate.raise") {
      const params = action.params as { event: { type: string }; id?: string; delay?: number };
      if (params.delay === undefined) continue;
      step.schedule.push({ id: params.id ?? params.event.type, eventType: params.event.type, fireAt: at + params.delay });
    } else if (action.type === "xstate.cancel") {
      step.cancel.push((action.params as { sendId: string }).sendId);
    }
  }
  return step;
}
