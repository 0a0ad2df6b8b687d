import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from "xstate";
import { sessionMachine, type TIMERS, timerEventType, timerOf } from "./machine.js";

// The machine definition's transitions, named as hosts name events. Light on purpose (no xstate/graph): the
// runtime entry uses it for `eventsHandledIn`.

/** One transition of the machine definition. */
export interface TransitionInfo {
  /** Stable id: `source|event|index` (index among the source's candidates for that event). */
  id: string;
  /** Dotted state id of the source, e.g. `session.live.lifecycle.sharing`. */
  source: string;
  /** The host's event type; `always` for eventless transitions; timers are `TIMEOUT:<timer>`, e.g. `TIMEOUT:securityKeyTtl`. */
  event: string;
  guard?: string;
  /** Dotted state ids of the targets; empty for a targetless transition. */
  targets: string[];
  actions: string[];
  /** Present when the transition leaves and enters its own state again (its exit and entry actions run). */
  reenter?: true;
}

export function allNodes(node: AnyStateNode = sessionMachine.root): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => allNodes(child))];
}

/** The host's name of a machine event type: a timer's XState name (which carries its state's id) becomes its own. */
export function hostEventType(node: AnyStateNode, machineEventType: string): string {
  const delayed = node.after.find((candidate) => candidate.eventType === machineEventType);
  return delayed ? timerEventType(delayed.delay as (typeof TIMERS)[number]) : machineEventType;
}

/** XState's name of a host event type in `nodes` (a snapshot's active states or a transition's source). */
export function machineEventType(nodes: Iterable<AnyStateNode>, hostType: string): string {
  const timer = timerOf(hostType);
  if (!timer) return hostType;
  for (const node of nodes) {
    const delayed = node.after.find((candidate) => candidate.delay === timer);
    if (delayed) return delayed.eventType;
  }
  return hostType;
}

/** The machine's definition of a listed transition (for reading its actions' parameters). */
export function definitionOf(info: TransitionInfo, machine: AnyStateMachine = sessionMachine): AnyTransitionDefinition | undefined {
  const source = allNodes(machine.root).find((node) => node.id === info.source);
  if (!source) return undefined;
  const candidates = info.event === "always" ? (source.always ?? []) : (source.transitions.get(machineEventType([source], info.event)) ?? []);
  return candidates[Number(info.id.split("|").at(-1))];
}

function describe(transition: AnyTransitionDefinition, index: number): TransitionInfo {
  const event = transition.eventType === "" ? "always" : hostEventType(transition.source, transition.eventType);
  const guard = transition.guard;
  const info: TransitionInfo = {
    id: `${transition.source.id}|${event}|${index}`,
    source: transition.source.id,
    event,
    targets: (transition.target ?? []).map((node) => node.id),
    actions: transition.actions.map((action) =>
      typeof action === "string" ? action : typeof action === "object" && "type" in action ? String(action.type) : "inline",
    ),
  };
  if (guard !== undefined) info.guard = typeof guard === "string" ? guard : (guard as { type: string }).type;
  if (transition.reenter) info.reenter = true;
  return info;
}

/**
 * Every transition of the machine definition, `after` and `always` edges included, in definition order.
 * `machine` is for comparing another build of the same definition (e.g. one made from the exported JSON).
 */
export function listTransitions(machine: AnyStateMachine = sessionMachine): TransitionInfo[] {
  return allNodes(machine.root).flatMap((node) => [
    ...[...node.transitions.values()].flatMap((candidates) => candidates.map(describe)),
    ...(node.always ?? []).map(describe),
  ]);
}

export function transitionId(transition: AnyTransitionDefinition): string {
  const source = transition.source;
  const candidates = transition.eventType === "" ? (source.always ?? []) : (source.transitions.get(transition.eventType) ?? []);
  return describe(transition, candidates.indexOf(transition)).id;
}
