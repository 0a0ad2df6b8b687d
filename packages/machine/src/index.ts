/**
 * The screen share session lifecycle at run time: the pure host API around one XState v5 machine. A host stores
 * `PersistedSession` JSON, applies events with `applyEvent`, carries out the returned effects and arms the
 * returned timers, all by stable names. Graph tooling (generated paths, transition lists) is on
 * `@screenshare/machine/paths`, so that browsers never load `xstate/graph`.
 */

export {
  applyEvent,
  endReasonOf,
  type HostEffect,
  isLive,
  type LifecycleState,
  lifecycleStateOf,
  type Outcome,
  type PersistedSession,
  pendingTimers,
  type Step,
  startSession,
  stateDeadlineOf,
  type TimerRequest,
} from "./host.js";
export {
  type Channel,
  DEFAULT_TIMEOUTS,
  type EndReason,
  type HostEvent,
  type LifecycleTimeouts,
  type SessionContext,
  type SessionEvent,
  type SessionEventType,
  type SessionInput,
  type TimerEventType,
  type TimerName,
  type TransferTarget,
  timerEventType,
  timerOf,
} from "./machine.js";
export { eventsHandledIn, PROTO_SESSION_STATE, toProtoEndReason } from "./protocol.js";
