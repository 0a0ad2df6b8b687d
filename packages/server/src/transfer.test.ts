import { Code, ConnectError } from "@connectrpc/connect";
import { publishScreen, receiveFrames } from "@screenshare/devstack";
import { Channel, EndReason, InteractionStatus, SessionState } from "@screenshare/protocol";
import { agentWithInteraction, clientsFor, collectEvents, joinRoom, type ReferenceStack, startReferenceStack, unique } from "@screenshare/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintViewerToken, VIEW_PERMISSION } from "./auth.js";

let stack: ReferenceStack;
beforeAll(async () => {
  stack = await startReferenceStack({ timeouts: { viewerReconnectGraceMs: 30_000 } });
});
afterAll(async () => {
  await stack?.stop();
});

/** Another agent of the org, with clients. */
async function colleague(orgId: string) {
  const agent = unique("colleague");
  const token = await mintViewerToken({ ...stack.viewerTokens, org: orgId, sub: agent, permissions: [VIEW_PERMISSION] });
  return { agent, token, ...clientsFor(stack.server.url, token) };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "OK",
    (error: unknown) => Code[ConnectError.from(error).code],
  );
}

type Room = Awaited<ReturnType<typeof joinRoom>>;
/** Resolves when LiveKit disconnects `room` (rtc-node's RoomEvent.Disconnected; rtc-node is testkit's dependency, not ours). */
const disconnected = (room: Room) =>
  new Promise<void>((resolve) => {
    if (!room.isConnected) return resolve();
    (room as unknown as { once(event: "disconnected", listener: () => void): void }).once("disconnected", resolve);
  });

describe("TransferInteraction", () => {
  it("moves a voice share awaiting its key to the new agent: the key read aloud still works, the old agent loses it", async () => {
    const alex = await agentWithInteraction(stack, Channel.VOICE);
    const bo = await colleague(alex.orgId);
    const { session } = await alex.viewer.viewer.startScreenShare({ interactionId: alex.interactionId });
    const sessionId = session?.sessionId ?? "";
    // The old agent's stream, open for sure once its first event came.
    const stream = alex.viewer.watch.watchSession({ sessionId }, { signal: AbortSignal.timeout(10_000) })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.event?.trigger).toBe("SESSION_STARTED");
    const watching = (async () => {
      const events = [];
      for (let next = await stream.next(); !next.done; next = await stream.next()) if (next.value.event) events.push(next.value.event);
      return events;
    })();

    const moved = await alex.platform.transferInteraction({
      orgId: alex.orgId,
      interactionId: alex.interactionId,
      toAgentUserId: bo.agent,
      toAgentDisplayName: "Bo",
    });
    expect(moved.interaction?.agentUserId).toBe(bo.agent);
    expect(moved.endedSessions).toEqual([]);
    expect(moved.transferredSessions.map((s) => [s.sessionId, s.viewerUserId, s.previousViewerUserId, s.viewerDisplayName, s.state])).toEqual([
      [sessionId, bo.agent, alex.agent, "Bo", SessionState.AWAITING_KEY_REDEMPTION],
    ]);
    expect(moved.transferredSessions[0]?.securityKey).toBeUndefined();

    // The old agent's open stream gets the transfer, naming both viewers, and ends; after that the session is not theirs.
    const seen = await watching;
    expect(seen.map((event) => event.trigger)).toEqual(["VIEWER_TRANSFERRED"]);
    expect(seen[0]?.session).toMatchObject({ viewerUserId: bo.agent, previousViewerUserId: alex.agent, state: SessionState.AWAITING_KEY_REDEMPTION });
    for (const call of [
      alex.viewer.viewer.getSession({ sessionId }),
      alex.viewer.viewer.getViewerMediaJoinInfo({ sessionId }),
      alex.viewer.viewer.cancelScreenShare({ sessionId }),
      alex.viewer.viewer.regenerateSecurityKey({ sessionId }),
      alex.viewer.viewer.resumeSession({ sessionId }),
      alex.viewer.viewer.getSessionHistory({ sessionId }),
      collectEvents(alex.viewer.watch, sessionId),
    ]) {
      expect(await codeOf(call)).toBe("NotFound");
    }
    expect((await alex.viewer.viewer.listSessions({})).sessions).toEqual([]);
    // Nor is the interaction: only its new agent may start a share on it.
    expect(await codeOf(alex.viewer.viewer.startScreenShare({ interactionId: alex.interactionId }))).toBe("PermissionDenied");

    // The new agent finds it as if they had started it, key included, and the customer's key still works.
    const { sessions } = await bo.viewer.listSessions({ liveOnly: true, pageSize: 1 });
    expect(sessions.map((s) => [s.sessionId, s.securityKey?.key])).toEqual([[sessionId, session?.securityKey?.key]]);
    expect((await bo.viewer.resumeSession({ sessionId })).session?.viewerUserId).toBe(bo.agent);
    const redeemed = await clientsFor(stack.server.url).sharer.redeemSecurityKey({ orgId: alex.orgId, securityKey: session?.securityKey?.key ?? "" });
    expect(redeemed.session?.state).toBe(SessionState.SELECTING_SCREEN);
    expect((await bo.viewer.getSession({ sessionId })).session?.securityKey).toBeUndefined();

    // The history names both viewers at the transfer, and the starting viewer before it.
    const { events } = await bo.viewer.getSessionHistory({ sessionId });
    expect(events.map((event) => [event.trigger, event.session?.viewerUserId, event.session?.previousViewerUserId])).toEqual([
      ["SESSION_STARTED", alex.agent, ""],
      ["VIEWER_TRANSFERRED", bo.agent, alex.agent],
      ["KEY_REDEEMED", bo.agent, alex.agent],
    ]);
    expect(events[1]?.actor).toBe(3); // ACTOR_PLATFORM
    // The new agent's stream replays the whole history, the first agent's events included, and stays open.
    const replayed = await collectEvents(bo.watch, sessionId, (event) => event.sequence === 3n);
    expect(replayed.map((event) => event.trigger)).toEqual(["SESSION_STARTED", "VIEWER_TRANSFERRED", "KEY_REDEEMED"]);

    // The old agent's one-live-share slot is free: they start a share on another call at once.
    const next = await alex.platform.registerInteraction({
      orgId: alex.orgId,
      interactionId: unique("interaction"),
      channel: Channel.CHAT,
      agentUserId: alex.agent,
    });
    expect((await alex.viewer.viewer.startScreenShare({ interactionId: next.interaction?.interactionId ?? "" })).session?.viewerUserId).toBe(alex.agent);
    expect((await bo.viewer.cancelScreenShare({ sessionId })).session?.endReason).toBe(EndReason.VIEWER_CANCELLED);
  }, 30_000);

  it("ends the share with TRANSFER_TARGET_BUSY when the new agent already has a live one, and moves the interaction all the same", async () => {
    const alex = await agentWithInteraction(stack, Channel.CHAT);
    const bo = await agentWithInteraction(stack, Channel.VOICE, alex.orgId);
    const { session: busy } = await bo.viewer.viewer.startScreenShare({ interactionId: bo.interactionId });
    const { session } = await alex.viewer.viewer.startScreenShare({ interactionId: alex.interactionId });
    const sessionId = session?.sessionId ?? "";
    const moved = await alex.platform.transferInteraction({ orgId: alex.orgId, interactionId: alex.interactionId, toAgentUserId: bo.agent });
    expect(moved.interaction?.agentUserId).toBe(bo.agent);
    expect(moved.transferredSessions).toEqual([]);
    expect(moved.endedSessions.map((s) => [s.sessionId, s.state, s.endReason, s.viewerUserId])).toEqual([
      [sessionId, SessionState.ENDED, EndReason.TRANSFER_TARGET_BUSY, alex.agent],
    ]);
    // The ended share stays the old agent's (its history is theirs); the new agent's own share is untouched.
    expect((await alex.viewer.viewer.getSession({ sessionId })).session?.endReason).toBe(EndReason.TRANSFER_TARGET_BUSY);
    expect((await bo.viewer.viewer.getSession({ sessionId: busy?.sessionId ?? "" })).session?.state).toBe(SessionState.AWAITING_KEY_REDEMPTION);
    expect((await bo.viewer.viewer.listSessions({ liveOnly: true })).sessions.map((s) => s.sessionId)).toEqual([busy?.sessionId]);
    await bo.viewer.viewer.cancelScreenShare({ sessionId: busy?.sessionId ?? "" });
  });

  it("to the agent who already has it changes nothing; a retry with the same idempotency key returns the first result", async () => {
    const alex = await agentWithInteraction(stack, Channel.VOICE);
    const bo = await colleague(alex.orgId);
    const cy = await colleague(alex.orgId);
    const { session } = await alex.viewer.viewer.startScreenShare({ interactionId: alex.interactionId });
    const sessionId = session?.sessionId ?? "";
    const same = await alex.platform.transferInteraction({ orgId: alex.orgId, interactionId: alex.interactionId, toAgentUserId: alex.agent });
    expect(same.transferredSessions).toEqual([]);
    expect((await alex.viewer.viewer.getSession({ sessionId })).session?.lastSequence).toBe(1n);

    const request = { orgId: alex.orgId, interactionId: alex.interactionId, toAgentUserId: bo.agent, idempotencyKey: unique("transfer") };
    const first = await alex.platform.transferInteraction(request);
    await alex.platform.transferInteraction({ ...request, toAgentUserId: cy.agent, idempotencyKey: unique("transfer") });
    const retried = await alex.platform.transferInteraction(request);
    expect(retried).toEqual(first);
    expect((await cy.viewer.getSession({ sessionId })).session?.previousViewerUserId).toBe(bo.agent);
    await cy.viewer.cancelScreenShare({ sessionId });
  });

  it("refuses a disconnected or unknown interaction, malformed fields and callers without the integration key", async () => {
    const alex = await agentWithInteraction(stack, Channel.VOICE);
    const base = { orgId: alex.orgId, interactionId: alex.interactionId, toAgentUserId: "bo" };
    expect(await codeOf(alex.platform.transferInteraction({ ...base, interactionId: "no-such-call" }))).toBe("NotFound");
    expect(await codeOf(alex.platform.transferInteraction({ ...base, toAgentUserId: "" }))).toBe("InvalidArgument");
    expect(await codeOf(alex.platform.transferInteraction({ ...base, toAgentUserId: "bo bo" }))).toBe("InvalidArgument");
    expect(await codeOf(alex.platform.transferInteraction({ ...base, toAgentDisplayName: "B".repeat(201) }))).toBe("InvalidArgument");
    expect(await codeOf(alex.platform.transferInteraction({ ...base, idempotencyKey: "not a key!" }))).toBe("InvalidArgument");
    expect(await codeOf(clientsFor(stack.server.url, "wrong").platform.transferInteraction(base))).toBe("Unauthenticated");
    await alex.platform.setInteractionStatus({ orgId: alex.orgId, interactionId: alex.interactionId, status: InteractionStatus.DISCONNECTED });
    expect(await codeOf(alex.platform.transferInteraction(base))).toBe("FailedPrecondition");
  });
});

describe("a transferred share with real media", () => {
  it("keeps the screen flowing to the new agent with no re-share; the old agent is removed and cannot rejoin with their token", async () => {
    const alex = await agentWithInteraction(stack, Channel.VOICE);
    const bo = await colleague(alex.orgId);
    const { session } = await alex.viewer.viewer.startScreenShare({ interactionId: alex.interactionId });
    const sessionId = session?.sessionId ?? "";
    const redeemed = await clientsFor(stack.server.url).sharer.redeemSecurityKey({ orgId: alex.orgId, securityKey: session?.securityKey?.key ?? "" });
    const sharer = clientsFor(stack.server.url, redeemed.sharerCredential);
    const sharerRoom = await joinRoom((await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media);
    const oldMedia = (await alex.viewer.viewer.getViewerMediaJoinInfo({ sessionId })).media;
    const alexRoom = await joinRoom(oldMedia);
    const alexFrames = receiveFrames(alexRoom, 5);
    const sharing = collectEvents(alex.viewer.watch, sessionId, (event) => event.session?.state === SessionState.SHARING);
    const screen = await publishScreen(sharerRoom);
    await sharing;
    await alexFrames;

    const removed = disconnected(alexRoom);
    await alex.platform.transferInteraction({ orgId: alex.orgId, interactionId: alex.interactionId, toAgentUserId: bo.agent });
    await removed;
    // The old agent's token, issued before the transfer, still opens the door for a moment: the server removes them.
    const rejoined = await joinRoom(oldMedia);
    await disconnected(rejoined);

    const media = (await bo.viewer.getViewerMediaJoinInfo({ sessionId })).media;
    expect(media?.transport.case === "livekit" && media.transport.value.participantIdentity).toBe(`viewer.1-${sessionId}`);
    const boRoom = await joinRoom(media);
    expect(await receiveFrames(boRoom, 10)).toMatchObject({ width: 320, height: 180 });
    // With the new agent in, the old token still gets the former viewer nowhere: refused, or removed at once.
    const again = await joinRoom(oldMedia).then(
      (room) => Promise.race([disconnected(room).then(() => "removed"), new Promise((resolve) => setTimeout(() => resolve("still in"), 10_000))]),
      () => "refused",
    );
    expect(["refused", "removed"]).toContain(again);
    // None of this moved the session: it is still sharing, the sharer never chose a screen again.
    const { session: now } = await bo.viewer.getSession({ sessionId });
    expect(now?.state).toBe(SessionState.SHARING);
    expect((await bo.viewer.getSessionHistory({ sessionId })).events.map((event) => event.trigger)).toEqual([
      "SESSION_STARTED",
      "KEY_REDEEMED",
      "SCREEN_TRACK_PUBLISHED",
      "VIEWER_TRANSFERRED",
    ]);
    await bo.viewer.leaveSession({ sessionId });
    await screen.stop();
    await Promise.all([sharerRoom.disconnect(), boRoom.disconnect()]);
  }, 60_000);
});
