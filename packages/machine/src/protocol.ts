import { EndReason as ProtoEndReason, SessionState as ProtoSessionState } from "@screenshare/protocol";
import type { LifecycleState } from "./host.js";
import { END_REASONS, type EndReason, timerOf } from "./machine.js";
import { listTransitions } from "./transitions.js";

/** Machine state to protocol `SessionState`. Total: a test checks both directions. */
export const PROTO_SESSION_STATE: Readonly<Record<LifecycleState, ProtoSessionState>> = {
  awaitingKeyRedemption: ProtoSessionState.AWAITING_KEY_REDEMPTION,
  awaitingAcceptance: ProtoSessionState.AWAITING_ACCEPTANCE,
  selectingScreen: ProtoSessionState.SELECTING_SCREEN,
  sharing: ProtoSessionState.SHARING,
  paused: ProtoSessionState.PAUSED,
  viewerReconnecting: ProtoSessionState.RECONNECTING_VIEWER,
  sharerReconnecting: ProtoSessionState.RECONNECTING_SHARER,
  ended: ProtoSessionState.ENDED,
};

/** Machine end reason to protocol `EndReason`; the names match by construction. */
export function toProtoEndReason(reason: EndReason | undefined): ProtoEndReason {
  return reason === undefined ? ProtoEndReason.UNSPECIFIED : ProtoEndReason[reason];
}

/** Protocol `EndReason` to machine end reason; undefined for UNSPECIFIED or a value this version does not know. */
export function fromProtoEndReason(reason: ProtoEndReason): EndReason | undefined {
  return END_REASONS.find((name) => ProtoEndReason[name] === reason);
}

/** Protocol `SessionState` to machine state; undefined for UNSPECIFIED or an unknown value. */
export function fromProtoSessionState(state: ProtoSessionState): LifecycleState | undefined {
  const entry = Object.entries(PROTO_SESSION_STATE).find(([, proto]) => proto === state);
  return entry?.[0] as LifecycleState | undefined;
}

/**
 * The events a session in protocol state `state` handles, read from the machine definition: what a client may do
 * now (a command it finds here is accepted) and which media facts move it on. Clients show their controls from this
 * instead of keeping their own list of states. RECONNECTING_VIEWER is shown to sharers, so for it the answer is what
 * the sharer can do under any lifecycle state.
 */
export function eventsHandledIn(state: ProtoSessionState): ReadonlySet<string> {
  const lifecycle = fromProtoSessionState(state);
  if (lifecycle === undefined || lifecycle === "ended") return new Set();
  const lifecycleStates =
    lifecycle === "viewerReconnecting"
      ? (Object.keys(PROTO_SESSION_STATE) as LifecycleState[]).filter((name) => !["ended", "viewerReconnecting", "sharerReconnecting"].includes(name))
      : [lifecycle];
  // Paused is one protocol state over the substates where the sharer is connected.
  const nodesOf = (name: LifecycleState) =>
    name === "paused" ? ["paused", "paused.hidden", "paused.noScreen"].map((node) => `session.live.lifecycle.${node}`) : [`session.live.lifecycle.${name}`];
  const sources = new Set(["session.live", ...lifecycleStates.flatMap(nodesOf)]);
  if (lifecycle !== "viewerReconnecting") sources.add("session.live.viewer.connected");
  return new Set(
    listTransitions()
      .filter((transition) => sources.has(transition.source) && !timerOf(transition.event) && transition.event !== "always")
      .map((transition) => transition.event),
  );
}
