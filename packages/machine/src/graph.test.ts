import { SessionState as ProtoSessionState } from "@screenshare/protocol";
import { describe, expect, it } from "vitest";
import type { AnyMachineSnapshot } from "xstate";
import { TestModel } from "xstate/graph";
import { applyEvent, classifyEvent, type LifecycleState, lifecycleStateOf, type PersistedSession, pendingTimers, startSession } from "./host.js";
import { END_REASONS, sessionMachine } from "./machine.js";
import {
  allEventTypes,
  coveredTransitions,
  EXPLORATION_VARIANTS,
  exampleEvent,
  lifecyclePaths,
  listTransitions,
  machineEventTypes,
  variantInput,
} from "./paths.js";
import { fromProtoSessionState, PROTO_SESSION_STATE } from "./protocol.js";

const events = allEventTypes().map((type) => exampleEvent(type, 1_000));
const machineEvents = machineEventTypes().map((type) => exampleEvent(type, 1_000));
// Small and all different, so that a deadline taken from the wrong timeout shows.
const timeouts = {
  securityKeyTtlMs: 5_000,
  acceptanceTimeoutMs: 4_000,
  screenSelectionTimeoutMs: 3_000,
  viewerReconnectGraceMs: 2_000,
  sharerReconnectGraceMs: 1_500,
  maxSessionDurationMs: 60_000,
  pauseTimeoutMs: 2_500,
};
const persist = (snapshot: AnyMachineSnapshot) => JSON.parse(JSON.stringify(sessionMachine.getPersistedSnapshot(snapshot as never))) as PersistedSession;

/** Every reachable snapshot of every variant, keyed by variant and state, with its successors. */
function stateSpace() {
  const nodes = new Map<string, { snapshot: AnyMachineSnapshot; next: Set<string> }>();
  for (const variant of EXPLORATION_VARIANTS) {
    const key = (snapshot: AnyMachineSnapshot) => `${variant.channel}/${variant.grace}|${JSON.stringify(snapshot.value)}|${snapshot.context.endReason ?? ""}`;
    const model = new TestModel(sessionMachine, {
      input: variantInput(variant, timeouts),
      events: machineEvents as never,
      serializeState: (snapshot) => key(snapshot as AnyMachineSnapshot),
    });
    for (const [id, entry] of Object.entries(model.getAdjacencyMap())) {
      const next = new Set(Object.values(entry.transitions).map((edge) => key((edge as { state: AnyMachineSnapshot }).state)));
      nodes.set(id, { snapshot: entry.state as AnyMachineSnapshot, next });
    }
  }
  return nodes;
}

const space = stateSpace();
const live = [...space.values()].filter(({ snapshot }) => snapshot.status === "active");

describe("the whole state space", () => {
  it("is explored", () => {
    console.log(`reachable states: ${space.size} (${live.length} live) over ${EXPLORATION_VARIANTS.length} variants`);
    expect(live.length).toBeGreaterThan(10);
  });

  it("lets every reachable state reach ended", () => {
    const stuck = [...space.entries()].filter(([start]) => {
      const seen = new Set([start]);
      const queue = [start];
      while (queue.length > 0) {
        const node = space.get(queue.shift() as string);
        if (node?.snapshot.status === "done") return false;
        for (const next of node?.next ?? []) if (!seen.has(next) && seen.add(next)) queue.push(next);
      }
      return true;
    });
    expect(stuck.map(([id]) => id)).toEqual([]);
  });

  it("ends every live state with INTERACTION_DISCONNECTED when the interaction disconnects", () => {
    for (const { snapshot } of live) {
      const outcome = applyEvent(persist(snapshot), { type: "INTERACTION_DISCONNECTED", at: 2_000 });
      expect(outcome.kind).toBe("applied");
      if (outcome.kind !== "applied") continue;
      expect(outcome.step.session.status).toBe("done");
      expect(outcome.step.session.context.endReason).toBe("INTERACTION_DISCONNECTED");
      expect(outcome.step.effects).toContain("deleteMediaRoom");
    }
  });

  it("answers every event in every state as exactly one of applied, ignored or rejected, without throwing", () => {
    const counts = { applied: 0, ignored: 0, rejected: 0 };
    for (const { snapshot } of space.values()) {
      const session = persist(snapshot);
      const timers = pendingTimers(session);
      for (const { type } of events) {
        // A timer is sent at its deadline, as a host does; a pending one sent earlier is stale and ignored.
        const timer = timers.find((pending) => pending.eventType === type);
        const event = exampleEvent(type, timer?.fireAt ?? 1_000);
        const outcome = applyEvent(session, event);
        expect(["applied", "ignored", "rejected"]).toContain(outcome.kind);
        expect(classifyEvent(session, event)).toBe(outcome.kind);
        if (timer) {
          expect(outcome.kind, `${type} in ${JSON.stringify(session.value)}`).toBe("applied");
          expect(applyEvent(session, { type, at: timer.fireAt - 1 }).kind).toBe("ignored");
          // Its deadline is its own delay after the state was entered (at 0 on start, at 1 000 by any event).
          const ms = timeouts[`${timer.delay}Ms`];
          expect([ms, 1_000 + ms], `${type} in ${JSON.stringify(session.value)}`).toContain(timer.fireAt);
        }
        counts[outcome.kind]++;
      }
    }
    console.log(`event answers: ${JSON.stringify(counts)}`);
    expect(counts.rejected).toBeGreaterThan(0);
    expect(counts.ignored).toBeGreaterThan(0);
  });

  it("reaches every end reason and every protocol state, and maps states both ways", () => {
    const reasons = new Set([...space.values()].map(({ snapshot }) => snapshot.context.endReason).filter(Boolean));
    expect([...reasons].sort()).toEqual([...END_REASONS].sort());
    const states = new Set<LifecycleState>([...space.values()].map(({ snapshot }) => lifecycleStateOf(persist(snapshot))));
    const protoStates = new Set([...states].map((state) => PROTO_SESSION_STATE[state]));
    const allProto = Object.values(ProtoSessionState).filter(
      (value): value is ProtoSessionState => typeof value === "number" && value !== ProtoSessionState.UNSPECIFIED,
    );
    expect([...protoStates].sort()).toEqual(allProto.sort());
    for (const state of states) expect(fromProtoSessionState(PROTO_SESSION_STATE[state])).toBe(state);
    expect(fromProtoSessionState(ProtoSessionState.UNSPECIFIED)).toBeUndefined();
  });
});

describe("generated paths", () => {
  const paths = lifecyclePaths();
  const transitions = listTransitions();

  it("take every transition of the machine definition", () => {
    const covered = coveredTransitions(paths);
    const missing = transitions.filter((transition) => !covered.has(transition.id)).map((transition) => transition.id);
    console.log(`transition coverage: ${transitions.length - missing.length}/${transitions.length} by ${paths.length} paths`);
    expect(missing).toEqual([]);
  });

  it("agree with the pure host API step by step, through JSON round-trips", () => {
    for (const path of paths) {
      const variant = variantInput(path.variant, timeouts);
      let session = JSON.parse(JSON.stringify(startSession(variant).session)) as PersistedSession;
      expect(lifecycleStateOf(session), path.name).toBe(path.initialState);
      for (const step of path.steps) {
        const timer = pendingTimers(session).find((pending) => pending.eventType === step.event);
        const outcome = applyEvent(session, exampleEvent(step.event, timer?.fireAt ?? 1_000));
        expect(outcome.kind, `${path.name} at ${step.event}`).toBe("applied");
        if (outcome.kind === "applied") session = JSON.parse(JSON.stringify(outcome.step.session));
        expect(lifecycleStateOf(session), `${path.name} at ${step.event}`).toBe(step.expectedState);
        expect(session.context.endReason).toBe(step.expectedEndReason);
      }
    }
  });
});
