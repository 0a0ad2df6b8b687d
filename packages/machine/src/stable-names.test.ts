import { describe, expect, it } from "vitest";
import { createMachine } from "xstate";
import { applyEvent, createHost, type PersistedSession, pendingTimers, type Step, startSession } from "./host.js";
import { DEFAULT_TIMEOUTS, type SessionMachine, sessionMachine, TIMERS, timerOf } from "./machine.js";

const T0 = 1_000_000;
const input = { sessionId: "s1", orgId: "org", interactionId: "i1", viewerUserId: "agent", channel: "voice" as const, timeouts: DEFAULT_TIMEOUTS, at: T0 };

/** The machine's definition with one state renamed everywhere: as a later version of this package might ship it. */
function renamed(from: string, to: string): SessionMachine {
  const copy = (value: unknown): unknown => {
    if (typeof value === "string") return value === from ? to : value;
    if (Array.isArray(value)) return value.map(copy);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key === from ? to : key, copy(inner)]));
    return value;
  };
  return createMachine(copy(sessionMachine.config) as never).provide(sessionMachine.implementations as never) as unknown as SessionMachine;
}

/** A host's stored history: what it sent, when; timers by the names the steps gave it. */
function record(): { history: Array<{ type: string; at: number }>; steps: Step[] } {
  const started = startSession(input);
  const regenerated = applyEvent(started.session, { type: "KEY_REGENERATED", at: T0 + 1_000 });
  if (regenerated.kind !== "applied") throw new Error("not applied");
  const [ttl] = regenerated.step.schedule;
  if (!ttl) throw new Error("no timer");
  const expired = applyEvent(regenerated.step.session, { type: ttl.eventType, at: ttl.fireAt });
  if (expired.kind !== "applied") throw new Error("not applied");
  return {
    history: [
      { type: "KEY_REGENERATED", at: T0 + 1_000 },
      { type: ttl.eventType, at: ttl.fireAt },
    ],
    steps: [started, regenerated.step, expired.step],
  };
}

function replayWith(host: ReturnType<typeof createHost>, history: ReadonlyArray<{ type: string; at: number }>): PersistedSession[] {
  let session = host.startSession(input).session;
  const sessions = [session];
  for (const event of history) {
    const outcome = host.applyEvent(session, event);
    if (outcome.kind !== "applied") throw new Error(`${event.type} was ${outcome.kind}`);
    session = outcome.step.session;
    sessions.push(session);
  }
  return sessions;
}

describe("stable names", () => {
  it("are all that stored data holds: timers by their own names, never XState's internal event names", () => {
    const { history, steps } = record();
    const stored = JSON.stringify({
      history,
      timers: steps.map((step) => [step.schedule, step.cancel]),
      pending: pendingTimers(steps[1]?.session as PersistedSession),
    });
    expect(stored).not.toContain("xstate");
    expect(steps[1]?.schedule).toEqual([
      { id: "securityKeyTtl", delay: "securityKeyTtl", eventType: "TIMEOUT:securityKeyTtl", fireAt: T0 + 1_000 + DEFAULT_TIMEOUTS.securityKeyTtlMs },
    ]);
    expect(steps[1]?.cancel).toEqual(["securityKeyTtl"]);
  });

  it("name the machine's delays exactly", () => {
    expect(Object.keys(sessionMachine.implementations.delays).sort()).toEqual([...TIMERS].sort());
  });

  it("let a stored history replay on a machine whose states were renamed", () => {
    const { history } = record();
    const before = replayWith(createHost(sessionMachine), history);
    const after = replayWith(createHost(renamed("awaitingKeyRedemption", "keyReadAloud")), history);
    expect(JSON.stringify(after[1]?.value)).toContain("keyReadAloud");
    expect(after.map((session) => session.context)).toEqual(before.map((session) => session.context));
    expect(after.at(-1)?.context.endReason).toBe("KEY_EXPIRED");
  });

  it("are the only event names accepted: an XState-internal timer name is not an event of the host's", () => {
    const session = startSession(input).session;
    const internal = "xstate.after.securityKeyTtl.session.live.lifecycle.awaitingKeyRedemption";
    expect(applyEvent(session, { type: internal, at: T0 + DEFAULT_TIMEOUTS.securityKeyTtlMs }).kind).toBe("ignored");
    expect(applyEvent(session, { type: "TIMEOUT:securityKeyTtl", at: T0 + DEFAULT_TIMEOUTS.securityKeyTtlMs }).kind).toBe("applied");
  });
});

describe("the runtime entry", () => {
  it("lists only events a party or the media plane sends as what a state handles, never a timer", async () => {
    const { eventsHandledIn } = await import("./index.js");
    const { SessionState } = await import("@screenshare/protocol");
    const handled = [SessionState.AWAITING_KEY_REDEMPTION, SessionState.SELECTING_SCREEN, SessionState.SHARING].flatMap((state) => [...eventsHandledIn(state)]);
    expect(handled).toContain("KEY_REDEEMED");
    expect(handled.filter((event) => timerOf(event))).toEqual([]);
  });

  it("loads neither xstate/graph nor the path tooling", async () => {
    const { readFileSync } = await import("node:fs");
    const { resolve } = await import("node:path");
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      for (const [, spec] of source.matchAll(/^(?:import|export)[^;]*?from "([^"]+)";/gms)) {
        if (spec?.startsWith("./")) visit(resolve(file, "..", spec.replace(/\.js$/, ".ts")));
        else seen.add(spec as string);
      }
    };
    visit(resolve(import.meta.dirname, "index.ts"));
    expect([...seen].filter((name) => name.includes("graph") || name.endsWith("paths.ts"))).toEqual([]);
    expect(seen).toContain("xstate");
  });
});
