import { describe, expect, it } from "vitest";
import { applyEvent, type LifecycleState, lifecycleStateOf, type PersistedSession, pendingTimers, type Step, startSession } from "./host.js";
import type { Channel } from "./machine.js";
import { exampleEvent, variantInput } from "./paths.js";

const T0 = 1_000_000;
const target = { toViewerUserId: "bo", toViewerDisplayName: "Bo" };

/** Applies events one second apart, through JSON round-trips as a stateless host would, expecting each applied. */
function run(channel: Channel, types: readonly string[]): Step {
  let step = startSession({ ...variantInput({ channel, grace: "window" }), viewerUserId: "alex", at: T0 });
  for (const [index, type] of types.entries()) step = send(step.session, exampleEvent(type, T0 + 1_000 * (index + 1)));
  return step;
}

function send(session: PersistedSession, event: Parameters<typeof applyEvent>[1]): Step {
  const outcome = applyEvent(JSON.parse(JSON.stringify(session)), event);
  if (outcome.kind !== "applied") throw new Error(`${event.type} was ${outcome.kind} in ${lifecycleStateOf(session)}`);
  return JSON.parse(JSON.stringify(outcome.step));
}

const transfer = (session: PersistedSession, at = T0 + 60_000) => send(session, { type: "VIEWER_TRANSFERRED", at, ...target });

/** Where a transfer may come, before and after the share started, and in each party's reconnect. */
const LIVE: Array<[LifecycleState, Channel, string[]]> = [
  ["awaitingKeyRedemption", "voice", []],
  ["awaitingAcceptance", "chat", []],
  ["selectingScreen", "voice", ["KEY_REDEEMED"]],
  ["sharing", "chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED"]],
  ["sharerReconnecting", "voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED", "SHARER_DISCONNECTED"]],
  // A privacy pause goes with the call too: the new viewer gets the same frozen screen, the pause keeps its deadline.
  ["paused", "chat", ["INVITATION_ACCEPTED", "SCREEN_TRACK_PUBLISHED", "SHARER_PAUSED"]],
];

describe("a transfer of the interaction", () => {
  it.each(LIVE)("moves the session in %s (%s) to the new viewer, keeping its place, its key or invitation and its timers", (state, channel, prefix) => {
    const before = run(channel, prefix).session;
    const moved = transfer(before);
    expect(lifecycleStateOf(moved.session)).toBe(state);
    expect(moved.session.context).toMatchObject({ viewerUserId: "bo", previousViewerUserId: "alex", viewerDisplayName: "Bo", transfers: 1 });
    // The former viewer leaves the media room; nothing else happens: no key revoked, no invitation withdrawn.
    expect(moved.effects).toEqual(["evictFormerViewer"]);
    expect(moved.cancel).toEqual([]);
    expect(moved.schedule).toEqual([]);
    expect(pendingTimers(moved.session)).toEqual(pendingTimers(before));
    expect(moved.session.context.securityKeyGeneration).toBe(before.context.securityKeyGeneration);
    expect(moved.session.context.pausedAt).toBe(before.context.pausedAt);
    expect(moved.changed).toBe(true);
  });

  it("ends a dropped viewer's grace window: the new viewer counts as connected", () => {
    const dropped = run("voice", ["KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED", "VIEWER_DISCONNECTED"]);
    expect(lifecycleStateOf(dropped.session)).toBe("viewerReconnecting");
    const moved = transfer(dropped.session);
    expect(lifecycleStateOf(moved.session)).toBe("sharing");
    expect(moved.cancel).toEqual(["viewerReconnectGrace"]);
    expect(moved.effects).toEqual(["evictFormerViewer"]);
    expect(pendingTimers(moved.session).map((timer) => timer.id)).toEqual(["maxSessionDuration"]);
    // The former viewer's grace timer, had it fired meanwhile, no longer applies.
    const grace = pendingTimers(dropped.session).find((timer) => timer.id === "viewerReconnectGrace");
    expect(applyEvent(moved.session, { type: `TIMEOUT:viewerReconnectGrace`, at: grace?.fireAt ?? 0 }).kind).toBe("ignored");
  });

  it("counts each transfer and names the viewer it came from", () => {
    const twice = send(transfer(run("voice", []).session).session, { type: "VIEWER_TRANSFERRED", at: T0 + 90_000, toViewerUserId: "alex" });
    expect(twice.session.context).toMatchObject({ viewerUserId: "alex", previousViewerUserId: "bo", viewerDisplayName: "", transfers: 2 });
  });

  it("is rejected without a new viewer, to the same viewer, and once the session has ended", () => {
    const waiting = run("voice", []).session;
    expect(applyEvent(waiting, { type: "VIEWER_TRANSFERRED", at: T0 }).kind).toBe("rejected");
    expect(applyEvent(waiting, { type: "VIEWER_TRANSFERRED", at: T0, toViewerUserId: "" }).kind).toBe("rejected");
    expect(applyEvent(waiting, { type: "VIEWER_TRANSFERRED", at: T0, toViewerUserId: "alex" }).kind).toBe("rejected");
    const ended = run("voice", ["VIEWER_CANCELLED"]).session;
    expect(applyEvent(ended, { type: "VIEWER_TRANSFERRED", at: T0, ...target })).toEqual({ kind: "rejected", state: "ended" });
    expect(applyEvent(ended, { type: "TRANSFER_TARGET_BUSY", at: T0 })).toEqual({ kind: "rejected", state: "ended" });
  });

  it("to a viewer who is busy ends the session with TRANSFER_TARGET_BUSY, cleaning up as every ending does", () => {
    const ended = send(run("voice", []).session, { type: "TRANSFER_TARGET_BUSY", at: T0 + 5_000 });
    expect(ended.session.context.endReason).toBe("TRANSFER_TARGET_BUSY");
    expect(ended.session.context.viewerUserId).toBe("alex");
    expect(ended.effects).toEqual(["revokeSecurityKey", "deleteMediaRoom", "revokeSharerCredential"]);
  });
});
