// Long because it is a list: one case per edge of the protocol's input rules (paging, tokens, credentials, fields).
// Cases on the edges of promises the broader cases take for granted: paging, the form of the Authorization header,
// the viewer token's claims, where the security key may and may not appear, what each idempotency key is scoped to,
// the sharer's own event stream. Each was found unchecked by mutation testing (docs/conformance.md).

import { randomUUID } from "node:crypto";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, createClient, type Interceptor } from "@connectrpc/connect";
import {
  Channel,
  EndReason,
  type InteractionService,
  InteractionStatus,
  ScreenSelectionProblem,
  type Session,
  SessionState,
  SharerService,
  ViewerService,
} from "@screenshare/protocol";
import { SignJWT } from "jose";
import type { Case } from "./case.js";
import type { ViewerTokenSource } from "./config.js";
import { type CaseContext, type Clients, VIEW_PERMISSION } from "./context.js";
import { check, equal, Mismatch, rejects, rejectsField, Skip } from "./expect.js";

const define = (name: string, run: Case["run"], covers: string[] = []): Case => ({ name, run, covers });

/**
 * A viewer token signed with the vendor's HS256 secret for `org`/`sub` with the view permission; `claims` replace
 * or (as undefined) drop those, `iat`/`exp` are left out when undefined.
 */
function hs256ViewerToken(
  source: Extract<ViewerTokenSource, { kind: "hs256" }>,
  claims: Record<string, unknown>,
  { alg = "HS256", iat, exp }: { alg?: string; iat?: number | undefined; exp?: number | undefined },
): Promise<string> {
  const jwt = new SignJWT({ permissions: [VIEW_PERMISSION], ...claims }).setProtectedHeader({ alg });
  if (source.issuer) jwt.setIssuer(source.issuer);
  if (source.audience) jwt.setAudience(source.audience);
  if (iat !== undefined) jwt.setIssuedAt(iat);
  if (exp !== undefined) jwt.setExpirationTime(exp);
  return jwt.sign(new TextEncoder().encode(source.secret));
}

/** Clients whose Authorization header is exactly `value`. */
function withAuthorization(context: CaseContext, value: string) {
  const header: Interceptor = (next) => (request) => {
    request.header.set("authorization", value);
    return next(request);
  };
  const transport = context.transports.create([header]);
  return { viewer: createClient(ViewerService, transport), sharer: createClient(SharerService, transport) };
}

/**
 * The messages of a stream opened by `open`, read until it closes or `ms` pass (`closed` says which); `afterFirst`
 * runs once the first message arrived, so the stream is known to be open by then.
 */
async function readStream<T>(
  open: (signal: AbortSignal) => AsyncIterable<T>,
  ms: number,
  afterFirst?: () => Promise<unknown>,
  whileOpen?: () => Promise<unknown>,
) {
  const controller = new AbortController();
  const messages: T[] = [];
  const timer = setTimeout(() => controller.abort(), ms);
  let closed = false;
  let failed: unknown;
  let started: Promise<unknown> | undefined;
  try {
    const stream = open(controller.signal)[Symbol.asyncIterator]();
    // The first read sends the request; `whileOpen` runs once the server has had a moment to hold the stream.
    const first = stream.next();
    if (whileOpen) {
      setTimeout(() => {
        started = whileOpen().catch((error: unknown) => {
          failed = error;
          controller.abort();
        });
      }, 300);
    }
    for (let next = await first; !next.done; next = await stream.next()) {
      if (messages.push(next.value) === 1) await afterFirst?.();
      if (whileOpen) break;
    }
    closed = !whileOpen;
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  // What `whileOpen` caused may arrive before its own answer does.
  await started;
  if (failed) throw failed;
  return { messages, closed };
}

/** The events of a WatchSession stream read for up to `ms`; `afterFirst` runs once the first event arrived. */
async function watchEvents(context: CaseContext, token: string, sessionId: string, ms: number, afterFirst?: () => Promise<unknown>) {
  const { messages, closed } = await readStream((signal) => context.clients(token).watch.watchSession({ sessionId }, { signal }), ms, afterFirst);
  return { events: messages.flatMap((message) => (message.event ? [message.event] : [])), closed };
}

/** Starts and cancels `count - 1` voice sessions, then starts one more: the agent's ids, newest first. */
async function sessionsOf(viewer: Client<typeof ViewerService>, interactionId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const { session } = await viewer.startScreenShare({ interactionId });
    ids.unshift(session?.sessionId ?? "");
    if (index < count - 1) await viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" });
  }
  return ids;
}

export const edgeCases: Case[] = [
  define("rules/list-sessions/pages-newest-first", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { viewer } = agent.clients;
    const ids = await sessionsOf(viewer, agent.interactionId, 3);
    for (const pageSize of [1, 2]) {
      const seen: string[] = [];
      let pageToken = "";
      for (let page = 1; page <= Math.ceil(ids.length / pageSize); page++) {
        const response = await viewer.listSessions({ pageSize, pageToken });
        check(response.sessions.length <= pageSize, `at most page_size ${pageSize} sessions per page`, response.sessions.length);
        seen.push(...response.sessions.map((session) => session.sessionId));
        pageToken = response.nextPageToken;
        const last = page === Math.ceil(ids.length / pageSize);
        check(last === (pageToken === ""), `next_page_token empty on the last page only (page ${page} of ${pageSize})`, pageToken);
      }
      equal(seen.join(","), ids.join(","), `session ids over the pages of ${pageSize}, newest first, each once, last page without next_page_token`);
    }
    const live = await viewer.listSessions({ liveOnly: true });
    equal(live.sessions.map((session) => session.sessionId).join(","), ids[0], "live_only: the one live session");
    for (const pageToken of ["-1", "01", "1x", "abc"]) await rejectsField(viewer.listSessions({ pageToken }), "page_token", `page_token "${pageToken}"`);
  }),

  define("keys/only-in-responses-to-the-viewer", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { viewer } = agent.clients;
    const { session } = await viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const key = session?.securityKey?.key ?? "";
    equal(key.length, context.info.securityKeyLength, "StartScreenShare's security_key.key length");
    equal((await viewer.getSession({ sessionId })).session?.securityKey?.key, key, "GetSession's security_key.key (the viewer's page reloads it)");
    const listed = (await viewer.listSessions({})).sessions.find((item) => item.sessionId === sessionId);
    equal(listed?.securityKey?.key, key, "ListSessions' security_key.key");
    const resumed = (await viewer.resumeSession({ sessionId })).session;
    equal(resumed?.securityKey?.key, key, "ResumeSession's security_key.key");
    equal(resumed?.lastSequence, session?.lastSequence, "last_sequence after ResumeSession on a session awaiting its key (a no-op adds no event)");
    const expiresAt = session?.securityKey?.expiresAt ? timestampMs(session.securityKey.expiresAt) : 0;
    const ttl = context.info.securityKeyTtlSeconds * 1000;
    check(
      Math.abs(expiresAt - (Date.now() + ttl)) < ttl / 2 + 2_000,
      `security_key.expires_at about one key TTL (${ttl} ms) from the start`,
      `${expiresAt - Date.now()} ms from now`,
    );
    let redeemed: Awaited<ReturnType<Clients["sharer"]["redeemSecurityKey"]>> | undefined;
    const { events } = await watchEvents(context, agent.token, sessionId, 800, async () => {
      redeemed = await context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: key });
    });
    check(!redeemed?.session?.securityKey, "no security_key in RedeemSecurityKey's session (the sharer's answer)", redeemed?.session?.securityKey);
    const afterRedeem = (await viewer.getSession({ sessionId })).session;
    check(!afterRedeem?.securityKey, "no security_key in GetSession once the key was redeemed (only while awaiting redemption)", afterRedeem?.securityKey);
    check(events.length >= 2, "WatchSession events of the start and the redemption", events.length);
    check(
      events.every((event) => !event.session?.securityKey),
      "no security_key in any SessionEvent.session",
      events.map((event) => event.sequence),
    );
    const other = await context.agent(Channel.VOICE);
    const started = (await other.clients.viewer.startScreenShare({ interactionId: other.interactionId })).session?.sessionId ?? "";
    const terminated = await context.platform.terminateSession({ orgId: other.org, sessionId: started });
    check(!terminated.session?.securityKey, "no security_key in TerminateSession's session (the platform's answer)", terminated.session?.securityKey);
    equal(terminated.session?.sessionId, started, "TerminateSession's session_id");
    equal(EndReason[terminated.session?.endReason ?? 0], "ADMINISTRATOR_TERMINATED", "TerminateSession's session end_reason");
  }),

  define("rules/auth/authorization-header-form", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    await withAuthorization(context, `Bearer ${agent.token}`).viewer.listSessions({});
    for (const value of [`Token Bearer ${agent.token}`, `Bearer ${agent.token} extra`, agent.token, "Bearer "]) {
      await rejects(
        withAuthorization(context, value).viewer.listSessions({}),
        Code.Unauthenticated,
        `ListSessions with "Authorization: ${value.replace(agent.token, "<valid token>")}"`,
      );
    }
  }),

  define("rules/auth/viewer-token-claims", async (context) => {
    const source = context.config.viewerTokens;
    if (source.kind !== "hs256") throw new Skip("needs the HS256 secret to sign tokens with claims left out");
    const agent = await context.agent(Channel.VOICE);
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>, { alg = "HS256", exp = true, iat = true } = {}) =>
      hs256ViewerToken(source, { org: agent.org, sub: agent.user, ...claims }, { alg, iat: iat ? now : undefined, exp: exp ? now + 600 : undefined });
    await context.clients(await sign({})).viewer.listSessions({});
    const refused: Array<[string, Promise<string>]> = [
      ["signed with HS512", sign({}, { alg: "HS512" })],
      ["without exp", sign({}, { exp: false })],
      ["without iat", sign({}, { iat: false })],
      ["without org", sign({ org: undefined })],
      ["with an empty org", sign({ org: "" })],
      ["with a numeric org", sign({ org: 42 })],
      ["without sub", sign({ sub: undefined })],
      ["with an empty sub", sign({ sub: "" })],
      ["with a numeric sub", sign({ sub: 42 })],
    ];
    for (const [what, token] of refused) await rejects(context.clients(await token).viewer.listSessions({}), Code.Unauthenticated, `a viewer token ${what}`);
    await rejects(
      context.clients(await sign({ permissions: VIEW_PERMISSION })).viewer.listSessions({}),
      Code.PermissionDenied,
      "a viewer token whose permissions is a string, not a list",
    );
  }),

  // A server may remember the tokens it accepted (the reference server does, until their exp): this is where a
  // cached token would outlive its expiry. The server's tolerance for a past exp (its clock skew) is measured first,
  // so the token expires for the server a few seconds after it was accepted, whatever that tolerance is.
  define("auth/accepted-token-refused-once-expired", async (context) => {
    const source = context.config.viewerTokens;
    if (source.kind !== "hs256") throw new Skip("needs the HS256 secret to sign tokens that expire within seconds");
    const agent = await context.agent(Channel.VOICE);
    const seconds = () => Math.floor(Date.now() / 1000);
    // A token `age` seconds past its exp (negative: still valid), unique so that no answer comes from a cache.
    const pastExpiry = (age: number) => {
      const exp = seconds() - age;
      return hs256ViewerToken(source, { org: agent.org, sub: agent.user, jti: randomUUID() }, { iat: exp - 60, exp });
    };
    const accepts = async (token: string) => {
      try {
        await context.clients(token).viewer.listSessions({});
        return true;
      } catch (error) {
        await rejects(Promise.reject(error), Code.Unauthenticated, "ListSessions with a viewer token past its exp");
        return false;
      }
    };
    if (!(await accepts(await pastExpiry(-2)))) throw new Mismatch("a token valid for 2 more seconds accepted", "UNAUTHENTICATED");
    if (await accepts(await pastExpiry(300))) throw new Skip("the server accepts a token 5 minutes past its exp");
    // The largest age the server still accepts, by bisection.
    let [accepted, refused] = [-2, 300];
    while (refused - accepted > 1) {
      const age = Math.floor((accepted + refused) / 2);
      if (await accepts(await pastExpiry(age))) accepted = age;
      else refused = age;
    }
    // A second inside the tolerance when used (twice, so that a cache has it), two seconds outside when used again.
    const exp = seconds() - (accepted - 1);
    const token = await hs256ViewerToken(source, { org: agent.org, sub: agent.user, jti: randomUUID() }, { iat: exp - 60, exp });
    for (const _ of [1, 2])
      if (!(await accepts(token))) throw new Mismatch(`a token ${accepted - 1} s past its exp accepted, as one ${accepted} s past was`, "UNAUTHENTICATED");
    await new Promise((resolve) => setTimeout(resolve, (exp + accepted + 2) * 1000 + 200 - Date.now()));
    await rejects(
      context.clients(token).viewer.listSessions({}),
      Code.Unauthenticated,
      `ListSessions with a token accepted before and now ${seconds() - exp} s past its exp (the server accepts at most ${accepted} s)`,
    );
  }),

  define("rules/auth/credential-of-the-wrong-kind", async (context) => {
    const agent = await context.agent(Channel.CHAT);
    const { customerCredential } = await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId });
    const sessionId = (await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId })).session?.sessionId ?? "";
    const asCustomer = context.clients(customerCredential);
    const id = { sessionId };
    const wrong: Array<[string, () => Promise<unknown>]> = [
      ["GetSharerMediaJoinInfo with the customer credential", () => asCustomer.sharer.getSharerMediaJoinInfo(id)],
      ["ResumeSharing with the customer credential", () => asCustomer.sharer.resumeSharing(id)],
      ["StopSharing with the customer credential", () => asCustomer.sharer.stopSharing(id)],
      ["GetSession with the customer credential", () => asCustomer.viewer.getSession(id)],
      ["WatchSession with the customer credential", () => readStream((signal) => asCustomer.watch.watchSession(id, { signal }), 2_000)],
      ["AcceptInvitation with the viewer token", () => agent.clients.sharer.acceptInvitation(id)],
      [
        "SetInteractionStatus with the viewer token",
        () => agent.clients.platform.setInteractionStatus({ orgId: agent.org, interactionId: agent.interactionId, status: InteractionStatus.DISCONNECTED }),
      ],
    ];
    for (const [what, call] of wrong) await rejects(call(), Code.Unauthenticated, what);
    const { sharerCredential } = await asCustomer.sharer.acceptInvitation(id);
    const asSharer = context.clients(sharerCredential);
    await rejects(asSharer.sharer.declineInvitation(id), Code.Unauthenticated, "DeclineInvitation with the sharer credential");
    await rejects(
      readStream((signal) => asSharer.sharer.watchInvitations({}, { signal }), 2_000),
      Code.Unauthenticated,
      "WatchInvitations with the sharer credential",
    );
    await rejects(asSharer.viewer.listSessions({}), Code.Unauthenticated, "ListSessions with the sharer credential");
  }),

  define("rules/bad-input/redeem-and-interaction-status", async (context) => {
    const { sharer } = context.clients();
    const org = context.config.orgs[0];
    await rejectsField(sharer.redeemSecurityKey({ orgId: "", securityKey: "123456" }), "org_id", "RedeemSecurityKey without org_id");
    await rejectsField(sharer.redeemSecurityKey({ orgId: "bad org!", securityKey: "123456" }), "org_id", "RedeemSecurityKey with a malformed org_id");
    await rejectsField(
      sharer.redeemSecurityKey({ orgId: org, securityKey: "123456", idempotencyKey: "bad key!" }),
      "idempotency_key",
      "RedeemSecurityKey with a malformed idempotency_key",
    );
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const redeemed = await sharer.redeemSecurityKey({ orgId: agent.org, securityKey: session?.securityKey?.key ?? "" });
    const asSharer = context.clients(redeemed.sharerCredential).sharer;
    const problem = ScreenSelectionProblem.PICKER_CLOSED;
    await rejectsField(
      asSharer.reportScreenSelectionProblem({ sessionId: "not an id!", problem }),
      "session_id",
      "a problem report with a malformed session_id",
    );
    await rejectsField(
      asSharer.reportScreenSelectionProblem({ sessionId: session?.sessionId ?? "", problem, idempotencyKey: "bad key!" }),
      "idempotency_key",
      "a problem report with a malformed idempotency_key",
    );
    const platform: Client<typeof InteractionService> = context.platform;
    const interaction = { orgId: org, interactionId: `status-${Date.now()}`, channel: Channel.VOICE, agentUserId: "agent" };
    await rejectsField(
      platform.registerInteraction({ ...interaction, status: InteractionStatus.DISCONNECTED }),
      "status",
      "RegisterInteraction with status DISCONNECTED",
    );
    await platform.registerInteraction(interaction);
    await rejectsField(
      platform.setInteractionStatus({ orgId: org, interactionId: interaction.interactionId, status: InteractionStatus.ALERTING }),
      "status",
      "SetInteractionStatus to ALERTING",
    );
  }),

  define("idempotency/redeem-scoped-to-the-key", async (context) => {
    const first = await context.agent(Channel.VOICE);
    const second = await context.agent(Channel.VOICE);
    const keyOf = async (agent: typeof first) =>
      (await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId })).session as { sessionId: string; securityKey?: { key: string } };
    const [a, b] = [await keyOf(first), await keyOf(second)];
    const idempotencyKey = `redeem-${first.user}`;
    const { sharer } = context.clients();
    await sharer.redeemSecurityKey({ orgId: first.org, securityKey: a.securityKey?.key ?? "", idempotencyKey });
    const other = await sharer.redeemSecurityKey({ orgId: second.org, securityKey: b.securityKey?.key ?? "", idempotencyKey });
    equal(other.session?.sessionId, b.sessionId, "session of a second key redeemed with the first's idempotency key");
  }),

  define("idempotency/invitation-answer-scoped-to-the-session", async (context) => {
    const agent = await context.agent(Channel.CHAT);
    const { customerCredential } = await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId });
    const customer = context.clients(customerCredential).sharer;
    const idempotencyKey = `answer-${agent.user}`;
    const first = (await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId })).session?.sessionId ?? "";
    await customer.declineInvitation({ sessionId: first, idempotencyKey });
    const second = (await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId })).session?.sessionId ?? "";
    const accepted = await customer.acceptInvitation({ sessionId: second, idempotencyKey });
    equal(accepted.session?.sessionId, second, "session of an AcceptInvitation reusing a DeclineInvitation's idempotency key on the next session");
    equal(SessionState[accepted.session?.state ?? 0], "SELECTING_SCREEN", "its state");
    check(accepted.sharerCredential !== "", "a sharer credential", accepted.sharerCredential);
  }),

  define("idempotency/stop-sharing-retry-needs-the-credential", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const redeemed = await context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: session?.securityKey?.key ?? "" });
    const idempotencyKey = `stop-${agent.user}`;
    await context.clients(redeemed.sharerCredential).sharer.stopSharing({ sessionId, idempotencyKey });
    await rejects(
      context.clients(`not-${redeemed.sharerCredential}`).sharer.stopSharing({ sessionId, idempotencyKey }),
      Code.Unauthenticated,
      "a StopSharing retry with the same idempotency key and a wrong credential",
    );
  }),

  define("idempotency/problem-report-scoped-to-the-problem", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const redeemed = await context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: session?.securityKey?.key ?? "" });
    const { sharer } = context.clients(redeemed.sharerCredential);
    const idempotencyKey = `problem-${agent.user}`;
    await sharer.reportScreenSelectionProblem({ sessionId, problem: ScreenSelectionProblem.PICKER_CLOSED, idempotencyKey });
    const unsupported = await sharer.reportScreenSelectionProblem({ sessionId, problem: ScreenSelectionProblem.BROWSER_UNSUPPORTED, idempotencyKey });
    equal(EndReason[unsupported.session?.endReason ?? 0], "SHARER_UNSUPPORTED", "end_reason after BROWSER_UNSUPPORTED with PICKER_CLOSED's idempotency key");
  }),

  define("stream/sharer-watches-its-session", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const redeemed = await context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: session?.securityKey?.key ?? "" });
    const sharer = context.clients(redeemed.sharerCredential);
    let stopped: Session | undefined;
    const { events, closed } = await watchEvents(context, redeemed.sharerCredential, sessionId, 3_000, async () => {
      stopped = (await sharer.sharer.stopSharing({ sessionId })).session;
    });
    check(closed, "the sharer's stream to close after the final event", `open after ${events.length} events`);
    equal(events.map((event) => String(event.sequence)).join(","), "1,2,3", "sequences the sharer streamed (start, redemption, stop)");
    equal(events.at(-1)?.session?.lastSequence, stopped?.lastSequence, "last_sequence of the final event");
  }),

  define("invitations/only-pending-ones", async (context) => {
    const agent = await context.agent(Channel.CHAT);
    const { customerCredential } = await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId });
    const customer = context.clients(customerCredential).sharer;
    const sessionId = (await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId })).session?.sessionId ?? "";
    await customer.acceptInvitation({ sessionId });
    const { messages } = await readStream((signal) => customer.watchInvitations({}, { signal }), 500);
    const received = messages.map((change) => (change.invitation ? "invitation" : change.withdrawnSessionId ? "withdrawn" : "empty"));
    equal(received.join(","), "", "WatchInvitations messages on a chat whose only session was accepted");
  }),
  define("rules/interaction/status-change-reports-the-sessions-it-ended", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { viewer } = agent.clients;
    const [live, cancelled] = await sessionsOf(viewer, agent.interactionId, 2);
    const target = { orgId: agent.org, interactionId: agent.interactionId };
    const connected = await context.platform.setInteractionStatus({ ...target, status: InteractionStatus.CONNECTED });
    equal(InteractionStatus[connected.interaction?.status ?? 0], "CONNECTED", "the interaction in SetInteractionStatus CONNECTED's answer");
    equal(connected.endedSessions.length, 0, "sessions ended by CONNECTED");
    equal(SessionState[(await viewer.getSession({ sessionId: live })).session?.state ?? 0], "AWAITING_KEY_REDEMPTION", "the live session after CONNECTED");
    const disconnected = await context.platform.setInteractionStatus({ ...target, status: InteractionStatus.DISCONNECTED });
    equal(InteractionStatus[disconnected.interaction?.status ?? 0], "DISCONNECTED", "the interaction in SetInteractionStatus DISCONNECTED's answer");
    equal(
      disconnected.endedSessions.map((ended) => ended.sessionId).join(","),
      live,
      `ended_sessions: the live session only, not the one cancelled before (${cancelled})`,
    );
    const [ended] = disconnected.endedSessions;
    equal(
      `${SessionState[ended?.state ?? 0]}/${EndReason[ended?.endReason ?? 0]}`,
      "ENDED/INTERACTION_DISCONNECTED",
      "the ended session's state and end_reason",
    );
  }),

  define("rules/media-join-info/for-each-party-of-a-live-session", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const redeemed = await context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: session?.securityKey?.key ?? "" });
    const infos = [
      ["viewer", (await agent.clients.viewer.getViewerMediaJoinInfo({ sessionId })).media],
      ["sharer", (await context.clients(redeemed.sharerCredential).sharer.getSharerMediaJoinInfo({ sessionId })).media],
    ] as const;
    for (const [party, media] of infos) {
      check(media?.transport.case === "livekit", `a LiveKit join info for the ${party}`, media?.transport.case ?? "none");
      const info = media?.transport.case === "livekit" ? media.transport.value : undefined;
      check(
        !!info?.serverUrl && !!info.roomName && !!info.participantToken && !!info.participantIdentity,
        `server_url, room_name, participant_token and participant_identity for the ${party}`,
        info,
      );
      check((info?.tokenExpiresAt ? timestampMs(info.tokenExpiresAt) : 0) > Date.now(), `the ${party}'s token_expires_at in the future`, info?.tokenExpiresAt);
    }
    const [viewerInfo, sharerInfo] = infos.map(([, media]) => (media?.transport.case === "livekit" ? media.transport.value : undefined));
    equal(viewerInfo?.roomName, sharerInfo?.roomName, "one room for both parties");
    check(viewerInfo?.participantIdentity !== sharerInfo?.participantIdentity, "a different identity for each party", viewerInfo?.participantIdentity);
  }),

  define("invitations/new-one-on-an-open-stream", async (context) => {
    const agent = await context.agent(Channel.CHAT);
    const { customerCredential } = await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId });
    let sessionId = "";
    const { messages } = await readStream(
      (signal) => context.clients(customerCredential).sharer.watchInvitations({}, { signal }),
      3_000,
      undefined,
      async () => {
        sessionId = (await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId })).session?.sessionId ?? "";
      },
    );
    equal(messages[0]?.invitation?.sessionId, sessionId, "the invitation of a share started while the stream was open");
  }),
  define("invitations/one-stream-closing-leaves-the-others", async (context) => {
    // Two tabs of one chat watch its invitations; one is closed, and the other still gets the next invitation.
    const agent = await context.agent(Channel.CHAT);
    const { customerCredential } = await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId });
    const watch = (signal: AbortSignal) => context.clients(customerCredential).sharer.watchInvitations({}, { signal });
    let sessionId = "";
    const { messages } = await readStream(watch, 3_000, undefined, async () => {
      await readStream(watch, 300);
      sessionId = (await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId })).session?.sessionId ?? "";
    });
    equal(messages[0]?.invitation?.sessionId, sessionId, "the invitation on the stream left open after another one closed");
  }),
];
