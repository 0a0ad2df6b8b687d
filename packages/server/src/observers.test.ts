import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { isLive } from "@screenshare/machine";
import { Channel, InteractionSchema, InteractionStatus, SessionState } from "@screenshare/protocol";
import { memoryMedia } from "@screenshare/testkit";
import type { WebhookEvent } from "livekit-server-sdk";
import { TrackSource } from "livekit-server-sdk";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "./config.js";
import { SessionEngine } from "./engine.js";
import { roomOf } from "./media.js";
import { mediaFactOf, observerFactOf } from "./media-facts.js";
import { MemoryStore } from "./memory-store.js";
import { createMetrics } from "./metrics.js";
import { sessionToProto, supervisorSessionToProto, viewerSessionToProto } from "./session-view.js";

async function engineWith(limits: { maxObserversPerSession?: number } = {}) {
  const options = resolveOptions({
    port: 0,
    livekit: { url: "", apiKey: "", apiSecret: "z".repeat(32) },
    viewerTokens: { secret: "x".repeat(32), issuer: "test", audience: "test" },
    integrationApiKey: "y".repeat(32),
    quiet: true,
    limits,
    observerPolicy: { announced: true, byOrg: { "silent-org": false } },
  });
  const engine = new SessionEngine(new MemoryStore(), options, memoryMedia(), createMetrics());
  const start = async (orgId: string, agent: string) => {
    const interactionId = `call-${agent}`;
    await engine.interactions.register(
      create(InteractionSchema, { orgId, interactionId, channel: Channel.VOICE, agentUserId: agent, status: InteractionStatus.CONNECTED }),
    );
    return engine.start(orgId, agent, interactionId);
  };
  return { engine, start };
}

let eventId = 0;
/** A verified LiveKit webhook as the server receives it; `createdAt` in whole seconds like LiveKit's. */
function webhook(event: string, sessionId: string, identity: string, sid: string, createdAt: number, extra: object = {}): WebhookEvent {
  return {
    id: `EV_${++eventId}`,
    event,
    room: { name: roomOf(sessionId) },
    participant: { identity, sid },
    createdAt: BigInt(createdAt),
    ...extra,
  } as unknown as WebhookEvent;
}

describe("observers in the media plane's facts", () => {
  it("an observer's joining, leaving or publishing is never a fact of the viewer or the sharer", () => {
    const identity = "observer-1-session-1";
    for (const event of ["participant_joined", "participant_left", "track_published", "track_unpublished"]) {
      expect(mediaFactOf(webhook(event, "session-1", identity, "PA_1", 1, { track: { source: TrackSource.SCREEN_SHARE } }))).toBeUndefined();
    }
    expect(observerFactOf(webhook("participant_left", "session-1", identity, "PA_1", 7))).toEqual({
      sessionId: "session-1",
      number: 1,
      sid: "PA_1",
      change: "left",
      at: 7000,
    });
    // A party's identity is no observer's, and an observer of another session's room is nobody here.
    expect(observerFactOf(webhook("participant_left", "session-1", "viewer-session-1", "PA_2", 1))).toBeUndefined();
    expect(observerFactOf(webhook("participant_left", "session-1", "observer-1-session-2", "PA_3", 1))).toBeUndefined();
  });

  it("observers joining and leaving are recorded beside the lifecycle: no state change, no event", async () => {
    const { engine, start } = await engineWith();
    const session = await start("org", "agent");
    const { media } = await engine.observers.observe(session, "boss");
    const identity = media.transport.case === "livekit" ? media.transport.value.participantIdentity : "";
    expect(identity).toBe(`observer-1-${session.id}`);
    const now = Math.floor(Date.now() / 1000);
    await engine.mediaEvent(webhook("participant_joined", session.id, identity, "PA_old", now), 60_000);
    await engine.mediaEvent(webhook("participant_joined", session.id, identity, "PA_new", now + 1), 60_000);
    // The first connection's leaving comes late, after a reload's new connection joined: it does not count.
    await engine.mediaEvent(webhook("participant_left", session.id, identity, "PA_old", now + 2), 60_000);
    let record = await engine.getSession(session.id);
    const watching = supervisorSessionToProto(record as NonNullable<typeof record>);
    expect(watching.observations[0]?.joinedAt && timestampMs(watching.observations[0].joinedAt)).toBe(now * 1000);
    expect(watching.observations[0]?.leftAt).toBeUndefined();
    await engine.mediaEvent(webhook("participant_left", session.id, identity, "PA_new", now + 3), 60_000);
    record = await engine.getSession(session.id);
    const left = supervisorSessionToProto(record as NonNullable<typeof record>);
    expect(left.observations[0]?.leftAt && timestampMs(left.observations[0].leftAt)).toBe((now + 3) * 1000);
    expect(left.state).toBe(SessionState.AWAITING_KEY_REDEMPTION);
    expect(left.lastSequence).toBe(1n);
    expect(record?.history.map(([type]) => type)).toEqual(["SESSION_STARTED"]);
  });

  it("the sharer never sees observations; the viewer and supervisors do", async () => {
    const { engine, start } = await engineWith();
    const session = await start("org", "agent");
    const { record } = await engine.observers.observe(session, "boss");
    expect(sessionToProto(record).observations).toEqual([]);
    expect(viewerSessionToProto(record).observations.map((o) => o.observerUserId)).toEqual(["boss"]);
    expect(supervisorSessionToProto(record).observations.map((o) => o.observerUserId)).toEqual(["boss"]);
  });
});

describe("observing a session", () => {
  it("never holds the observer's own viewer slot", async () => {
    const { engine, start } = await engineWith();
    const observed = await start("org", "agent");
    await engine.observers.observe(observed, "boss");
    const own = await start("org", "boss");
    expect(isLive(own.machine)).toBe(true);
  });

  it("admits a bounded number of different supervisors; a returning one keeps its identity", async () => {
    const { engine, start } = await engineWith({ maxObserversPerSession: 2 });
    const session = await start("org", "agent");
    const identity = async (user: string) => {
      const { media } = await engine.observers.observe(session, user);
      return media.transport.case === "livekit" ? media.transport.value.participantIdentity : "";
    };
    expect([await identity("a"), await identity("b"), await identity("a")]).toEqual([
      `observer-1-${session.id}`,
      `observer-2-${session.id}`,
      `observer-1-${session.id}`,
    ]);
    await expect(identity("c")).rejects.toMatchObject({ code: Code.ResourceExhausted });
  });

  it("is refused once the session ended, and an observer still in the room left at the end", async () => {
    const { engine, start } = await engineWith();
    const session = await start("org", "agent");
    const { media } = await engine.observers.observe(session, "boss");
    const identity = media.transport.case === "livekit" ? media.transport.value.participantIdentity : "";
    await engine.mediaEvent(webhook("participant_joined", session.id, identity, "PA_1", Math.floor(Date.now() / 1000)), 60_000);
    const ended = await engine.command(session.id, "VIEWER_CANCELLED", 1);
    await expect(engine.observers.observe(ended, "boss")).rejects.toMatchObject({ code: Code.FailedPrecondition });
    const view = supervisorSessionToProto(ended);
    expect(view.observations[0]?.leftAt).toEqual(view.endedAt);
  });

  it("follows the org's policy, fixed when the session starts", async () => {
    const { engine, start } = await engineWith();
    const announced = await start("org", "agent");
    const silent = await start("silent-org", "agent");
    expect(sessionToProto(announced).observersAnnounced).toBe(true);
    expect(sessionToProto(silent).observersAnnounced).toBe(false);
    // The org's other sessions and ended ones are not listed for its supervisors.
    expect((await engine.liveSessionsOfOrg("silent-org")).map((record) => record.id)).toEqual([silent.id]);
    await engine.command(silent.id, "VIEWER_CANCELLED", 1);
    expect(await engine.liveSessionsOfOrg("silent-org")).toEqual([]);
  });
});
