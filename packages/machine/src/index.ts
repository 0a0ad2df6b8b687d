/**
 * The screen share session lifecycle at run time: the pure host API around one XState v5 machine. A host stores
 * `PersistedSession` JSON, applies events with `applyEvent`, carries out the returned effects and arms the
 * returned timers, all by stable names. Graph tooling (generated paths, transition lists) is on
 * `@screenshare/machine/paths`, so that browsers never load `xstate/graph`.
 */
export {
  DEFAULT_TIMEOUTS,
  timerOf,
  type Channel,
  type EndReason,
  type HostEvent,
  type LifecycleTimeouts,
  type SessionContext,
  type SessionEvent,
  type SessionEventType,
  type SessionInput,
  type TimerEventType,
  type TimerName,
} from "./machine.js";
export {
  applyEvent,
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
export { PROTO_SESSION_STATE, eventsHandledIn, toProtoEndReason } from "./protocol.js";
