import { Code } from "@connectrpc/connect";
import { RoomEvent } from "@livekit/rtc-node";
import {
  Channel,
  EndReason,
  FieldViolationSchema,
  InteractionStatus,
  type MediaJoinInfo,
  ScreenSelectionProblem,
  type Session,
  SessionState,
} from "@screenshare/protocol";
import { AccessToken } from "livekit-server-sdk";
import type { Case } from "./case.js";
import { type CaseContext, type MediaPeer, MONITOR_PERMISSION, sleep, VIEW_PERMISSION } from "./context.js";
import { check, equal, rejects, Skip } from "./expect.js";

// MonitorService: supervisors watch live sessions as subscribe-only observers that never touch the lifecycle.

const define = (name: string, run: Case["run"], covers: string[] = []): Case => ({ name, run, covers });

/** A supervisor of `org` with `permissions` (the monitor permission only, by default). */
async function supervisorOf(context: CaseContext, org: string, permissions = [MONITOR_PERMISSION]) {
  const user = `supervisor-${crypto.randomUUID()}`;
  return { user, ...context.clients(await context.viewerToken(org, user, permissions)) };
}

/** A voice session in `org` whose sharer publishes a screen, with the sharer's peer and clients. */
async function sharing(context: CaseContext, org = context.config.orgs[0]) {
  const agent = await context.agent(Channel.VOICE, org);
  const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
  const sessionId = session?.sessionId ?? "";
  const redeemed = await context.clients().sharer.redeemSecurityKey({ orgId: org, securityKey: session?.securityKey?.key ?? "" });
  const sharer = context.clients(redeemed.sharerCredential);
  const sharerPeer = await context.join((await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media);
  await sharerPeer.publish();
  await context.until(agent, sessionId, SessionState.SHARING);
  return { agent, sessionId, sharer, sharerPeer };
}

const identityOf = (media: MediaJoinInfo | undefined) => (media?.transport.case === "livekit" ? media.transport.value.participantIdentity : "");

/** Polls the supervisor's view of the session until `done` holds, or fails saying what was awaited. */
async function untilObserved(
  supervisor: Awaited<ReturnType<typeof supervisorOf>>,
  sessionId: string,
  done: (session: Session) => boolean,
  what: string,
  timeoutMs = 8_000,
): Promise<Session | undefined> {
  const deadline = Date.now() + timeoutMs;
  let session: Session | undefined;
  while (Date.now() < deadline) {
    ({ session } = await supervisor.monitor.getMonitoredSession({ sessionId }));
    if (session && done(session)) return session;
    await sleep(100);
  }
  check(
    false,
    what,
    JSON.stringify(session?.observations ?? [], (_k, v) => (typeof v === "bigint" ? String(v) : v)),
  );
}

/** Waits up to `timeoutMs` for the peer to see a participant whose identity starts with "observer-". */
async function seesObserver(peer: MediaPeer, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const observer = [...peer.room.remoteParticipants.values()].find((participant) => participant.identity.startsWith("observer-"));
    if (observer) return observer;
    await sleep(100);
  }
  return undefined;
}

export const monitorCases: Case[] = [
  define("monitor/observer-receives-but-cannot-publish", async (context) => {
    const { agent, sessionId } = await sharing(context);
    const supervisor = await supervisorOf(context, agent.org);
    const { media } = await supervisor.monitor.observeSession({ sessionId });
    check(identityOf(media).startsWith("observer-"), 'an observer identity starting with "observer-"', identityOf(media));
    const viewerPeer = await context.join((await agent.clients.viewer.getViewerMediaJoinInfo({ sessionId })).media);
    const received: string[] = [];
    viewerPeer.room.on(RoomEvent.DataReceived, (_payload, participant) => received.push(participant?.identity ?? "server"));
    const observer = await context.join(media);
    const frames = await Promise.race([observer.frames(5), sleep(15_000).then(() => undefined)]);
    check(!!frames, "the observer to receive the sharer's screen", "no frames in 15 s");
    const published = await observer.publish().then(
      () => "accepted",
      () => "refused",
    );
    equal(published, "refused", "the observer's track publish");
    const livekit = context.config.livekit;
    if (livekit?.apiKey && livekit.apiSecret) {
      // Control: data from a participant allowed to send it does reach the viewer, so silence below means refusal.
      const probeToken = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity: `conformance-probe-${sessionId}` });
      probeToken.addGrant({ room: media?.transport.case === "livekit" ? media.transport.value.roomName : "", roomJoin: true, canPublishData: true });
      const probeMedia = structuredClone(media) as MediaJoinInfo;
      if (probeMedia.transport.case === "livekit") probeMedia.transport.value.participantToken = await probeToken.toJwt();
      const probe = await context.join(probeMedia);
      await probe.room.localParticipant?.publishData(new TextEncoder().encode("control"), { reliable: true });
      const deadline = Date.now() + 5_000;
      while (!received.length && Date.now() < deadline) await sleep(100);
      check(received.length > 0, "the control's data to reach the viewer", "nothing in 5 s");
      received.length = 0;
    }
    await observer.room.localParticipant?.publishData(new TextEncoder().encode("observer"), { reliable: true }).then(
      () => undefined,
      // A client library may refuse locally; that is a refusal too.
      () => undefined,
    );
    await sleep(1_500);
    check(!received.some((identity) => identity.startsWith("observer-")), "no data from the observer to reach the viewer", received.join(","));
    const after = (await agent.clients.viewer.getSession({ sessionId })).session;
    // The suite's short maximum duration may end the session meanwhile; nothing the observer did may.
    check(
      after?.state === SessionState.SHARING || after?.endReason === EndReason.MAX_DURATION_REACHED,
      "the session still sharing after the observer's attempts",
      `${SessionState[after?.state ?? 0]} (${EndReason[after?.endReason ?? 0]})`,
    );
  }),

  define("monitor/leaving-never-changes-the-session", async (context) => {
    const { agent, sessionId, sharer } = await sharing(context);
    const before = (await agent.clients.viewer.getSession({ sessionId })).session;
    const supervisor = await supervisorOf(context, agent.org);
    const { media, session } = await supervisor.monitor.observeSession({ sessionId });
    equal(session?.observations.at(-1)?.observerUserId, supervisor.user, "the observation's observer_user_id");
    // Asking again (a reload) records no second observation.
    const again = await supervisor.monitor.observeSession({ sessionId });
    equal(again.session?.observations.length, 1, "observations after the same supervisor asked twice");
    const observer = await context.join(media);
    await untilObserved(supervisor, sessionId, (s) => !!s.observations[0]?.joinedAt && !s.observations[0]?.leftAt, "the observation's joined_at to be set");
    await observer.leave();
    const after = await untilObserved(supervisor, sessionId, (s) => !!s.observations[0]?.leftAt, "the observation's left_at to be set after the observer left");
    equal(SessionState[after?.state ?? 0], "SHARING", "state after the observer left");
    equal(after?.lastSequence, before?.lastSequence, "last_sequence (observers add no session event)");
    const viewerView = (await agent.clients.viewer.getSession({ sessionId })).session;
    equal(viewerView?.observations[0]?.observerUserId, supervisor.user, "the observation in the viewer's GetSession");
    // The sharer never learns of observers through the protocol: not in its events.
    let events = 0;
    for await (const { event } of sharer.watch.watchSession({ sessionId }, { signal: AbortSignal.timeout(3_000) })) {
      check((event?.session?.observations.length ?? 0) === 0, "no observations in the sharer's events", event?.session?.observations);
      if (++events >= Number(before?.lastSequence ?? 0n)) break;
    }
  }),

  define("monitor/observer-holds-no-viewer-slot", async (context) => {
    const { agent, sessionId } = await sharing(context);
    // A supervisor who is also an agent: observing leaves them free to start their own share.
    const own = await context.agent(Channel.VOICE, agent.org);
    const both = context.clients(await context.viewerToken(agent.org, own.user, [VIEW_PERMISSION, MONITOR_PERMISSION]));
    await both.monitor.observeSession({ sessionId });
    const { session } = await both.viewer.startScreenShare({ interactionId: own.interactionId });
    equal(SessionState[session?.state ?? 0], "AWAITING_KEY_REDEMPTION", "the observing supervisor's own new session");
    const observed = (await agent.clients.viewer.getSession({ sessionId })).session;
    equal(observed?.viewerUserId, agent.user, "the observed session's viewer");
    equal(SessionState[observed?.state ?? 0], "SHARING", "the observed session's state");
    await both.viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" });
  }),

  define(
    "monitor/observers-removed-at-end",
    async (context) => {
      const { agent, sessionId, sharer } = await sharing(context);
      const supervisor = await supervisorOf(context, agent.org);
      const { media } = await supervisor.monitor.observeSession({ sessionId });
      const observer = await context.join(media);
      await sharer.sharer.stopSharing({ sessionId });
      const deadline = Date.now() + 5_000;
      while (observer.room.isConnected && Date.now() < deadline) await sleep(100);
      check(!observer.room.isConnected, "the observer to be out of the room after the end", "still connected");
      const rejoined = await context.join(media).then(
        () => true,
        () => false,
      );
      check(!rejoined, "the observer's old credentials to no longer join", "joined");
      await rejects(supervisor.monitor.observeSession({ sessionId }), Code.FailedPrecondition, "ObserveSession after the end");
      const ended = (await supervisor.monitor.getMonitoredSession({ sessionId })).session;
      equal(SessionState[ended?.state ?? 0], "ENDED", "the ended session in GetMonitoredSession");
      equal(ended?.observations[0]?.observerUserId, supervisor.user, "the observation kept with the ended session");
    },
    ["MonitorService.ObserveSession/error/FAILED_PRECONDITION"],
  ),

  define("monitor/sharer-sees-observers-only-when-announced", async (context) => {
    const seen: string[] = [];
    for (const org of context.config.orgs) {
      const { agent, sessionId, sharerPeer } = await sharing(context, org);
      const supervisor = await supervisorOf(context, org);
      const { session, media } = await supervisor.monitor.observeSession({ sessionId });
      await context.join(media);
      const announced = session?.observersAnnounced ?? false;
      equal((await agent.clients.viewer.getSession({ sessionId })).session?.observersAnnounced, announced, "observers_announced as the viewer sees it");
      const observer = await seesObserver(sharerPeer, announced ? 8_000 : 3_000);
      if (announced) {
        check(!!observer, "the sharer's media connection to see the observer (the org announces observers)", "no observer participant in 8 s");
        equal(JSON.parse(observer?.metadata || "{}").role, "observer", "the observer participant's metadata role");
      } else {
        check(!observer, "the sharer's media connection never to see the observer (the org keeps observers silent)", observer?.identity);
      }
      seen.push(`${org}: ${announced ? "announced" : "silent"}`);
    }
    console.log(`observer policy per org: ${seen.join(", ")}`);
  }),

  define(
    "monitor/list-bad-page-token",
    async (context) => {
      const supervisor = await supervisorOf(context, context.config.orgs[0]);
      const error = await rejects(
        supervisor.monitor.listLiveSessions({ pageToken: "not-a-token" }),
        Code.InvalidArgument,
        "a page_token this server did not issue",
      );
      const fields = error.findDetails(FieldViolationSchema).map((violation) => violation.field);
      check(fields.includes("page_token"), "a FieldViolation for page_token", fields.join(",") || "none");
    },
    ["MonitorService.ListLiveSessions/error/INVALID_ARGUMENT"],
  ),

  define(
    "monitor/observer-limit",
    async (context) => {
      const max = context.info.maxObserversPerSession;
      if (max > 20) throw new Skip(`the server allows ${max} observers per session; the case runs up to 20`);
      const { agent, sessionId } = await sharing(context);
      const supervisors = await Promise.all(Array.from({ length: max + 1 }, () => supervisorOf(context, agent.org)));
      const identities: string[] = [];
      for (const supervisor of supervisors.slice(0, max)) identities.push(identityOf((await supervisor.monitor.observeSession({ sessionId })).media));
      check(new Set(identities).size === max, `${max} different observer identities`, identities.join(","));
      await rejects((supervisors[max] as (typeof supervisors)[number]).monitor.observeSession({ sessionId }), Code.ResourceExhausted, `observer ${max + 1}`);
      if (max > 0) {
        const again = await (supervisors[0] as (typeof supervisors)[number]).monitor.observeSession({ sessionId });
        equal(identityOf(again.media), identities[0], "a returning observer's identity");
      }
    },
    ["MonitorService.ObserveSession/error/RESOURCE_EXHAUSTED"],
  ),
  define("monitor/observations-only-to-the-viewer-and-supervisors", async (context) => {
    // No media needed: the observation is recorded when the supervisor asks to observe.
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const redeemed = await context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: session?.securityKey?.key ?? "" });
    const sharer = context.clients(redeemed.sharerCredential);
    const supervisor = await supervisorOf(context, agent.org);
    equal((await supervisor.monitor.observeSession({ sessionId })).session?.observations.length, 1, "observations in ObserveSession's session");
    equal((await agent.clients.viewer.getSession({ sessionId })).session?.observations.length, 1, "observations in the viewer's GetSession");
    const picker = await sharer.sharer.reportScreenSelectionProblem({ sessionId, problem: ScreenSelectionProblem.PICKER_CLOSED });
    equal(picker.session?.observations.length, 0, "observations in the sharer's ReportScreenSelectionProblem answer");
    const { endedSessions } = await context.platform.setInteractionStatus({
      orgId: agent.org,
      interactionId: agent.interactionId,
      status: InteractionStatus.DISCONNECTED,
    });
    equal(endedSessions.find((ended) => ended.sessionId === sessionId)?.observations.length, 0, "observations in SetInteractionStatus' ended_sessions");
    equal((await supervisor.monitor.getMonitoredSession({ sessionId })).session?.observations.length, 1, "observations kept for supervisors after the end");
  }),
];
