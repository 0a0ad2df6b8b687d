import { type AnyActorScope, type AnyMachineSnapshot, createActor } from "xstate";
import {
  COMMAND_EVENTS,
  DEFAULT_TIMEOUTS,
  type EndReason,
  FACT_EVENTS,
  type HostEvent,
  type SessionContext,
  type SessionEvent,
  type SessionInput,
  type SessionMachine,
  sessionMachine,
  type TimerEventType,
  type TimerName,
  type TransferTarget,
  timerEventType,
  timerOf,
} from "./machine.js";

/** A side effect the host must carry out after a step, named as in the machine definition. */
export type HostEffect =
  | "createMediaRoom"
  | "deleteMediaRoom"
  | "issueSecurityKey"
  | "revokeSecurityKey"
  | "sendInvitation"
  | "withdrawInvitation"
  | "revokeSharerCredential"
  | "muteScreen"
  | "unmuteScreen"
  | "evictFormerViewer";

const HOST_EFFECTS: ReadonlySet<string> = new Set<HostEffect>([
  "createMediaRoom",
  "deleteMediaRoom",
  "issueSecurityKey",
  "revokeSecurityKey",
  "sendInvitation",
  "withdrawInvitation",
  "revokeSharerCredential",
  "muteScreen",
  "unmuteScreen",
  "evictFormerViewer",
]);

/**
 * A timer the host must arm: at `fireAt`, send `{ type: eventType, at: fireAt }` back through `applyEvent`. A timer
 * sent with an `at` before the deadline its state holds now is stale and ignored, so a timer that fired while its
 * cancellation was on the way does no harm. Every name here is stable: safe to store.
 */
export interface TimerRequest {
  /** Unique within a session; a later step may cancel it by this id. The timer's name. */
  id: TimerName;
  /** Which timer, e.g. `securityKeyTtl`. */
  delay: TimerName;
  /** The event to send when it falls due, e.g. `TIMEOUT:securityKeyTtl`. */
  eventType: TimerEventType;
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
  cancel: TimerName[];
  /** False for an event that was accepted but changed nothing (e.g. resuming while already connected). */
  changed: boolean;
}

/**
 * What `applyEvent` made of an event:
 * - `applied`: the machine took a transition.
 * - `ignored`: a media-plane fact or a timer that no longer applies (late, duplicate); not an error.
 * - `rejected`: a command that the current state does not allow; the caller should get FAILED_PRECONDITION.
 */
export type Outcome = { kind: "applied"; step: Step } | { kind: "ignored" } | { kind: "rejected"; state: LifecycleState };

/** The states a session can rest in, flattened from the machine's parallel regions. */
export type LifecycleState =
  | "awaitingKeyRedemption"
  | "awaitingAcceptance"
  | "selectingScreen"
  | "sharing"
  | "paused"
  | "sharerReconnecting"
  | "viewerReconnecting"
  | "ended";

const COMMANDS: ReadonlySet<string> = new Set(COMMAND_EVENTS);
const HOST_EVENTS: ReadonlySet<string> = new Set([...COMMAND_EVENTS, ...FACT_EVENTS]);

/** An event as `applyEvent` accepts it: typed for hosts, any string for generated and replayed ones. */
type AnyHostEvent = HostEvent | ({ type: string; at: number } & Partial<TransferTarget>);
type ExecutableAction = { type: string; params?: unknown };
type Snapshot = AnyMachineSnapshot & ReturnType<SessionMachine["resolveState"]>;

/**
 * The host API over one build of the machine. The package's functions use `sessionMachine`; another build (a
 * changed copy in a test) shows what stored sessions and histories survive a change of the definition.
 */
export function createHost(machine: SessionMachine) {
  const restore = (session: PersistedSession): Snapshot => machine.resolveState(session as Parameters<SessionMachine["resolveState"]>[0]);
  const persist = (snapshot: AnyMachineSnapshot): PersistedSession =>
    JSON.parse(JSON.stringify(machine.getPersistedSnapshot(snapshot as never))) as PersistedSession;

  // XState names a timer's event after the state that arms it; hosts only ever see the timer's name.
  const timerOfInternal = new Map<string, TimerName>();
  const visit = (node: SessionMachine["root"]): void => {
    for (const delayed of node.after) timerOfInternal.set(delayed.eventType, delayed.delay as TimerName);
    for (const child of Object.values(node.states)) visit(child as SessionMachine["root"]);
  };
  visit(machine.root);

  /** The machine's event for a host event; a timer maps to the pending one of that name, if any. */
  const toMachineEvent = (snapshot: Snapshot, event: AnyHostEvent): SessionEvent | undefined => {
    const timer = timerOf(event.type);
    // Only the host's own event types: an XState-internal name sent from outside is not an event of ours.
    if (!timer) return HOST_EVENTS.has(event.type) ? (event as SessionEvent) : undefined;
    for (const node of snapshot._nodes) {
      const delayed = node.after.find((candidate) => candidate.delay === timer);
      if (delayed) return { type: delayed.eventType, at: event.at } as unknown as SessionEvent;
    }
    return undefined;
  };

  /**
   * One inert actor scope, shaped as XState's own, for every step: XState's `transition()` and `initialTransition()`
   * build a new actor per call only to get a scope, and that actor evaluates the machine's initial state with no
   * input (which throws inside and is thrown away). That was a measurable share of a server's CPU per event. The
   * scope's executor records actions instead of running them, so steps stay pure.
   */
  let recorded: ExecutableAction[] = [];
  const scopeActor = createActor(machine, {
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
  const pure = <T>(step: () => T): [T, ExecutableAction[]] => {
    recorded = [];
    const result = step();
    return [result, recorded];
  };
  /** The two raw steps in the inert scope, exported for the test that compares them with XState's own. */
  const ownStep = {
    start: (input: SessionInput) => pure(() => machine.getInitialSnapshot(inertScope, input)),
    transition: (snapshot: Snapshot, event: SessionEvent) => pure(() => machine.transition(snapshot, event, inertScope)),
  };

  const toStep = (snapshot: AnyMachineSnapshot, actions: readonly ExecutableAction[], at: number, changed: boolean): Step => {
    const step: Step = { session: persist(snapshot), effects: [], schedule: [], cancel: [], changed };
    for (const action of actions) {
      if (HOST_EFFECTS.has(action.type)) {
        step.effects.push(action.type as HostEffect);
      } else if (action.type === "xstate.raise") {
        const params = action.params as { event: { type: string }; delay?: number };
        const timer = timerOfInternal.get(params.event.type);
        if (params.delay === undefined || !timer) continue;
        step.schedule.push({ id: timer, delay: timer, eventType: timerEventType(timer), fireAt: at + params.delay });
      } else if (action.type === "xstate.cancel") {
        const timer = timerOfInternal.get((action.params as { sendId: string }).sendId);
        if (timer) step.cancel.push(timer);
      }
    }
    return step;
  };

  /** The machine's event for `event` when the session would apply it now; undefined when it would not. */
  const applicable = (session: PersistedSession, snapshot: Snapshot, event: AnyHostEvent): SessionEvent | undefined => {
    const machineEvent = snapshot.status === "active" ? toMachineEvent(snapshot, event) : undefined;
    return machineEvent && snapshot.can(machineEvent) && !isStaleTimer(session.context, event) ? machineEvent : undefined;
  };
  const notApplied = (session: PersistedSession, event: AnyHostEvent): Outcome =>
    COMMANDS.has(event.type) ? { kind: "rejected", state: lifecycleStateOf(session) } : { kind: "ignored" };

  return {
    ownStep,
    /** Starts a session: the first snapshot plus the effects and timers of entering it. */
    startSession(input: SessionInput): Step {
      const [snapshot, actions] = ownStep.start(input);
      return toStep(snapshot, actions, input.at, true);
    },
    /**
     * Applies one event to a stored session. Pure: the same stored session and event always give the same result.
     * A timer's event (from a `TimerRequest`) whose `at` is before the deadline in the session's context is stale
     * (armed for an earlier visit of its state) and ignored.
     */
    applyEvent(session: PersistedSession, event: AnyHostEvent): Outcome {
      const snapshot = restore(session);
      const machineEvent = applicable(session, snapshot, event);
      if (!machineEvent) return notApplied(session, event);
      const [next, actions] = ownStep.transition(snapshot, machineEvent);
      const changed = JSON.stringify(next.value) !== JSON.stringify(snapshot.value) || next.context !== snapshot.context;
      return { kind: "applied", step: toStep(next, actions, event.at, changed) };
    },
    /** Whether `event` would be applied, ignored or rejected, without applying it. */
    classifyEvent(session: PersistedSession, event: AnyHostEvent): Outcome["kind"] {
      return applicable(session, restore(session), event) ? "applied" : notApplied(session, event).kind;
    },
    /**
     * Every timer a live session should have armed right now, from the deadlines in its context. A host that lost
     * its timers (a restart) re-arms exactly these.
     */
    pendingTimers(session: PersistedSession): TimerRequest[] {
      if (!isLive(session)) return [];
      const timers: TimerRequest[] = [];
      for (const node of restore(session)._nodes) {
        for (const delayed of node.after) {
          const timer = delayed.delay as TimerName;
          const fireAt = deadlineFor(session.context, timer);
          if (fireAt !== undefined) timers.push({ id: timer, delay: timer, eventType: timerEventType(timer), fireAt });
        }
      }
      return timers;
    },
  };
}

/** The host API of `sessionMachine`. */
export type Host = ReturnType<typeof createHost>;
const host = createHost(sessionMachine);
export const { ownStep, startSession, applyEvent, classifyEvent, pendingTimers } = host;

/** The single state a session is in, for clients and the protocol. The sharer's reconnect outranks the viewer's. */
export function lifecycleStateOf(session: PersistedSession): LifecycleState {
  if (session.status === "done") return "ended";
  const value = session.value as { live: { lifecycle: string | { paused: string }; viewer: string } };
  // A sharer who dropped while paused is reconnecting like any other; the pause is kept for when they are back.
  const pausedIn = typeof value.live.lifecycle === "object" ? value.live.lifecycle.paused : undefined;
  const lifecycle = (pausedIn === undefined ? value.live.lifecycle : pausedIn === "sharerAway" ? "sharerReconnecting" : "paused") as LifecycleState;
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
  if (state === "paused") return session.context.deadlines.pause;
  return session.context.deadlines.lifecycle;
}

/**
 * A timer event that fires before the deadline the session now holds for it was armed for an earlier visit of its
 * state (a regenerated key, a second disconnect, a screen switched back to choosing) and lost the race with its
 * cancellation: a state's timer keeps its name, so only the time tells the visits apart.
 */
function isStaleTimer(context: SessionContext, event: { type: string; at: number }): boolean {
  const timer = timerOf(event.type);
  const deadline = timer && deadlineFor(context, timer);
  return deadline !== undefined && event.at < deadline;
}

function deadlineFor(context: SessionContext, timer: TimerName): number | undefined {
  if (timer === "maxSessionDuration") return context.deadlines.maxDuration;
  if (timer === "viewerReconnectGrace") return context.deadlines.viewerGrace;
  if (timer === "pauseTimeout") return context.deadlines.pause;
  return context.deadlines.lifecycle;
}
