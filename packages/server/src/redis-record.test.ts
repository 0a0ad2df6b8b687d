import { DEFAULT_TIMEOUTS, startSession } from "@screenshare/machine";
import { describe, expect, it } from "vitest";
import { recordOf, sessionValue } from "./redis-record.js";
import type { SessionRecord } from "./store.js";

const record = (): SessionRecord => {
  const { session } = startSession({
    sessionId: "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b",
    orgId: "org",
    interactionId: "i1",
    viewerUserId: "agent",
    channel: "voice",
    timeouts: DEFAULT_TIMEOUTS,
    at: 1_795_600_000_000,
  });
  return {
    id: "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b",
    version: 3,
    machine: session,
    history: [["SESSION_STARTED", 1, 1_795_600_000_000, 1]],
    lastSequence: "1",
    participants: {},
  };
};

describe("a session as the Redis store writes it", () => {
  it("starts with the header the compare-and-set script reads and gives back the same record, fields it has never seen included", () => {
    const future = { ...record(), transferredTo: { agent: "agent-2", at: 1_795_600_000_500 }, watchers: ["sup-1", "sup-2"] };
    const value = sessionValue(future, "sharing", "shr_abc");
    expect(value.subarray(0, 19).toString()).toBe("3 sharing shr_abc \u0001");
    expect(recordOf(value)).toEqual(future);
    expect(recordOf(sessionValue(record(), "awaitingKeyRedemption", ""))).toEqual(record());
  });

  it("takes a fifth of the record's JSON", () => {
    expect(sessionValue(record(), "awaitingKeyRedemption", "").length).toBeLessThan(JSON.stringify(record()).length / 4);
  });

  it("refuses what it cannot read, saying why, and a header that would not parse", () => {
    expect(() => recordOf(Buffer.from('{"id":"s1"}'))).toThrow("written by an older server");
    expect(() => recordOf(Buffer.from("3 sharing  \u0009xyz"))).toThrow("format 9");
    expect(() => sessionValue(record(), "sharing", "shr abc")).toThrow("whitespace");
  });
});
