/**
 * The screen share session lifecycle: one XState v5 machine (`sessionMachine`) and the pure host API around it.
 * A host stores `PersistedSession` JSON, applies events with `applyEvent`, carries out the returned effects and
 * arms the returned timers.
 */
export {
  COMMAND_EVENTS,
  DEFAULT_TIMEOUTS,
  END_REASONS,
  FACT_EVENTS,
  sessionMachine,
  type Channel,
  type Deadlines,
  type EndReason,
  type LifecycleTimeouts,
  type SessionContext,
  type SessionEvent,
  type SessionEventType,
  type SessionInput,
  type SessionMachine,
  TIMERS,
  timerEventType,
  timerOf,
  type HostEvent,
  type TimerEventType,
  type TimerName,
} from "./machine.js";
export {
  applyEvent,
  classifyEvent,
  endReasonOf,
  isLive,
  lifecycleStateOf,
  pendingTimers,
  startSession,
  stateDeadlineOf,
  type HostEffect,
  type LifecycleState,
  type Outcome,
  type PersistedSession,
  type Step,
  type TimerRequest,
} from "./host.js";
export { PROTO_SESSION_STATE, eventsHandledIn, fromProtoEndReason, fromProtoSessionState, toProtoEndReason } from "./protocol.js";
export {
  allEventTypes,
  coveredTransitions,
  EXPLORATION_VARIANTS,
  lifecyclePaths,
  listTransitions,
  replay,
  variantInput,
  type ExplorationVariant,
  type LifecyclePath,
  type PathStep,
  type TransitionInfo,
} from "./paths.js";
