import { type AnyTransitionDefinition, createActor } from "xstate";
import { TestModel } from "xstate/graph";
import { type LifecycleState, lifecycleStateOf, type PersistedSession } from "./host.js";
import {
  type Channel,
  COMMAND_EVENTS,
  DEFAULT_TIMEOUTS,
  FACT_EVENTS,
  type LifecycleTimeouts,
  type SessionInput,
  sessionMachine,
  TIMERS,
  type TransferTarget,
  timerEventType,
} from "./machine.js";
import { allNodes, hostEventType, listTransitions, machineEventType, transitionId } from "./transitions.js";

export { sessionMachine } from "./machine.js";
export { definitionOf, listTransitions, type TransitionInfo } from "./transitions.js";

/** Every event type a host can send: commands, facts and timers. */
export function allEventTypes(): string[] {
  return [...COMMAND_EVENTS, ...FACT_EVENTS, ...TIMERS.map(timerEventType)];
}

/**
 * Every event type XState itself knows, timers by their internal names: for exploring the machine with XState's
 * graph tools, which send events to it directly. Hosts use {@link allEventTypes}.
 */
export function machineEventTypes(): string[] {
  return [...COMMAND_EVENTS, ...FACT_EVENTS, ...allNodes().flatMap((node) => node.after.map((delayed) => delayed.eventType))];
}

/** The viewer a generated transfer moves a session to (explored sessions start with `viewer`). */
export const EXAMPLE_TRANSFER_TARGET: TransferTarget = { toViewerUserId: "transferee", toViewerDisplayName: "Transferee" };

/**
 * A host event of `type` as generated paths send it: a transfer names {@link EXAMPLE_TRANSFER_TARGET}, every other
 * event carries nothing but its time.
 */
export function exampleEvent(type: string, at: number): { type: string; at: number } & Partial<TransferTarget> {
  return type === "VIEWER_TRANSFERRED" ? { type, at, ...EXAMPLE_TRANSFER_TARGET } : { type, at };
}

/** One configuration to explore: a channel and whether reconnect grace windows are 0 (the legacy behaviour). */
export interface ExplorationVariant {
  channel: Channel;
  grace: "none" | "window";
}

/** The four variants that together reach every transition. */
export const EXPLORATION_VARIANTS: readonly ExplorationVariant[] = [
  { channel: "voice", grace: "window" },
  { channel: "chat", grace: "window" },
  { channel: "voice", grace: "none" },
  { channel: "chat", grace: "none" },
];

/** The machine input of a variant, with the given timeouts (defaults otherwise). */
export function variantInput(variant: ExplorationVariant, timeouts: LifecycleTimeouts = DEFAULT_TIMEOUTS): SessionInput {
  const grace = variant.grace === "none" ? { viewerReconnectGraceMs: 0, sharerReconnectGraceMs: 0 } : {};
  return {
    sessionId: "explored",
    orgId: "org",
    interactionId: "interaction",
    viewerUserId: "viewer",
    channel: variant.channel,
    timeouts: { ...timeouts, ...grace },
    at: 0,
  };
}

/** One step of a generated path: the event to send and what the session must look like afterwards. */
export interface PathStep {
  event: string;
  /** The flattened state after the event. */
  expectedState: LifecycleState;
  /** The end reason after the event, when it ended the session. */
  expectedEndReason?: string;
  /** The machine transitions this step takes (ids from `listTransitions`), `always` edges included. */
  transitions: string[];
}

/** A path from a new session, named by its events, e.g. `voice/KEY_REDEEMED/SCREEN_TRACK_PUBLISHED/VIEWER_LEFT`. */
export interface LifecyclePath {
  name: string;
  variant: ExplorationVariant;
  /** Transitions taken when the session starts (its `always` routing). */
  initialTransitions: string[];
  initialState: LifecycleState;
  steps: PathStep[];
}

/**
 * Paths that together take every transition of the machine: one shortest path to each (state, incoming event)
 * pair, over every variant. The serialized state includes the event that led to it, so that every edge becomes
 * a node of its own and shortest paths cover edges, `after` edges included (`createTestModel` refuses `after`).
 */
export function lifecyclePaths(variants: readonly ExplorationVariant[] = EXPLORATION_VARIANTS): LifecyclePath[] {
  // The graph is explored in XState's own event names; paths are named in the host's.
  const hostTypes = new Map(allNodes().flatMap((node) => node.after.map((delayed) => [delayed.eventType, hostEventType(node, delayed.eventType)] as const)));
  const events = machineEventTypes().map((type) => exampleEvent(type, 0));
  const paths: LifecyclePath[] = [];
  for (const variant of variants) {
    const model = new TestModel(sessionMachine, {
      input: variantInput(variant),
      // Only events that apply: ignored and rejected ones change nothing and would only multiply paths.
      events: ((snapshot: { can(event: unknown): boolean }) => events.filter((event) => snapshot.can(event))) as never,
      serializeState: (snapshot, event, previous) =>
        [previous?.value, event?.type, snapshot.value, snapshot.context.endReason].map((part) => JSON.stringify(part)).join("|"),
    });
    for (const path of model.getShortestPaths()) {
      const eventTypes = path.steps
        .map((step) => step.event.type as string)
        .filter((type) => type !== "xstate.init")
        .map((type) => hostTypes.get(type) ?? type);
      paths.push(replay(variant, eventTypes));
    }
  }
  const seen = new Set<string>();
  const unique = paths.filter((path) => !seen.has(path.name) && seen.add(path.name));
  return [...unique, ...pathsForTargetless(unique)];
}

/**
 * The graph traversal drops steps that leave the snapshot as it was, so targetless transitions (a resume while
 * already connected) get their own paths: a known prefix that reaches the source state, plus the event.
 */
function pathsForTargetless(paths: readonly LifecyclePath[]): LifecyclePath[] {
  const covered = coveredTransitions(paths);
  const extra: LifecyclePath[] = [];
  for (const transition of listTransitions()) {
    if (covered.has(transition.id) || transition.event === "always") continue;
    search: for (const path of paths) {
      for (let length = 0; length <= path.steps.length; length++) {
        const prefix = path.steps.slice(0, length).map((step) => step.event);
        const candidate = replay(path.variant, [...prefix, transition.event]);
        if (candidate.steps.at(-1)?.transitions.includes(transition.id)) {
          extra.push(candidate);
          break search;
        }
      }
    }
  }
  return extra;
}

/** Runs `eventTypes` (host event types) through a real actor and records states and the transitions taken at each step. */
export function replay(variant: ExplorationVariant, eventTypes: readonly string[]): LifecyclePath {
  let taken: string[] = [];
  const actor = createActor(sessionMachine, {
    input: variantInput(variant),
    inspect: (inspection) => {
      if (inspection.type === "@xstate.microstep") {
        taken.push(...(inspection as unknown as { _transitions: AnyTransitionDefinition[] })._transitions.map(transitionId));
      }
    },
  });
  actor.start();
  const stateNow = () => lifecycleStateOf(actor.getPersistedSnapshot() as unknown as PersistedSession);
  const path: LifecyclePath = {
    name: [`${variant.channel}${variant.grace === "none" ? "-nograce" : ""}`, ...eventTypes].join("/"),
    variant,
    initialTransitions: taken,
    initialState: stateNow(),
    steps: [],
  };
  for (const type of eventTypes) {
    taken = [];
    actor.send(exampleEvent(machineEventType(actor.getSnapshot()._nodes, type), 0) as never);
    const step: PathStep = { event: type, expectedState: stateNow(), transitions: taken };
    const reason = actor.getSnapshot().context.endReason;
    if (reason !== undefined) step.expectedEndReason = reason;
    path.steps.push(step);
  }
  actor.stop();
  return path;
}

/** The ids of all transitions that `paths` take. */
export function coveredTransitions(paths: readonly LifecyclePath[]): Set<string> {
  return new Set(paths.flatMap((path) => [...path.initialTransitions, ...path.steps.flatMap((step) => step.transitions)]));
}
