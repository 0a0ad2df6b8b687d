import { Code } from "@connectrpc/connect";
import { EndReason, SessionState } from "@screenshare/protocol";
import { describe, expect, it } from "vitest";
import * as agent from "./agent-messages.js";
import * as customer from "./customer-messages.js";
import { failureOf } from "./errors.js";

const reasons = Object.values(EndReason).filter((value): value is EndReason => typeof value === "number" && value !== EndReason.UNSPECIFIED);
const liveStates = Object.values(SessionState).filter(
  (value): value is SessionState => typeof value === "number" && value !== SessionState.UNSPECIFIED && value !== SessionState.ENDED,
);
const NAMES = /\b[A-Z]{2,}(?:_[A-Z]+)+\b/;

describe("the message catalogues", () => {
  it("have a sentence of their own for every end reason, for the agent and the customer", () => {
    const agentSentences = reasons.map((reason) => agent.endedStatus(reason, "Maria").headline);
    const customerSentences = reasons.map((reason) => customer.endedStatus(reason, "Alex", "voice").headline);
    expect(new Set(agentSentences).size).toBe(reasons.length);
    expect(new Set(customerSentences).size).toBe(reasons.length);
    for (const sentence of [...agentSentences, ...customerSentences]) expect(sentence).not.toMatch(NAMES);
    // A share that could not follow its transferred call says so, on both sides.
    expect(agent.endedStatus(EndReason.TRANSFER_TARGET_BUSY, "Maria").headline).toMatch(/transferred/);
    expect(customer.endedStatus(EndReason.TRANSFER_TARGET_BUSY, "Alex", "voice").headline).toMatch(/transferred/);
  });

  it("say where a share went with its transferred call or chat, naming the new agent, with a next step", () => {
    const away = agent.agentText.transferredAway("chat", "Bo", "Maria");
    expect(away.headline).toBe("The screen share went with the chat to Bo.");
    expect(away.next).toContain("Maria");
    expect(away.next).toMatch(/start a new screen share/);
    expect(customer.customerText.transferredTo("Bo")).toBe("You are now sharing your screen with Bo.");
  });

  it("say where every live state is, with a next step", () => {
    for (const state of liveStates) {
      const status = agent.liveStatus(state, "Maria");
      expect(status.headline).not.toContain("does not know");
      expect(status.next.length).toBeGreaterThan(10);
    }
  });

  it("turn Connect codes and typed details into sentences, never the raw text", () => {
    expect(failureOf(new Error("not a Connect error")).code).toBe(Code.Unknown);
    for (const code of Object.values(Code).filter((value): value is Code => typeof value === "number")) {
      const failure = { code, fields: [], technical: "[failed_precondition] raw text" };
      for (const sentence of [agent.agentFailure(failure), customer.customerFailure(failure, "key"), customer.customerFailure(failure, "other")]) {
        expect(sentence).not.toMatch(/raw text|\[|_/);
        expect(sentence).toMatch(/\.$/);
      }
    }
    expect(agent.agentFailure({ code: Code.FailedPrecondition, liveSessionId: "s1", fields: [], technical: "" })).toMatch(/already have a screen share/);
    expect(customer.customerFailure({ code: Code.ResourceExhausted, retryAfterSeconds: 42, fields: [], technical: "" }, "key")).toMatch(/42 seconds/);
  });
});
