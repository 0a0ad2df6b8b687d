import { EndReason as ProtoEndReason, SessionState as ProtoSessionState } from "@screenshare/protocol";
import { describe, expect, it } from "vitest";
import {
  applyEvent,
  isLive,
  lifecycleStateOf,
  type Outcome,
  pendingTimers,
  type PersistedSession,
  startSession,
  stateDeadlineOf,
  type Step,
} from "./host.js";
import { type Channel, DEFAULT_TIMEOUTS, END_REASONS, type LifecycleTimeouts, type SessionEventType } from "./machine.js";
import { eventsHandledIn, fromProtoEndReason, PROTO_SESSION_STATE, toProtoEndReason } from "./protocol.js";

const T0 = 1_000_000;
const timeouts: LifecycleTimeouts = {
  securityKeyTtlMs: 300_000,
  acceptanceTimeoutMs: 120_000,
  screenSelectionTimeoutMs: 60_000,
  viewerReconnectGraceMs: 30_000,
  sharerReconnectGraceMs: 20_000,
  maxSessionDurationMs: 3_600_000,
};

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

/** Applies an event to a JSON round-tripped session, as a stateless host would, and expects it applied. */
function send(session: PersistedSession, type: SessionEventType | string, at = T0 + 1_000): Step {
  const outcome = applyEvent(JSON.parse(JSON.stringify(session)), { type, at });
  if (outcome.kind !== "applied") throw new Error(`${type} was ${outcome.kind} in ${lifecycleStateOf(session)}`);
  return outcome.step;
}

function run(channel: Channel, ...types: string[]): PersistedSession {
  return types.reduce((session, type) => send(session, type).session, start(channel).session);
}

const timerOf = (step: Step, delay: string) => step.schedule.find((timer) => timer.eventType.includes(`.${delay}.`));

describe("voice flow", () => {
  it("issues a key, waits for redemption, selects a screen and shares", () => {
    const started = start("voice");
    expect(lifecycleStateOf(started.session)).toBe("awaitingKeyRedemption");
    expect(started.effects).toEqual(["createMediaRoom", "issueSecurityKey"]);
    expect(timerOf(started, "securityKeyTtl")?.fireAt).toBe(T0 + timeouts.securityKeyTtlMs);
    expect(timerOf(started, "maxSessionDuration")?.fireAt).toBe(T0 + timeouts.maxSessionDurationMs);
    expect(stateDeadlineOf(started.session)).toBe(T0 + timeouts.securityKeyTtlMs);

    const redeemed = send(started.session, "KEY_REDEEMED");
    expect(lifecycleStateOf(redeemed.session)).toBe("selectingScreen");
    expect(redeemed.effects).toEqual(["revokeSecurityKey"]);
    expect(redeemed.cancel).toEqual([timerOf(started, "securityKeyTtl")?.id]);
    expect(stateDeadlineOf(redeemed.session)).toBe(T0 + 1_000 + timeouts.screenSelectionTimeoutMs);

    const sharing = send(redeemed.session, "SCREEN_TRACK_PUBLISHED");
    expect(lifecycleStateOf(sharing.session)).toBe("sharing");
    expect(stateDeadlineOf(sharing.session)).toBeUndefined();
    expect(sharing.cancel).toEqual([timerOf(redeemed, "screenSelectionTimeout")?.id]);
  });

  it("regenerating the key kills the old one and restarts the TTL", () => {
    const started = start("voice");
    const regenerated = send(started.session, "KEY_REGENERATED", T0 + 100_000);
    expect(regenerated.effects).toEqual(["revokeSecurityKey", "issueSecurityKey"]);
    expect(regenerated.session.context.securityKeyGeneration).toBe(2);
    expect(regenerated.cancel).toEqual([timerOf(started, "securityKeyTtl")?.id]);
    expect(timerOf(regenerated, "securityKeyTtl")?.fireAt).toBe(T0 + 100_000 + timeouts.securityKeyTtlMs);
    expect(stateDeadlineOf(regenerated.session)).toBe(T0 + 100_000 + timeouts.securityKeyTtlMs);
  });

  it("ends with KEY_EXPIRED when the TTL timer fires", () => {
    const started = start("voice");
    const timer = timerOf(started, "securityKeyTtl");
    const expired = send(started.session, timer?.eventType ?? "", timer?.fireAt);
    expect(expired.session.context.endReason).toBe("KEY_EXPIRED");
    expect(expired.session.context.endedAt).toBe(timer?.fireAt);
    expect(expired.effects).toEqual(["revokeSecurityKey", "deleteMediaRoom", "revokeSharerCredential"]);
  });
});

describe("chat flow", () => {
  it("sends an invitation, accepts it, selects a screen and shares", () => {
    const started = start("chat");
    expect(lifecycleStateOf(started.session)).toBe("awaitingAcceptance");
    expect(started.effects).toEqual(["createMediaRoom", "sendInvitation"]);
    const accepted = send(started.session, "INVITATION_ACCEPTED");
    expect(accepted.effects).toEqual(["withdrawInvitation"]);
    expect(lifecycleStateOf(send(accepted.session, "SCREEN_TRACK_PUBLISHED").session)).toBe("sharing");
  });

  it("ends with SHARER_DECLINED on decline and ACCEPTANCE_TIMED_OUT when nobody answers", () => {
    expect(run("chat", "INVITATION_DECLINED").context.endReason).toBe("SHARER_DECLINED");
    const started = start("chat");
    const timer = timerOf(started, "acceptanceTimeout");
    expect(timer?.fireAt).toBe(T0 + timeouts.acceptanceTimeoutMs);
    expect(send(started.session, timer?.eventType ?? "").session.context.endReason).toBe("ACCEPTANCE_TIMED_OUT");
  });
});

describe("endings", () => {
  const cases: Array<[string, Channel, string[], string]> = [
    ["cancel while awaiting the key", "voice", ["VIEWER_CANCELLED"], "VIEWER_CANCELLED"],
    ["cancel while awaiting acceptance", "chat", ["VIEWER_CANCELLED"], "VIEWER_CANCELLED"],
    ["cancel while selecting", "voice", ["KEY_REDEEMED", "VIEWER_CANCELLED"], "VIEWER_CANCELLED"],
    ["leave while sharing", "voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED", "VIEWER_LEFT"], "VIEWER_LEFT"],
    ["stop while selecting", "chat", ["INVITATION_ACCEPTED", "SHARER_STOPPED"], "SHARER_STOPPED"],
    ["stop while sharing", "chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED", "SHARER_STOPPED"], "SHARER_STOPPED"],
    ["administrator", "voice", ["ADMINISTRATOR_TERMINATED"], "ADMINISTRATOR_TERMINATED"],
    ["media failure", "chat", ["INVITATION_ACCEPTED", "MEDIA_FAILED"], "MEDIA_FAILURE"],
    ["interaction disconnected while sharing", "voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED", "INTERACTION_DISCONNECTED"], "INTERACTION_DISCONNECTED"],
  ];
  it.each(cases)("%s", (_name, channel, events, reason) => {
    const session = run(channel, ...events);
    expect(session.status).toBe("done");
    expect(isLive(session)).toBe(false);
    expect(session.context.endReason).toBe(reason);
    expect(pendingTimers(session)).toEqual([]);
  });

  it("keeps the viewer busy exactly while the session is live", () => {
    const session = run("voice", "KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED");
    expect(isLive(session)).toBe(true);
    expect(isLive(send(session, "VIEWER_LEFT").session)).toBe(false);
  });

  it("ends at the maximum duration from any live state", () => {
    const started = start("voice");
    const sharing = run("voice", "KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED");
    const timer = timerOf(started, "maxSessionDuration");
    expect(send(sharing, timer?.eventType ?? "").session.context.endReason).toBe("MAX_DURATION_REACHED");
  });
});

describe("refresh and close", () => {
  it.each([
    ["awaitingKeyRedemption", "voice", []],
    ["awaitingAcceptance", "chat", []],
    ["selectingScreen", "voice", ["KEY_REDEEMED"]],
    ["sharing", "chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED"]],
  ] as Array<[string, Channel, string[]]>)("a viewer who resumes returns the session to %s", (state, channel, events) => {
    const before = run(channel, ...events);
    const dropped = send(before, "VIEWER_DISCONNECTED", T0 + 5_000);
    expect(lifecycleStateOf(dropped.session)).toBe("viewerReconnecting");
    expect(PROTO_SESSION_STATE[lifecycleStateOf(dropped.session)]).toBe(ProtoSessionState.RECONNECTING_VIEWER);
    expect(stateDeadlineOf(dropped.session)).toBe(T0 + 5_000 + timeouts.viewerReconnectGraceMs);
    const resumed = send(dropped.session, "VIEWER_RESUMED");
    expect(lifecycleStateOf(resumed.session)).toBe(state);
    expect(resumed.cancel).toEqual([timerOf(dropped, "viewerReconnectGrace")?.id]);
  });

  it("a viewer who does not come back within the grace window is lost", () => {
    const dropped = send(run("voice", "KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"), "VIEWER_DISCONNECTED");
    const timer = timerOf(dropped, "viewerReconnectGrace");
    expect(send(dropped.session, timer?.eventType ?? "").session.context.endReason).toBe("VIEWER_LOST");
  });

  it("a sharer who resumes chooses a screen again without ending the session", () => {
    const dropped = send(run("voice", "KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED"), "SHARER_DISCONNECTED");
    expect(lifecycleStateOf(dropped.session)).toBe("sharerReconnecting");
    expect(stateDeadlineOf(dropped.session)).toBe(T0 + 1_000 + timeouts.sharerReconnectGraceMs);
    expect(lifecycleStateOf(send(dropped.session, "SHARER_RESUMED").session)).toBe("selectingScreen");
    expect(lifecycleStateOf(send(dropped.session, "SHARER_JOINED").session)).toBe("selectingScreen");
    const timer = timerOf(dropped, "sharerReconnectGrace");
    expect(send(dropped.session, timer?.eventType ?? "").session.context.endReason).toBe("SHARER_LOST");
  });

  it("a sharer's reload while sharing goes back to choosing a screen", () => {
    const sharing = run("chat", "INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED");
    expect(lifecycleStateOf(send(sharing, "SHARER_RESUMED").session)).toBe("selectingScreen");
  });

  it("a grace of 0 reproduces the legacy behaviour: a drop ends the session at once", () => {
    const sharing = [
      "KEY_REDEEMED",
      "SCREEN_TRACK_PUBLISHED",
    ].reduce((session, type) => send(session, type).session, start("voice", { viewerReconnectGraceMs: 0, sharerReconnectGraceMs: 0 }).session);
    expect(send(sharing, "VIEWER_DISCONNECTED").session.context.endReason).toBe("VIEWER_LOST");
    expect(send(sharing, "SHARER_DISCONNECTED").session.context.endReason).toBe("SHARER_LOST");
  });

  it("resuming while connected is accepted and changes nothing", () => {
    const sharing = run("voice", "KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED");
    const resumed = send(sharing, "VIEWER_RESUMED");
    expect(resumed.changed).toBe(false);
    expect(resumed.session).toEqual(sharing);
  });
});

describe("applied, ignored, rejected", () => {
  it("rejects commands the state does not allow and ignores stale facts", () => {
    const sharing = run("voice", "KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED");
    expect(applyEvent(sharing, { type: "VIEWER_CANCELLED", at: T0 })).toEqual<Outcome>({ kind: "rejected", state: "sharing" });
    expect(applyEvent(sharing, { type: "KEY_REDEEMED", at: T0 })).toEqual<Outcome>({ kind: "rejected", state: "sharing" });
    expect(applyEvent(sharing, { type: "SCREEN_TRACK_PUBLISHED", at: T0 })).toEqual<Outcome>({ kind: "ignored" });
    const ended = send(sharing, "VIEWER_LEFT").session;
    expect(applyEvent(ended, { type: "SHARER_DISCONNECTED", at: T0 })).toEqual<Outcome>({ kind: "ignored" });
    expect(applyEvent(ended, { type: "VIEWER_LEFT", at: T0 })).toEqual<Outcome>({ kind: "rejected", state: "ended" });
  });
});

describe("persistence", () => {
  it("re-arms, after a restart, exactly the timers the machine scheduled", () => {
    const started = start("voice");
    const redeemed = send(started.session, "KEY_REDEEMED");
    const dropped = send(redeemed.session, "VIEWER_DISCONNECTED", T0 + 2_000);
    const rearmed = pendingTimers(JSON.parse(JSON.stringify(dropped.session)));
    const scheduled = [
      timerOf(started, "maxSessionDuration"),
      timerOf(redeemed, "screenSelectionTimeout"),
      timerOf(dropped, "viewerReconnectGrace"),
    ];
    const byType = (a: { eventType: string }, b: { eventType: string }) => a.eventType.localeCompare(b.eventType);
    expect([...rearmed].sort(byType)).toEqual([...scheduled].sort((a, b) => byType(a ?? { eventType: "" }, b ?? { eventType: "" })));
    for (const timer of rearmed) {
      const fired = send(dropped.session, timer.eventType, timer.fireAt).session;
      expect(fired.status).toBe("done");
    }
    expect(rearmed.find((timer) => timer.eventType.includes("viewerReconnectGrace"))?.fireAt).toBe(
      T0 + 2_000 + timeouts.viewerReconnectGraceMs,
    );
    expect(rearmed.find((timer) => timer.eventType.includes("screenSelection"))?.fireAt).toBe(
      T0 + 1_000 + timeouts.screenSelectionTimeoutMs,
    );
  });

  it("uses the default timeouts the protocol advertises", () => {
    expect(DEFAULT_TIMEOUTS.securityKeyTtlMs).toBe(5 * 60_000);
  });
});

describe("protocol mapping", () => {
  it("maps every end reason both ways", () => {
    for (const reason of END_REASONS) {
      expect(toProtoEndReason(reason)).not.toBe(ProtoEndReason.UNSPECIFIED);
      expect(fromProtoEndReason(toProtoEndReason(reason))).toBe(reason);
    }
    expect(toProtoEndReason(undefined)).toBe(ProtoEndReason.UNSPECIFIED);
    const protoReasons = Object.values(ProtoEndReason).filter((value) => typeof value === "number" && value !== 0);
    expect(protoReasons.length).toBe(END_REASONS.length);
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
    const sharing = run("voice", "KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED");
    for (const command of eventsHandledIn(ProtoSessionState.SHARING)) {
      if (command.endsWith("JOINED")) continue; // facts about a reconnecting party: ignored while connected
      expect(applyEvent(sharing, { type: command, at: T0 }).kind, command).not.toBe("rejected");
    }
  });
});
