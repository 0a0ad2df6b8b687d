// Long on purpose: every host-facing promise of the machine, driven through one set of fixtures (the helpers below);
// each describe block is one concern (a flow, endings, refresh, persistence, protocol mapping, the privacy pause).
import { EndReason as ProtoEndReason, SessionState as ProtoSessionState } from "@screenshare/protocol";
import { describe, expect, it } from "vitest";
import { initialTransition, transition } from "xstate";
import {
  applyEvent,
  classifyEvent,
  isLive,
  type LifecycleState,
  lifecycleStateOf,
  type Outcome,
  ownStep,
  type PersistedSession,
  pendingTimers,
  type Step,
  startSession,
  stateDeadlineOf,
  type TimerRequest,
} from "./host.js";
import { type Channel, DEFAULT_TIMEOUTS, END_REASONS, type EndReason, type LifecycleTimeouts, type SessionEventType, sessionMachine } from "./machine.js";
import { exampleEvent, lifecyclePaths, listTransitions, replay, variantInput } from "./paths.js";
import { eventsHandledIn, fromProtoEndReason, fromProtoSessionState, PROTO_SESSION_STATE, toProtoEndReason } from "./protocol.js";

const T0 = 1_000_000;
// Distinct values, so that a deadline computed from the wrong timeout shows.
const timeouts: LifecycleTimeouts = {
  securityKeyTtlMs: 300_000,
  acceptanceTimeoutMs: 120_000,
  screenSelectionTimeoutMs: 60_000,
  viewerReconnectGraceMs: 30_000,
  sharerReconnectGraceMs: 20_000,
  maxSessionDurationMs: 3_600_000,
  pauseTimeoutMs: 45_000,
};
const NO_GRACE = { viewerReconnectGraceMs: 0, sharerReconnectGraceMs: 0 };

function start(channel: Channel, overrides: Partial<LifecycleTimeouts> = {}): Step {
  return startSession({
    sessionId: "s1",
    orgId: "org",
    interactionId: "i1",
    viewerUserId: "agent",
    channel,
    timeouts: { ...timeouts, ...overrides },
    at: T0,
  });
}

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Applies an event to a JSON round-tripped session, as a stateless host would, and expects it applied. */
function send(session: PersistedSession, type: SessionEventType | string, at = T0 + 1_000): Step {
  const outcome = applyEvent(roundTrip(session), exampleEvent(type, at));
  if (outcome.kind !== "applied") throw new Error(`${type} was ${outcome.kind} in ${lifecycleStateOf(session)}`);
  return roundTrip(outcome.step);
}

/** The session after `types`, one second apart, each through a JSON round-trip. */
function run(channel: Channel, types: readonly string[], overrides: Partial<LifecycleTimeouts> = {}): PersistedSession {
  return types.reduce((session, type, index) => send(session, type, T0 + 1_000 * (index + 1)).session, start(channel, overrides).session);
}

const timerOf = (step: Step, delay: string) => step.schedule.find((timer) => timer.delay === delay);

/** Fires the timer of `delay` that the session has pending, at its deadline. */
function fire(session: PersistedSession, delay: string): Step {
  const timer = pendingTimers(roundTrip(session)).find((pending) => pending.delay === delay);
  if (!timer) throw new Error(`no ${delay} timer pending in ${lifecycleStateOf(session)}`);
  return send(session, timer.eventType, timer.fireAt);
}

describe("voice flow", () => {
  it("issues a key, waits for redemption, selects a screen and shares", () => {
    const started = start("voice");
    expect(lifecycleStateOf(started.session)).toBe("awaitingKeyRedemption");
    expect(started.effects).toEqual(["createMediaRoom", "issueSecurityKey"]);
    expect(started.session.context.securityKeyGeneration).toBe(1);
    expect(timerOf(started, "securityKeyTtl")?.fireAt).toBe(T0 + timeouts.securityKeyTtlMs);
    expect(timerOf(started, "maxSessionDuration")?.fireAt).toBe(T0 + timeouts.maxSessionDurationMs);
    expect(started.session.context.deadlines).toEqual({
      lifecycle: T0 + timeouts.securityKeyTtlMs,
      maxDuration: T0 + timeouts.maxSessionDurationMs,
    });
    expect(stateDeadlineOf(started.session)).toBe(T0 + timeouts.securityKeyTtlMs);

    const redeemed = send(started.session, "KEY_REDEEMED");
    expect(lifecycleStateOf(redeemed.session)).toBe("selectingScreen");
    expect(redeemed.effects).toEqual(["revokeSecurityKey"]);
    expect(redeemed.cancel).toEqual([timerOf(started, "securityKeyTtl")?.id]);
    expect(redeemed.schedule.map((timer) => timer.fireAt)).toEqual([T0 + 1_000 + timeouts.screenSelectionTimeoutMs]);
    expect(stateDeadlineOf(redeemed.session)).toBe(T0 + 1_000 + timeouts.screenSelectionTimeoutMs);

    const sharing = send(redeemed.session, "SCREEN_TRACK_PUBLISHED");
    expect(lifecycleStateOf(sharing.session)).toBe("sharing");
    expect(stateDeadlineOf(sharing.session)).toBeUndefined();
    expect(sharing.cancel).toEqual([timerOf(redeemed, "screenSelectionTimeout")?.id]);
    expect(sharing.schedule).toEqual([]);
    expect(pendingTimers(sharing.session).map((timer) => timer.fireAt)).toEqual([T0 + timeouts.maxSessionDurationMs]);
  });

  it("regenerating the key kills the old one, counts a generation and restarts the TTL", () => {
    const started = start("voice");
    const regenerated = send(started.session, "KEY_REGENERATED", T0 + 100_000);
    expect(lifecycleStateOf(regenerated.session)).toBe("awaitingKeyRedemption");
    expect(regenerated.effects).toEqual(["revokeSecurityKey", "issueSecurityKey"]);
    expect(regenerated.session.context.securityKeyGeneration).toBe(2);
    expect(regenerated.cancel).toEqual([timerOf(started, "securityKeyTtl")?.id]);
    expect(regenerated.schedule).toEqual([{ ...timerOf(started, "securityKeyTtl"), fireAt: T0 + 100_000 + timeouts.securityKeyTtlMs }]);
    expect(stateDeadlineOf(regenerated.session)).toBe(T0 + 100_000 + timeouts.securityKeyTtlMs);
    // The session's own limit does not restart.
    expect(regenerated.session.context.deadlines.maxDuration).toBe(T0 + timeouts.maxSessionDurationMs);

    const again = send(regenerated.session, "KEY_REGENERATED", T0 + 200_000);
    expect(again.session.context.securityKeyGeneration).toBe(3);
    expect(stateDeadlineOf(again.session)).toBe(T0 + 200_000 + timeouts.securityKeyTtlMs);
  });

  it("ignores the old key's TTL timer when it fires after a regeneration, and expires at the new deadline", () => {
    const started = start("voice");
    const oldTimer = timerOf(started, "securityKeyTtl") as TimerRequest;
    const regenerated = send(started.session, "KEY_REGENERATED", T0 + 100_000);
    const stale = { type: oldTimer.eventType, at: oldTimer.fireAt };
    expect(applyEvent(regenerated.session, stale)).toEqual<Outcome>({ kind: "ignored" });
    expect(classifyEvent(regenerated.session, stale)).toBe("ignored");
    const expired = fire(regenerated.session, "securityKeyTtl");
    expect(expired.session.context.endReason).toBe("KEY_EXPIRED");
    expect(expired.session.context.endedAt).toBe(T0 + 100_000 + timeouts.securityKeyTtlMs);
  });

  it("rejects a regeneration once the key is redeemed", () => {
    const selecting = run("voice", ["KEY_REDEEMED"]);
    expect(applyEvent(selecting, { type: "KEY_REGENERATED", at: T0 })).toEqual<Outcome>({ kind: "rejected", state: "selectingScreen" });
  });
});

describe("chat flow", () => {
  it("sends an invitation, accepts it, selects a screen and shares", () => {
    const started = start("chat");
    expect(lifecycleStateOf(started.session)).toBe("awaitingAcceptance");
    expect(started.effects).toEqual(["createMediaRoom", "sendInvitation"]);
    expect(started.session.context.securityKeyGeneration).toBe(0);
    expect(timerOf(started, "acceptanceTimeout")?.fireAt).toBe(T0 + timeouts.acceptanceTimeoutMs);
    const accepted = send(started.session, "INVITATION_ACCEPTED");
    expect(accepted.effects).toEqual(["withdrawInvitation"]);
    expect(accepted.cancel).toEqual([timerOf(started, "acceptanceTimeout")?.id]);
    expect(lifecycleStateOf(accepted.session)).toBe("selectingScreen");
    expect(lifecycleStateOf(send(accepted.session, "SCREEN_TRACK_PUBLISHED").session)).toBe("sharing");
  });

  it("a closed screen picker keeps the session choosing under the same deadline, and is an event the viewer sees", () => {
    const choosing = run("chat", ["INVITATION_ACCEPTED"]);
    const closed = send(choosing, "SCREEN_PICKER_CLOSED", T0 + 20_000);
    expect(lifecycleStateOf(closed.session)).toBe("selectingScreen");
    expect(closed.changed).toBe(true);
    expect(stateDeadlineOf(closed.session)).toBe(stateDeadlineOf(choosing));
    expect(closed).toMatchObject({ effects: [], schedule: [], cancel: [] });
    expect(applyEvent(run("chat", []), { type: "SCREEN_PICKER_CLOSED", at: T0 }).kind).toBe("rejected");
    expect(applyEvent(run("chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED"]), { type: "SCREEN_PICKER_CLOSED", at: T0 }).kind).toBe("rejected");
  });

  it("lets the sharer switch screens: an unpublished track goes back to choosing under a fresh selection timeout", () => {
    const sharing = run("chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED"]);
    const switching = send(sharing, "SCREEN_TRACK_UNPUBLISHED", T0 + 50_000);
    expect(lifecycleStateOf(switching.session)).toBe("selectingScreen");
    expect(stateDeadlineOf(switching.session)).toBe(T0 + 50_000 + timeouts.screenSelectionTimeoutMs);
    // The timer of the first visit to selectingScreen, had its cancellation been lost, is stale now.
    const firstVisit = T0 + 1_000 + timeouts.screenSelectionTimeoutMs;
    expect(applyEvent(switching.session, { type: timerOf(switching, "screenSelectionTimeout")?.eventType ?? "", at: firstVisit }).kind).toBe("ignored");
  });
});

/** How to reach each live state the protocol shows, on each channel. */
const REACH: Record<Exclude<LifecycleState, "ended">, Array<[Channel, string[]]>> = {
  awaitingKeyRedemption: [["voice", []]],
  awaitingAcceptance: [["chat", []]],
  selectingScreen: [
    ["voice", ["KEY_REDEEMED"]],
    ["chat", ["INVITATION_ACCEPTED"]],
  ],
  sharing: [
    ["voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"]],
    ["chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED"]],
  ],
  paused: [
    ["voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED", "SHARER_PAUSED"]],
    ["chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED", "SHARER_PAUSED"]],
    // The screen track gone while paused (a reload, or its capture ended): still paused.
    ["voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED", "SHARER_PAUSED", "SCREEN_TRACK_UNPUBLISHED"]],
  ],
  sharerReconnecting: [
    ["voice", ["KEY_REDEEMED", "SHARER_DISCONNECTED"]],
    ["chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED", "SHARER_DISCONNECTED"]],
  ],
  viewerReconnecting: [
    ["voice", ["VIEWER_DISCONNECTED"]],
    ["chat", ["VIEWER_DISCONNECTED"]],
    ["voice", ["KEY_REDEEMED", "VIEWER_DISCONNECTED"]],
    ["chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED", "VIEWER_DISCONNECTED"]],
  ],
};
const LIVE_STATES = Object.keys(REACH) as Array<keyof typeof REACH>;

/** One way to end: from a state, by an event (or `after <delay>` for a timer), with or without grace windows. */
interface Ending {
  reason: EndReason;
  from: keyof typeof REACH;
  channel: Channel;
  prefix: string[];
  trigger: string;
  grace: boolean;
}

const endings: Ending[] = [];
function endsWith(reason: EndReason, from: keyof typeof REACH, trigger: string, grace = true, reach = REACH[from]): void {
  for (const [channel, prefix] of reach) endings.push({ reason, from, channel, prefix, trigger, grace });
}
for (const from of LIVE_STATES) {
  endsWith("INTERACTION_DISCONNECTED", from, "INTERACTION_DISCONNECTED");
  endsWith("ADMINISTRATOR_TERMINATED", from, "ADMINISTRATOR_TERMINATED");
  endsWith("MEDIA_FAILURE", from, "MEDIA_FAILED");
  endsWith("MAX_DURATION_REACHED", from, "after maxSessionDuration");
  endsWith("TRANSFER_TARGET_BUSY", from, "TRANSFER_TARGET_BUSY");
}
for (const from of ["awaitingKeyRedemption", "awaitingAcceptance", "selectingScreen"] as const) endsWith("VIEWER_CANCELLED", from, "VIEWER_CANCELLED");
for (const from of ["sharing", "sharerReconnecting"] as const) endsWith("VIEWER_LEFT", from, "VIEWER_LEFT");
for (const from of ["selectingScreen", "sharing", "sharerReconnecting"] as const) endsWith("SHARER_STOPPED", from, "SHARER_STOPPED");
endsWith("SHARER_DECLINED", "awaitingAcceptance", "INVITATION_DECLINED");
for (const from of ["awaitingAcceptance", "selectingScreen"] as const) endsWith("SHARER_UNSUPPORTED", from, "SHARER_UNSUPPORTED");
endsWith("KEY_EXPIRED", "awaitingKeyRedemption", "after securityKeyTtl");
endsWith("KEY_EXPIRED", "viewerReconnecting", "after securityKeyTtl", true, [["voice", ["VIEWER_DISCONNECTED"]]]);
endsWith("ACCEPTANCE_TIMED_OUT", "awaitingAcceptance", "after acceptanceTimeout");
endsWith("SCREEN_SELECTION_TIMED_OUT", "selectingScreen", "after screenSelectionTimeout");
endsWith("VIEWER_LOST", "viewerReconnecting", "after viewerReconnectGrace");
endsWith("SHARER_LOST", "sharerReconnecting", "after sharerReconnectGrace");
const DROPPED_WHILE_PAUSED: Array<[Channel, string[]]> = [["voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED", "SHARER_PAUSED", "SHARER_DISCONNECTED"]]];
endsWith("SHARER_LOST", "sharerReconnecting", "after sharerReconnectGrace", true, DROPPED_WHILE_PAUSED);
endsWith("PAUSE_TIMED_OUT", "paused", "after pauseTimeout");
// The pause's timeout runs on while a paused sharer reconnects.
endsWith("PAUSE_TIMED_OUT", "sharerReconnecting", "after pauseTimeout", true, DROPPED_WHILE_PAUSED);
for (const from of ["paused"] as const) {
  endsWith("VIEWER_LEFT", from, "VIEWER_LEFT");
  endsWith("SHARER_STOPPED", from, "SHARER_STOPPED");
  endsWith("SHARER_LOST", from, "SHARER_DISCONNECTED", false);
}
// A grace of 0: the legacy behaviour, a drop ends the session at once.
for (const from of ["awaitingKeyRedemption", "awaitingAcceptance", "selectingScreen", "sharing"] as const) {
  endsWith("VIEWER_LOST", from, "VIEWER_DISCONNECTED", false);
}
for (const from of ["selectingScreen", "sharing"] as const) endsWith("SHARER_LOST", from, "SHARER_DISCONNECTED", false);

describe("every ending from every state it can come from", () => {
  it.each(endings.map((ending) => [ending.reason, ending.from, ending.channel, ending.grace ? "" : "(grace 0)", ending] as const))(
    "%s from %s (%s) %s",
    (_reason, _from, _channel, _grace, { reason, from, channel, prefix, trigger, grace }) => {
      const before = run(channel, prefix, grace ? {} : NO_GRACE);
      expect(lifecycleStateOf(before)).toBe(from);
      expect(isLive(before)).toBe(true);
      const at = T0 + 500_000;
      const delay = /^after (\w+)$/.exec(trigger)?.[1];
      const ended = delay ? fire(before, delay) : send(before, trigger, at);
      expect(ended.session.status).toBe("done");
      expect(lifecycleStateOf(ended.session)).toBe("ended");
      expect(ended.session.context.endReason).toBe(reason);
      expect(ended.session.context.endedAt).toBe(delay ? pendingTimers(before).find((t) => t.delay === delay)?.fireAt : at);
      expect(isLive(ended.session)).toBe(false); // the viewer's busy slot frees exactly here
      expect(pendingTimers(ended.session)).toEqual([]);
      expect(stateDeadlineOf(ended.session)).toBeUndefined();
      expect(ended.cancel.sort()).toEqual(
        pendingTimers(before)
          .map((timer) => timer.id)
          .sort(),
      );
      const cleanup =
        lifecycleOf(before) === "awaitingKeyRedemption" ? ["revokeSecurityKey"] : lifecycleOf(before) === "awaitingAcceptance" ? ["withdrawInvitation"] : [];
      expect(ended.effects).toEqual([...cleanup, "deleteMediaRoom", "revokeSharerCredential"]);
      // Nothing moves an ended session: commands are rejected, facts and timers ignored.
      expect(applyEvent(ended.session, { type: "VIEWER_LEFT", at })).toEqual<Outcome>({ kind: "rejected", state: "ended" });
      expect(applyEvent(ended.session, { type: "SCREEN_TRACK_PUBLISHED", at })).toEqual<Outcome>({ kind: "ignored" });
    },
  );

  it("cover every ending transition of the machine definition and every end reason", () => {
    const taken = new Set(
      endings.flatMap(({ channel, prefix, trigger, grace }) => {
        const event = trigger.startsWith("after ") ? `TIMEOUT:${trigger.slice(6)}` : trigger;
        return replay({ channel, grace: grace ? "window" : "none" }, [...prefix, event]).steps.at(-1)?.transitions ?? [];
      }),
    );
    const ending = listTransitions().filter((transition) => transition.actions.includes("recordEnd"));
    expect(ending.filter((transition) => !taken.has(transition.id)).map((transition) => transition.id)).toEqual([]);
    expect(new Set(endings.map((e) => e.reason))).toEqual(new Set(END_REASONS));
  });
});

function lifecycleOf(session: PersistedSession): string {
  return (session.value as { live: { lifecycle: string } }).live.lifecycle;
}

describe("refresh and close", () => {
  it.each([
    ["awaitingKeyRedemption", "voice", []],
    ["awaitingAcceptance", "chat", []],
    ["selectingScreen", "voice", ["KEY_REDEEMED"]],
    ["selectingScreen", "chat", ["INVITATION_ACCEPTED"]],
    ["sharing", "chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED"]],
  ] as Array<[LifecycleState, Channel, string[]]>)("a viewer who resumes returns the session to %s (%s), its timers untouched", (state, channel, events) => {
    const before = run(channel, events);
    const dropped = send(before, "VIEWER_DISCONNECTED", T0 + 5_000);
    expect(lifecycleStateOf(dropped.session)).toBe("viewerReconnecting");
    expect(PROTO_SESSION_STATE[lifecycleStateOf(dropped.session)]).toBe(ProtoSessionState.RECONNECTING_VIEWER);
    expect(stateDeadlineOf(dropped.session)).toBe(T0 + 5_000 + timeouts.viewerReconnectGraceMs);
    expect(dropped.session.context.deadlines.viewerGrace).toBe(T0 + 5_000 + timeouts.viewerReconnectGraceMs);
    // Only the grace timer is added; the lifecycle's own timer keeps running.
    expect(dropped.cancel).toEqual([]);
    expect(dropped.schedule.map((timer) => [timer.delay, timer.fireAt])).toEqual([["viewerReconnectGrace", T0 + 5_000 + timeouts.viewerReconnectGraceMs]]);
    expect(dropped.effects).toEqual([]);

    const resumed = send(dropped.session, "VIEWER_RESUMED", T0 + 9_000);
    expect(lifecycleStateOf(resumed.session)).toBe(state);
    expect(resumed.session.value).toEqual(before.value);
    expect(resumed.cancel).toEqual([timerOf(dropped, "viewerReconnectGrace")?.id]);
    expect(resumed.schedule).toEqual([]);
    expect(resumed.effects).toEqual([]);
    expect(resumed.session.context.deadlines).toEqual(before.context.deadlines);
    expect(pendingTimers(resumed.session)).toEqual(pendingTimers(before));
    expect(resumed.session.context.securityKeyGeneration).toBe(before.context.securityKeyGeneration);
  });

  it("the viewer's media reconnect (VIEWER_JOINED) also returns the session", () => {
    const sharing = run("voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"]);
    const dropped = send(sharing, "VIEWER_DISCONNECTED");
    expect(lifecycleStateOf(send(dropped.session, "VIEWER_JOINED").session)).toBe("sharing");
  });

  it("a viewer who does not come back within the grace window is lost", () => {
    const dropped = send(run("voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"]), "VIEWER_DISCONNECTED", T0 + 7_000);
    const lost = fire(dropped.session, "viewerReconnectGrace");
    expect(lost.session.context.endReason).toBe("VIEWER_LOST");
    expect(lost.session.context.endedAt).toBe(T0 + 7_000 + timeouts.viewerReconnectGraceMs);
  });

  it("a second drop gets a fresh grace window; the first window's timer is stale", () => {
    const sharing = run("voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"]);
    const first = send(sharing, "VIEWER_DISCONNECTED", T0 + 10_000);
    const back = send(first.session, "VIEWER_RESUMED", T0 + 12_000);
    const second = send(back.session, "VIEWER_DISCONNECTED", T0 + 20_000);
    const firstTimer = timerOf(first, "viewerReconnectGrace") as TimerRequest;
    expect(applyEvent(second.session, { type: firstTimer.eventType, at: firstTimer.fireAt })).toEqual<Outcome>({ kind: "ignored" });
    expect(fire(second.session, "viewerReconnectGrace").session.context.endedAt).toBe(T0 + 20_000 + timeouts.viewerReconnectGraceMs);
  });

  it.each([
    ["sharing", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"]],
    ["selectingScreen", ["KEY_REDEEMED"]],
  ])("a sharer who drops while %s and resumes chooses a screen again without ending the session", (_state, events) => {
    const before = run("voice", events);
    const dropped = send(before, "SHARER_DISCONNECTED", T0 + 10_000);
    expect(lifecycleStateOf(dropped.session)).toBe("sharerReconnecting");
    expect(stateDeadlineOf(dropped.session)).toBe(T0 + 10_000 + timeouts.sharerReconnectGraceMs);
    expect(timerOf(dropped, "sharerReconnectGrace")?.fireAt).toBe(T0 + 10_000 + timeouts.sharerReconnectGraceMs);
    expect(dropped.effects).toEqual([]);
    for (const resume of ["SHARER_RESUMED", "SHARER_JOINED"]) {
      const resumed = send(dropped.session, resume, T0 + 15_000);
      expect(lifecycleStateOf(resumed.session)).toBe("selectingScreen");
      expect(isLive(resumed.session)).toBe(true);
      // The sharer's credential and the room stay: no effect at all.
      expect(resumed.effects).toEqual([]);
      expect(resumed.cancel).toEqual([timerOf(dropped, "sharerReconnectGrace")?.id]);
      expect(resumed.schedule.map((timer) => timer.fireAt)).toEqual([T0 + 15_000 + timeouts.screenSelectionTimeoutMs]);
    }
    // Publishing again straight away also brings the session back.
    expect(lifecycleStateOf(send(dropped.session, "SCREEN_TRACK_PUBLISHED").session)).toBe("sharing");
    const lost = fire(dropped.session, "sharerReconnectGrace");
    expect(lost.session.context.endReason).toBe("SHARER_LOST");
  });

  it("a reconnecting sharer outranks a reconnecting viewer, and each returns on its own", () => {
    const sharing = run("chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED"]);
    const both = send(send(sharing, "VIEWER_DISCONNECTED").session, "SHARER_DISCONNECTED").session;
    expect(lifecycleStateOf(both)).toBe("sharerReconnecting");
    const sharerBack = send(both, "SHARER_RESUMED").session;
    expect(lifecycleStateOf(sharerBack)).toBe("viewerReconnecting");
    expect(lifecycleStateOf(send(sharerBack, "VIEWER_RESUMED").session)).toBe("selectingScreen");
  });

  it("a sharer's reload while sharing goes back to choosing a screen", () => {
    const sharing = run("chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED"]);
    const reloaded = send(sharing, "SHARER_RESUMED");
    expect(lifecycleStateOf(reloaded.session)).toBe("selectingScreen");
    expect(reloaded.effects).toEqual([]);
  });

  it("a grace of 0 reproduces the legacy behaviour: a drop ends the session at once, no grace timer is armed", () => {
    const started = start("voice", NO_GRACE);
    expect(started.schedule.some((timer) => timer.delay.includes("Reconnect"))).toBe(false);
    const sharing = run("voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"], NO_GRACE);
    const viewerGone = send(sharing, "VIEWER_DISCONNECTED");
    expect(viewerGone.session.context.endReason).toBe("VIEWER_LOST");
    expect(viewerGone.schedule).toEqual([]);
    const sharerGone = send(sharing, "SHARER_DISCONNECTED");
    expect(sharerGone.session.context.endReason).toBe("SHARER_LOST");
    expect(sharerGone.schedule).toEqual([]);
  });
});

describe("no-ops", () => {
  it.each([
    ["VIEWER_RESUMED while the viewer is connected", "voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"], "VIEWER_RESUMED"],
    ["VIEWER_RESUMED while awaiting the key", "voice", [], "VIEWER_RESUMED"],
    ["SHARER_RESUMED while choosing a screen", "chat", ["INVITATION_ACCEPTED"], "SHARER_RESUMED"],
  ] as Array<[string, Channel, string[], string]>)("%s is accepted and changes nothing", (_name, channel, events, type) => {
    const before = run(channel, events);
    const step = send(before, type, T0 + 99_000);
    expect(step.changed).toBe(false);
    expect(step.session).toEqual(before);
    expect(step).toMatchObject({ effects: [], schedule: [], cancel: [] });
  });

  it("a transition reports changed: true", () => {
    expect(send(run("voice", []), "KEY_REDEEMED").changed).toBe(true);
    expect(start("voice").changed).toBe(true);
  });
});

describe("applied, ignored, rejected", () => {
  it("rejects commands the state does not allow and ignores stale facts and timers", () => {
    const sharing = run("voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"]);
    expect(applyEvent(sharing, { type: "VIEWER_CANCELLED", at: T0 })).toEqual<Outcome>({ kind: "rejected", state: "sharing" });
    expect(applyEvent(sharing, { type: "KEY_REDEEMED", at: T0 })).toEqual<Outcome>({ kind: "rejected", state: "sharing" });
    expect(applyEvent(sharing, { type: "INVITATION_ACCEPTED", at: T0 })).toEqual<Outcome>({ kind: "rejected", state: "sharing" });
    expect(applyEvent(sharing, { type: "SCREEN_TRACK_PUBLISHED", at: T0 })).toEqual<Outcome>({ kind: "ignored" });
    expect(applyEvent(sharing, { type: "SHARER_JOINED", at: T0 })).toEqual<Outcome>({ kind: "ignored" });
    expect(applyEvent(sharing, { type: "VIEWER_JOINED", at: T0 })).toEqual<Outcome>({ kind: "ignored" });
    // A timer of a state the session has left.
    const ttl = timerOf(start("voice"), "securityKeyTtl") as TimerRequest;
    expect(applyEvent(sharing, { type: ttl.eventType, at: ttl.fireAt })).toEqual<Outcome>({ kind: "ignored" });
    const rejectedViewerDrop = run("voice", ["VIEWER_DISCONNECTED"]);
    expect(applyEvent(rejectedViewerDrop, { type: "VIEWER_DISCONNECTED", at: T0 })).toEqual<Outcome>({ kind: "ignored" });
    const ended = send(sharing, "VIEWER_LEFT").session;
    expect(applyEvent(ended, { type: "SHARER_DISCONNECTED", at: T0 })).toEqual<Outcome>({ kind: "ignored" });
    expect(applyEvent(ended, { type: "VIEWER_LEFT", at: T0 })).toEqual<Outcome>({ kind: "rejected", state: "ended" });
  });

  it("classifyEvent agrees with applyEvent", () => {
    const sharing = run("voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"]);
    for (const type of ["VIEWER_LEFT", "VIEWER_CANCELLED", "SCREEN_TRACK_PUBLISHED", "SHARER_DISCONNECTED"] as const) {
      expect(classifyEvent(sharing, { type, at: T0 }), type).toBe(applyEvent(sharing, { type, at: T0 }).kind);
    }
  });
});

describe("persistence", () => {
  it("re-arms, after a restart, exactly the timers the steps scheduled and did not cancel, along every generated path", () => {
    let checked = 0;
    for (const path of lifecyclePaths()) {
      const armed = new Map<string, TimerRequest>();
      // What a host with a timer table does: disarm, then arm.
      const track = (step: Step) => {
        for (const id of step.cancel) armed.delete(id);
        for (const timer of step.schedule) armed.set(timer.id, timer);
      };
      const started = startSession({ ...inputOf(path.variant.channel, path.variant.grace === "none" ? NO_GRACE : {}), at: T0 });
      track(started);
      let session = started.session;
      let now = T0;
      for (const step of path.steps) {
        // A restart: the host lost its timers and re-arms them from the stored session alone.
        const rearmed = pendingTimers(roundTrip(session));
        expect(byId(rearmed), `${path.name} before ${step.event}`).toEqual(byId([...armed.values()]));
        checked++;
        now += 1_000;
        const original = [...armed.values()].find((timer) => timer.eventType === step.event);
        const at = original ? original.fireAt : now;
        const outcome = applyEvent(roundTrip(session), exampleEvent(step.event, at));
        expect(outcome.kind, `${path.name} at ${step.event}`).toBe("applied");
        if (outcome.kind !== "applied") break;
        if (original) {
          // Firing the re-armed timer gives exactly what firing the original would have.
          const refired = rearmed.find((timer) => timer.id === original.id) as TimerRequest;
          expect(applyEvent(roundTrip(session), { type: refired.eventType, at: refired.fireAt })).toEqual(outcome);
        }
        track(outcome.step);
        session = outcome.step.session;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it("keeps deadlines as explicit timestamps in the stored context", () => {
    const dropped = send(run("voice", ["KEY_REDEEMED"]), "VIEWER_DISCONNECTED", T0 + 2_000).session;
    expect(roundTrip(dropped).context.deadlines).toEqual({
      lifecycle: T0 + 1_000 + timeouts.screenSelectionTimeoutMs,
      viewerGrace: T0 + 2_000 + timeouts.viewerReconnectGraceMs,
      maxDuration: T0 + timeouts.maxSessionDurationMs,
    });
  });

  it("uses the default timeouts the protocol advertises", () => {
    expect(DEFAULT_TIMEOUTS.securityKeyTtlMs).toBe(5 * 60_000);
    expect(Object.values(DEFAULT_TIMEOUTS).every((ms) => ms > 0)).toBe(true);
  });
});

function inputOf(channel: Channel, overrides: Partial<LifecycleTimeouts> = {}) {
  return { sessionId: "s1", orgId: "org", interactionId: "i1", viewerUserId: "agent", channel, timeouts: { ...timeouts, ...overrides } };
}

const byId = (timers: readonly TimerRequest[]) => [...timers].sort((a, b) => a.id.localeCompare(b.id));

describe("protocol mapping", () => {
  it("maps every end reason both ways", () => {
    for (const reason of END_REASONS) {
      expect(toProtoEndReason(reason)).not.toBe(ProtoEndReason.UNSPECIFIED);
      expect(fromProtoEndReason(toProtoEndReason(reason))).toBe(reason);
    }
    expect(toProtoEndReason(undefined)).toBe(ProtoEndReason.UNSPECIFIED);
    expect(fromProtoEndReason(ProtoEndReason.UNSPECIFIED)).toBeUndefined();
    const protoReasons = Object.values(ProtoEndReason).filter((value): value is ProtoEndReason => typeof value === "number" && value !== 0);
    expect(protoReasons.map((value) => fromProtoEndReason(value))).toEqual(expect.arrayContaining([...END_REASONS]));
    expect(protoReasons.length).toBe(END_REASONS.length);
  });

  it("maps every session state both ways", () => {
    const protoStates = Object.values(ProtoSessionState).filter((value): value is ProtoSessionState => typeof value === "number" && value !== 0);
    for (const proto of protoStates) {
      const state = fromProtoSessionState(proto);
      expect(state, ProtoSessionState[proto]).toBeDefined();
      expect(PROTO_SESSION_STATE[state as LifecycleState]).toBe(proto);
    }
    expect(Object.keys(PROTO_SESSION_STATE).length).toBe(protoStates.length);
    expect(fromProtoSessionState(ProtoSessionState.UNSPECIFIED)).toBeUndefined();
  });
});

describe("what each protocol state handles", () => {
  it("tells clients which controls to show, from the machine", () => {
    const handled = (state: ProtoSessionState) => [...eventsHandledIn(state)];
    expect(handled(ProtoSessionState.AWAITING_KEY_REDEMPTION)).toEqual(expect.arrayContaining(["VIEWER_CANCELLED", "KEY_REDEEMED", "KEY_REGENERATED"]));
    expect(handled(ProtoSessionState.AWAITING_KEY_REDEMPTION)).not.toContain("VIEWER_LEFT");
    expect(handled(ProtoSessionState.SHARING)).toEqual(expect.arrayContaining(["VIEWER_LEFT", "SHARER_STOPPED"]));
    expect(handled(ProtoSessionState.SHARING)).not.toContain("VIEWER_CANCELLED");
    expect(handled(ProtoSessionState.SELECTING_SCREEN)).toEqual(expect.arrayContaining(["SCREEN_TRACK_PUBLISHED", "SHARER_STOPPED", "VIEWER_CANCELLED"]));
    expect(handled(ProtoSessionState.RECONNECTING_SHARER)).toEqual(expect.arrayContaining(["SHARER_RESUMED", "SCREEN_TRACK_PUBLISHED"]));
    expect(handled(ProtoSessionState.AWAITING_ACCEPTANCE)).not.toContain("SHARER_STOPPED");
    expect(handled(ProtoSessionState.RECONNECTING_VIEWER)).toContain("SHARER_STOPPED");
    expect(handled(ProtoSessionState.ENDED)).toEqual([]);
  });

  it("agrees with the host API: a command listed for a state is accepted there", () => {
    const sharing = run("voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"]);
    for (const command of eventsHandledIn(ProtoSessionState.SHARING)) {
      if (command.endsWith("JOINED")) continue; // facts about a reconnecting party: ignored while connected
      expect(applyEvent(sharing, exampleEvent(command, T0)).kind, command).not.toBe("rejected");
    }
  });
});

describe("steps in the host's own inert scope", () => {
  const persisted = (snapshot: Parameters<typeof sessionMachine.getPersistedSnapshot>[0]) =>
    JSON.parse(JSON.stringify(sessionMachine.getPersistedSnapshot(snapshot)));
  const actionTypes = (actions: ReadonlyArray<{ type: string; params?: unknown }>) =>
    actions.map((action) => [action.type, JSON.stringify(action.params ?? null)]);

  it("give the snapshots and actions XState's own transition() gives, along every generated path", () => {
    let compared = 0;
    for (const path of lifecyclePaths()) {
      const input = variantInput(path.variant);
      const [expectedStart, expectedStartActions] = initialTransition(sessionMachine, input);
      const [ourStart, ourStartActions] = ownStep.start(input);
      expect(persisted(ourStart)).toEqual(persisted(expectedStart));
      expect(actionTypes(ourStartActions)).toEqual(actionTypes(expectedStartActions));
      let session = startSession(input).session;
      for (const [index, step] of path.steps.entries()) {
        const at = pendingTimers(session).find((timer) => timer.eventType === step.event)?.fireAt ?? input.at + 1_000 * (index + 1);
        const snapshot = sessionMachine.resolveState(session as never);
        // XState's own transition() knows a timer only by its internal name, which the host never sees.
        const internal = snapshot._nodes.flatMap((node) => node.after).find((delayed) => `TIMEOUT:${String(delayed.delay)}` === step.event)?.eventType;
        const event = exampleEvent(step.event, at) as never;
        const machineEvent = exampleEvent(internal ?? step.event, at) as never;
        const [expected, expectedActions] = transition(sessionMachine, snapshot, machineEvent);
        const [ours, ourActions] = ownStep.transition(sessionMachine.resolveState(session as never), machineEvent);
        expect(persisted(ours), `${path.name} step ${index}`).toEqual(persisted(expected));
        expect(actionTypes(ourActions)).toEqual(actionTypes(expectedActions));
        const outcome = applyEvent(session, event);
        if (outcome.kind !== "applied") throw new Error(`${path.name}: ${step.event} not applied`);
        session = outcome.step.session;
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
  });
});

describe("privacy pause", () => {
  const sharing = () => run("voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"]);
  const PAUSED_AT = T0 + 10_000;
  const pause = () => send(sharing(), "SHARER_PAUSED", PAUSED_AT);

  it("mutes the screen in the media plane and arms the pause's own timeout", () => {
    const paused = pause();
    expect(lifecycleStateOf(paused.session)).toBe("paused");
    expect(PROTO_SESSION_STATE.paused).toBe(ProtoSessionState.PAUSED);
    expect(paused.effects).toEqual(["muteScreen"]);
    expect(paused.schedule).toEqual([
      { id: "pauseTimeout", delay: "pauseTimeout", eventType: "TIMEOUT:pauseTimeout", fireAt: PAUSED_AT + timeouts.pauseTimeoutMs },
    ]);
    expect(paused.session.context.pausedAt).toBe(PAUSED_AT);
    expect(stateDeadlineOf(paused.session)).toBe(PAUSED_AT + timeouts.pauseTimeoutMs);
    // Pausing again changes nothing (a double click, a retry).
    expect(send(paused.session, "SHARER_PAUSED", PAUSED_AT + 1_000).changed).toBe(false);
  });

  it("unpauses to the same track, unmuted, with no screen to choose, and forgets the pause", () => {
    const unpaused = send(pause().session, "SHARER_UNPAUSED", PAUSED_AT + 5_000);
    expect(lifecycleStateOf(unpaused.session)).toBe("sharing");
    expect(unpaused.effects).toEqual(["unmuteScreen"]);
    expect(unpaused.cancel).toEqual(["pauseTimeout"]);
    expect(unpaused.schedule).toEqual([]);
    expect(unpaused.session.context.pausedAt).toBeUndefined();
    expect(unpaused.session.context.deadlines.pause).toBeUndefined();
    expect(stateDeadlineOf(unpaused.session)).toBeUndefined();
    // Unpausing what is already sharing is a no-op.
    expect(send(unpaused.session, "SHARER_UNPAUSED", PAUSED_AT + 6_000).changed).toBe(false);
  });

  it("can only be asked to end by the viewer: the request is recorded, the screen stays hidden", () => {
    const asked = send(pause().session, "UNPAUSE_REQUESTED", PAUSED_AT + 3_000);
    expect(lifecycleStateOf(asked.session)).toBe("paused");
    expect(asked.changed).toBe(true);
    expect(asked.effects).toEqual([]);
    expect(asked.session.context.unpauseRequestedAt).toBe(PAUSED_AT + 3_000);
    // The viewer's own resume (after a reload) leaves the session paused.
    expect(lifecycleStateOf(send(asked.session, "VIEWER_RESUMED", PAUSED_AT + 4_000).session)).toBe("paused");
    // The request belongs to this pause only.
    const unpaused = send(asked.session, "SHARER_UNPAUSED", PAUSED_AT + 5_000);
    expect(unpaused.session.context.unpauseRequestedAt).toBeUndefined();
    expect(applyEvent(unpaused.session, { type: "UNPAUSE_REQUESTED", at: PAUSED_AT + 6_000 })).toEqual({ kind: "rejected", state: "sharing" });
  });

  it.each([
    ["selectingScreen", ["KEY_REDEEMED"]],
    ["awaitingKeyRedemption", []],
  ] as Array<[LifecycleState, string[]]>)("is refused in %s: nothing is shown to pause", (state, events) => {
    expect(applyEvent(run("voice", events), { type: "SHARER_PAUSED", at: T0 + 9_000 })).toEqual({ kind: "rejected", state });
    expect(applyEvent(run("voice", events), { type: "SHARER_UNPAUSED", at: T0 + 9_000 })).toEqual({ kind: "rejected", state });
  });

  it("brings a sharer who reloads while paused back paused, and holds back the new page's track", () => {
    const dropped = send(pause().session, "SHARER_DISCONNECTED", PAUSED_AT + 2_000);
    expect(lifecycleStateOf(dropped.session)).toBe("sharerReconnecting");
    expect(stateDeadlineOf(dropped.session)).toBe(PAUSED_AT + 2_000 + timeouts.sharerReconnectGraceMs);
    // The pause's timeout is not restarted by the drop.
    expect(pendingTimers(dropped.session).find((timer) => timer.delay === "pauseTimeout")?.fireAt).toBe(PAUSED_AT + timeouts.pauseTimeoutMs);
    const resumed = send(dropped.session, "SHARER_RESUMED", PAUSED_AT + 4_000);
    expect(lifecycleStateOf(resumed.session)).toBe("paused");
    expect(resumed.cancel).toEqual(["sharerReconnectGrace"]);
    expect(resumed.session.context.pausedAt).toBe(PAUSED_AT);
    expect(stateDeadlineOf(resumed.session)).toBe(PAUSED_AT + timeouts.pauseTimeoutMs);
    // A track the reloaded page publishes while paused is muted at once.
    const republished = send(resumed.session, "SCREEN_TRACK_PUBLISHED", PAUSED_AT + 6_000);
    expect(lifecycleStateOf(republished.session)).toBe("paused");
    expect(republished.effects).toEqual(["muteScreen"]);
    // Without a track, unpausing means choosing a screen.
    const choosing = send(resumed.session, "SHARER_UNPAUSED", PAUSED_AT + 6_000);
    expect(lifecycleStateOf(choosing.session)).toBe("selectingScreen");
    expect(choosing.effects).toEqual([]);
    expect(stateDeadlineOf(choosing.session)).toBe(PAUSED_AT + 6_000 + timeouts.screenSelectionTimeoutMs);
  });

  it("does not let a sharer who is reconnecting unpause before resuming", () => {
    const dropped = send(pause().session, "SHARER_DISCONNECTED", PAUSED_AT + 2_000);
    expect(applyEvent(dropped.session, { type: "SHARER_UNPAUSED", at: PAUSED_AT + 3_000 })).toEqual({ kind: "rejected", state: "sharerReconnecting" });
  });

  it("keeps the pause while the viewer reconnects", () => {
    const dropped = send(pause().session, "VIEWER_DISCONNECTED", PAUSED_AT + 2_000);
    expect(lifecycleStateOf(dropped.session)).toBe("viewerReconnecting");
    expect(lifecycleStateOf(send(dropped.session, "VIEWER_RESUMED", PAUSED_AT + 3_000).session)).toBe("paused");
  });

  it("lists its commands for clients: the sharer unpauses, the viewer asks", () => {
    const handled = [...eventsHandledIn(ProtoSessionState.PAUSED)];
    expect(handled).toEqual(expect.arrayContaining(["SHARER_UNPAUSED", "UNPAUSE_REQUESTED", "SHARER_STOPPED", "VIEWER_LEFT"]));
    expect(handled).not.toContain("VIEWER_CANCELLED");
    expect([...eventsHandledIn(ProtoSessionState.SHARING)]).toContain("SHARER_PAUSED");
  });
});
