import { Code } from "@connectrpc/connect";
import { applyEvent, DEFAULT_TIMEOUTS, lifecycleStateOf, type PersistedSession, startSession } from "@screenshare/machine";
import { allEventTypes, exampleEvent } from "@screenshare/machine/paths";
import { describe, expect, it } from "vitest";
import { type PartyCommand, refusal } from "./refusal.js";

const at = Date.now();
const start = (channel: "voice" | "chat") =>
  startSession({ sessionId: "s", orgId: "org", interactionId: "call", viewerUserId: "agent", channel, timeouts: DEFAULT_TIMEOUTS, at }).session;
const after = (machine: PersistedSession, ...types: string[]) =>
  types.reduce((session, type) => {
    const outcome = applyEvent(session, { type, at });
    if (outcome.kind !== "applied") throw new Error(`${type} not applied`);
    return outcome.step.session;
  }, machine);
const refused = (machine: PersistedSession, type: PartyCommand) => {
  const error = refusal({ machine }, type);
  expect(error.code).toBe(Code.FailedPrecondition);
  return error.rawMessage;
};

describe("a refused command", () => {
  it("names the RPC, the state and what the same party can do instead, read from the machine", () => {
    const voice = start("voice");
    expect(refused(voice, "VIEWER_LEFT")).toBe(
      "LeaveSession is not allowed in state AWAITING_KEY_REDEMPTION; call RegenerateSecurityKey or CancelScreenShare instead",
    );
    const sharing = after(voice, "KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED");
    expect(refused(sharing, "VIEWER_CANCELLED")).toBe("CancelScreenShare is not allowed in state SHARING; call LeaveSession instead");
    // The proto promises it: a sharer reconnecting while paused calls ResumeSharing before unpausing.
    const reconnecting = after(sharing, "SHARER_PAUSED", "SHARER_DISCONNECTED");
    expect(refused(reconnecting, "SHARER_UNPAUSED")).toBe(
      "UnpauseSharing is not allowed in state RECONNECTING_SHARER; call StopSharing or ResumeSharing instead",
    );
    expect(refused(start("chat"), "SCREEN_PICKER_CLOSED")).toBe(
      "ReportScreenSelectionProblem is not allowed in state AWAITING_ACCEPTANCE; call AcceptInvitation or DeclineInvitation instead",
    );
  });

  it("says what each party can still do once the session has ended", () => {
    const ended = after(start("chat"), "VIEWER_CANCELLED");
    expect(refused(ended, "VIEWER_RESUMED")).toBe("ResumeSession is not allowed in state ENDED; the session has ended: start a new one with StartScreenShare");
    expect(refused(ended, "INVITATION_ACCEPTED")).toMatch(/ENDED; the session has ended: ask the agent to start a new screen share$/);
    expect(refused(ended, "ADMINISTRATOR_TERMINATED")).toMatch(/^TerminateSession .* ENDED; the session has ended: nothing is left to end$/);
  });
});

const PARTY_COMMANDS: PartyCommand[] = [
  "KEY_REGENERATED",
  "VIEWER_CANCELLED",
  "VIEWER_LEFT",
  "VIEWER_RESUMED",
  "UNPAUSE_REQUESTED",
  "KEY_REDEEMED",
  "INVITATION_ACCEPTED",
  "INVITATION_DECLINED",
  "SCREEN_PICKER_CLOSED",
  "SHARER_UNSUPPORTED",
  "SHARER_PAUSED",
  "SHARER_UNPAUSED",
  "SHARER_STOPPED",
  "SHARER_RESUMED",
  "ADMINISTRATOR_TERMINATED",
];

it("while the session is live, always names an RPC the party can call, in every state the machine reaches", () => {
  // Every state reachable from a new session by commands and media facts (timers only end sessions or lead to states
  // these reach too); timestamps stay at the start, so no deadline passes meanwhile.
  const states = new Map<string, PersistedSession>();
  const queue = [start("voice"), start("chat")];
  for (let machine = queue.shift(); machine; machine = queue.shift()) {
    const name = `${machine.context.channel} ${JSON.stringify(machine.value)}`;
    if (states.has(name)) continue;
    states.set(name, machine);
    for (const type of allEventTypes()) {
      const outcome = applyEvent(machine, exampleEvent(type, at));
      if (outcome.kind === "applied") queue.push(outcome.step.session);
    }
  }
  expect(new Set([...states.values()].map(lifecycleStateOf)).size).toBe(8);
  for (const [name, machine] of states) {
    const live = lifecycleStateOf(machine) !== "ended";
    for (const type of PARTY_COMMANDS) {
      if (applyEvent(machine, { type, at }).kind !== "rejected") continue;
      expect(refusal({ machine }, type).rawMessage, `${name} then ${type}`).toMatch(live ? /; call [A-Za-z]+/ : /; the session has ended: /);
    }
  }
});
