import { Code } from "@connectrpc/connect";
import { Actor, Channel, EndReason, InteractionStatus, SessionState } from "@screenshare/protocol";
import type { Case } from "./case.js";
import type { Agent, CaseContext } from "./context.js";
import { check, equal, rejects } from "./expect.js";

// InteractionService.TransferInteraction's promises: a live share follows its interaction to another agent.

const define = (name: string, run: Case["run"], covers: string[] = []): Case => ({ name, run, covers });

/** An agent with a live session of `channel`, and a colleague of the same org to transfer it to. */
async function sessionAndColleague(context: CaseContext, channel: Channel, existing?: Agent) {
  const agent = existing ?? (await context.agent(channel));
  const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
  const sessionId = session?.sessionId ?? "";
  const colleague = await context.colleague(agent);
  context.cleanups.push(() => context.platform.terminateSession({ orgId: agent.org, sessionId }));
  return { agent, colleague, sessionId, key: session?.securityKey?.key ?? "" };
}

const transfer = (context: CaseContext, agent: Agent, to: Agent, idempotencyKey = "") =>
  context.platform.transferInteraction({ orgId: agent.org, interactionId: agent.interactionId, toAgentUserId: to.user, idempotencyKey });

/** Every viewer RPC on the session answers the former viewer NOT_FOUND, as for a session that is not theirs. */
async function notTheirs(former: Agent, sessionId: string): Promise<void> {
  const viewer = former.clients.viewer;
  const id = { sessionId };
  await rejects(viewer.getSession(id), Code.NotFound, "GetSession by the former viewer");
  await rejects(viewer.getViewerMediaJoinInfo(id), Code.NotFound, "GetViewerMediaJoinInfo (a media token) for the former viewer");
  await rejects(viewer.getSessionHistory(id), Code.NotFound, "GetSessionHistory by the former viewer");
  await rejects(viewer.resumeSession(id), Code.NotFound, "ResumeSession by the former viewer");
  await rejects(viewer.cancelScreenShare(id), Code.NotFound, "CancelScreenShare by the former viewer");
  const stream = former.clients.watch.watchSession(id)[Symbol.asyncIterator]();
  await rejects(stream.next(), Code.NotFound, "WatchSession by the former viewer");
  const { sessions } = await viewer.listSessions({ liveOnly: true });
  check(!sessions.some((listed) => listed.sessionId === sessionId), "the former viewer's ListSessions without the session", "listed");
}

export const transferCases: Case[] = [
  define("transfer/voice-key-follows-the-call", async (context) => {
    const { agent, colleague, sessionId, key } = await sessionAndColleague(context, Channel.VOICE);
    // The former viewer's open stream (open for sure once its first event came): it must get the transfer's event,
    // naming both viewers, and then end.
    const stream = agent.clients.watch.watchSession({ sessionId }, { signal: AbortSignal.timeout(8_000) })[Symbol.asyncIterator]();
    const first = await stream.next();
    equal(first.value?.event?.trigger, "SESSION_STARTED", "the former viewer's first streamed event");
    const watched = (async () => {
      const events = [];
      for (let next = await stream.next(); !next.done; next = await stream.next()) if (next.value.event) events.push(next.value.event);
      return events;
    })();
    const moved = await context.platform.transferInteraction({
      orgId: agent.org,
      interactionId: agent.interactionId,
      toAgentUserId: colleague.user,
      toAgentDisplayName: "Conformance Colleague",
    });
    equal(moved.interaction?.agentUserId, colleague.user, "the transferred interaction's agent_user_id");
    const [followed] = moved.transferredSessions;
    check(moved.transferredSessions.length === 1 && followed?.sessionId === sessionId, "transferred_sessions = the live session", moved.transferredSessions);
    equal(followed?.viewerUserId, colleague.user, "transferred session's viewer_user_id");
    equal(followed?.previousViewerUserId, agent.user, "transferred session's previous_viewer_user_id");
    equal(followed?.viewerDisplayName, "Conformance Colleague", "transferred session's viewer_display_name");
    equal(followed?.state, SessionState.AWAITING_KEY_REDEMPTION, "transferred session's state");
    check(!followed?.securityKey, "no security_key in TransferInteraction's session (the platform's answer)", followed?.securityKey);
    const events = await watched;
    check(
      events.length === 1 && events[0]?.trigger === "VIEWER_TRANSFERRED" && events[0].actor === Actor.PLATFORM,
      "the former viewer's stream to end after one VIEWER_TRANSFERRED event by ACTOR_PLATFORM",
      events.map((event) => event.trigger),
    );
    equal(events[0]?.session?.previousViewerUserId, agent.user, "the transfer event's previous_viewer_user_id");
    equal(events[0]?.session?.viewerUserId, colleague.user, "the transfer event's viewer_user_id");
    equal(events[0]?.session?.viewerDisplayName, "Conformance Colleague", "the transfer event's viewer_display_name");
    await notTheirs(agent, sessionId);
    await rejects(
      agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId }),
      Code.PermissionDenied,
      "StartScreenShare by the former agent on the transferred interaction",
    );
    // The new agent picks it up as if they had started it: listed live, with the key read aloud.
    const { sessions } = await colleague.clients.viewer.listSessions({ liveOnly: true, pageSize: 1 });
    equal(sessions[0]?.sessionId, sessionId, "the new agent's newest live session");
    equal(sessions[0]?.securityKey?.key, key, "the key the new agent sees");
    equal((await colleague.clients.viewer.resumeSession({ sessionId })).session?.viewerUserId, colleague.user, "ResumeSession by the new agent");
    // The new agent's stream sends every event, those of the former viewer's time included, and stays open.
    const watching = colleague.clients.watch.watchSession({ sessionId }, { signal: AbortSignal.timeout(8_000) })[Symbol.asyncIterator]();
    const replayed = [(await watching.next()).value?.event?.trigger, (await watching.next()).value?.event?.trigger];
    equal(replayed.join(","), "SESSION_STARTED,VIEWER_TRANSFERRED", "the new agent's stream from the first event");
    // The key the former agent read aloud still works.
    const redeemed = await context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: key });
    equal(redeemed.session?.state, SessionState.SELECTING_SCREEN, "the redeemed session's state");
    equal((await watching.next()).value?.event?.trigger, "KEY_REDEEMED", "the new agent's stream, still open, after the redemption");
    await watching.return?.();
    const { events: history } = await colleague.clients.viewer.getSessionHistory({ sessionId });
    const recorded = history.find((event) => event.trigger === "VIEWER_TRANSFERRED");
    check(
      recorded?.session?.previousViewerUserId === agent.user && recorded.session.viewerUserId === colleague.user,
      "the history's VIEWER_TRANSFERRED event to name both viewers",
      recorded ? { from: recorded.session?.previousViewerUserId, to: recorded.session?.viewerUserId } : "no such event",
    );
    equal(history[0]?.session?.viewerUserId, agent.user, "the first event's viewer (the one who started it)");
    // The former agent's one-live-share slot is free again.
    const next = `${agent.interactionId}-next`;
    await context.platform.registerInteraction({ orgId: agent.org, interactionId: next, channel: Channel.CHAT, agentUserId: agent.user });
    const { session: started } = await agent.clients.viewer.startScreenShare({ interactionId: next });
    context.cleanups.push(() => agent.clients.viewer.cancelScreenShare({ sessionId: started?.sessionId ?? "" }));
    equal(started?.viewerUserId, agent.user, "a new share of the former viewer");
  }),
  define("transfer/chat-invitation-stays-pending", async (context) => {
    const { agent, colleague, sessionId } = await sessionAndColleague(context, Channel.CHAT);
    const customer = (await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId })).customerCredential;
    await transfer(context, agent, colleague);
    const { session } = await colleague.clients.viewer.getSession({ sessionId });
    equal(session?.state, SessionState.AWAITING_ACCEPTANCE, "the transferred chat session's state");
    const accepted = await context.clients(customer).sharer.acceptInvitation({ sessionId });
    check(accepted.sharerCredential !== "", "the pending invitation to be accepted after the transfer", "no sharer credential");
    equal(accepted.session?.viewerUserId, colleague.user, "the accepted session's viewer");
  }),
  define("transfer/target-busy-ends-the-share", async (context) => {
    const { agent, sessionId } = await sessionAndColleague(context, Channel.VOICE);
    const busy = await context.agent(Channel.CHAT, agent.org);
    const { session: own } = await busy.clients.viewer.startScreenShare({ interactionId: busy.interactionId });
    context.cleanups.push(() => busy.clients.viewer.cancelScreenShare({ sessionId: own?.sessionId ?? "" }));
    const moved = await transfer(context, agent, busy);
    equal(moved.interaction?.agentUserId, busy.user, "the interaction's agent after a transfer to a busy agent");
    equal(moved.transferredSessions.length, 0, "transferred_sessions");
    const [ended] = moved.endedSessions;
    check(
      moved.endedSessions.length === 1 && ended?.sessionId === sessionId && ended.endReason === EndReason.TRANSFER_TARGET_BUSY,
      "ended_sessions = the session, ended with END_REASON_TRANSFER_TARGET_BUSY",
      moved.endedSessions.map((s) => ({ id: s.sessionId, reason: EndReason[s.endReason] })),
    );
    // The ended share stays the former agent's; the busy agent's own share is untouched.
    equal((await agent.clients.viewer.getSession({ sessionId })).session?.endReason, EndReason.TRANSFER_TARGET_BUSY, "the ended session's end_reason");
    equal(
      (await busy.clients.viewer.getSession({ sessionId: own?.sessionId ?? "" })).session?.state,
      SessionState.AWAITING_ACCEPTANCE,
      "the busy agent's share",
    );
  }),
  define("transfer/same-agent-and-retries", async (context) => {
    const { agent, colleague, sessionId } = await sessionAndColleague(context, Channel.VOICE);
    const same = await transfer(context, agent, agent);
    equal(same.transferredSessions.length, 0, "transferred_sessions of a transfer to the agent who has it");
    equal(same.endedSessions.length, 0, "ended_sessions of a transfer to the agent who has it");
    equal((await agent.clients.viewer.getSession({ sessionId })).session?.lastSequence, 1n, "last_sequence after a transfer to the same agent");
    const third = await context.colleague(agent);
    const idempotencyKey = `transfer-${sessionId}`;
    const first = await transfer(context, agent, colleague, idempotencyKey);
    await transfer(context, agent, third);
    const retried = await transfer(context, agent, colleague, idempotencyKey);
    // Another key is another call: it runs (a transfer to the agent who has the interaction), not the first's answer.
    const another = await transfer(context, agent, third, `${idempotencyKey}-another`);
    equal(another.interaction?.agentUserId, third.user, "the agent_user_id of a transfer with another idempotency key");
    equal(retried.interaction?.agentUserId, first.interaction?.agentUserId, "a retry's agent_user_id (the first result)");
    equal(retried.transferredSessions[0]?.lastSequence, first.transferredSessions[0]?.lastSequence, "a retry's transferred session (the first result)");
    equal((await third.clients.viewer.getSession({ sessionId })).session?.previousViewerUserId, colleague.user, "the session's previous viewer");
  }),
  define("transfer/former-viewer-keeps-their-other-sessions", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const earlier = (await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId })).session?.sessionId ?? "";
    await agent.clients.viewer.cancelScreenShare({ sessionId: earlier });
    const { sessionId, colleague } = await sessionAndColleague(context, Channel.VOICE, agent);
    await transfer(context, agent, colleague);
    const listed = (await agent.clients.viewer.listSessions({})).sessions.map((session) => session.sessionId);
    equal(listed.join(","), earlier, "the former viewer's ListSessions after the transfer: their earlier session only");
    equal((await colleague.clients.viewer.listSessions({})).sessions[0]?.sessionId, sessionId, "the new viewer's newest session");
  }),
  define(
    "transfer/unknown-or-disconnected-interaction",
    async (context) => {
      const agent = await context.agent(Channel.VOICE);
      const colleague = await context.colleague(agent);
      await rejects(
        context.platform.transferInteraction({ orgId: agent.org, interactionId: "no-such-interaction", toAgentUserId: colleague.user }),
        Code.NotFound,
        "TransferInteraction of an unknown interaction",
      );
      await context.platform.setInteractionStatus({ orgId: agent.org, interactionId: agent.interactionId, status: InteractionStatus.DISCONNECTED });
      await rejects(transfer(context, agent, colleague), Code.FailedPrecondition, "TransferInteraction of a disconnected interaction");
    },
    ["InteractionService.TransferInteraction/error/NOT_FOUND", "InteractionService.TransferInteraction/error/FAILED_PRECONDITION"],
  ),
  define("media/transfer-moves-the-viewer", async (context) => {
    const { agent, colleague, sessionId, key } = await sessionAndColleague(context, Channel.VOICE);
    const { sharerCredential } = await context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: key });
    const sharer = await context.join((await context.clients(sharerCredential).sharer.getSharerMediaJoinInfo({ sessionId })).media);
    await sharer.publish();
    const formerMedia = (await agent.clients.viewer.getViewerMediaJoinInfo({ sessionId })).media;
    const former = await context.join(formerMedia);
    await former.frames(3);
    await transfer(context, agent, colleague);
    check(await former.disconnected(5_000), "the former viewer to be removed from the media room at once", "still connected after 5 s");
    // Their token, issued before the transfer, does not let them back in: refused, or removed at once.
    const rejoined = await context.join(formerMedia).then(
      (peer) => peer.disconnected(5_000),
      () => true,
    );
    check(rejoined, "the former viewer's earlier media token to be refused", "still connected after 5 s");
    const viewer = await context.join((await colleague.clients.viewer.getViewerMediaJoinInfo({ sessionId })).media);
    const { width } = await viewer.frames(5);
    check(width > 0, "the new viewer to receive the screen with no new share", width);
    equal((await colleague.clients.viewer.getSession({ sessionId })).session?.state, SessionState.SHARING, "the session's state after the transfer");
  }),
];
