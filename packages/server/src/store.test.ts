import { describe, expect, it } from "vitest";
import { MemoryStore, type SessionRecord } from "./store.js";

const record = (id: string) => ({ id, version: 1, history: [], lastSequence: "0", participants: {} }) as unknown as SessionRecord;

describe("the embedded store", () => {
  it("fires each armed timer once, in due order; a re-armed id replaces the old timer and a cancelled one never fires", async () => {
    const store = new MemoryStore();
    await store.scheduleTimer("s1", "lifecycle", "LIFECYCLE", 100);
    await store.scheduleTimer("s1", "max", "MAX", 50);
    await store.scheduleTimer("s2", "lifecycle", "LIFECYCLE", 70);
    await store.scheduleTimer("s3", "lifecycle", "LIFECYCLE", 60);
    await store.scheduleTimer("s1", "lifecycle", "LIFECYCLE", 200);
    await store.cancelTimer("s2", "lifecycle");
    expect(await store.claimDueTimers(40)).toEqual([]);
    expect(await store.claimDueTimers(150)).toEqual([
      { sessionId: "s1", eventType: "MAX", fireAt: 50 },
      { sessionId: "s3", eventType: "LIFECYCLE", fireAt: 60 },
    ]);
    expect(await store.claimDueTimers(150)).toEqual([]);
    expect(await store.claimDueTimers(250)).toEqual([{ sessionId: "s1", eventType: "LIFECYCLE", fireAt: 200 }]);
    expect(await store.claimDueTimers(10_000)).toEqual([]);
  });

  it("lists a viewer's and an interaction's sessions newest first, one or many", async () => {
    const store = new MemoryStore();
    await store.createSession(record("a"), "org/agent", "org/i1");
    expect(await store.viewerSessions("org/agent")).toEqual(["a"]);
    await store.createSession(record("b"), "org/agent", "org/i1");
    await store.createSession(record("c"), "org/agent", "org/i2");
    expect(await store.viewerSessions("org/agent")).toEqual(["c", "b", "a"]);
    expect(await store.viewerSessions("org/agent", 1)).toEqual(["c"]);
    expect(await store.interactionSessions("org/i1")).toEqual(["b", "a"]);
    expect(await store.interactionSessions("org/i2")).toEqual(["c"]);
    expect(await store.viewerSessions("org/nobody")).toEqual([]);
    // A caller changing the returned list does not change the index.
    (await store.viewerSessions("org/agent")).pop();
    expect(await store.viewerSessions("org/agent")).toEqual(["c", "b", "a"]);
  });
});
