// The reference server end to end, over one LiveKit + server stack started once for the file (a second file would
// start a second stack, seconds of suite time): each describe block is one area of the protocol.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { publishScreen, receiveFrames } from "@screenshare/devstack";
import {
  Channel,
  EndReason,
  FieldViolationSchema,
  InteractionStatus,
  LiveSessionConflictSchema,
  RetryDelaySchema,
  ServerInfoService,
  SessionState,
} from "@screenshare/protocol";
import { agentWithInteraction, clientsFor, collectEvents, joinRoom, type ReferenceStack, sleep, startReferenceStack, unique } from "@screenshare/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintViewerToken, VIEW_PERMISSION } from "./auth.js";

// server-redis.test.ts runs this whole file again with the Redis store.
const redis = process.env.SCREENSHARE_TEST_STORE === "redis";

let stack: ReferenceStack;
beforeAll(async () => {
  stack = await startReferenceStack({
    redis,
    timeouts: {
      securityKeyTtlMs: 2_500,
      acceptanceTimeoutMs: 2_500,
      screenSelectionTimeoutMs: 20_000,
      viewerReconnectGraceMs: 1_500,
      sharerReconnectGraceMs: 1_500,
      maxSessionDurationMs: 120_000,
    },
    limits: { securityKeyMaxAttempts: 3, redeemAttemptsPerClient: 1000, redeemAttemptsPerOrg: 1000 },
  });
});
afterAll(async () => {
  await stack?.stop();
});

async function expectCode(promise: Promise<unknown>, code: Code, message?: RegExp): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => ConnectError.from(reason),
  );
  expect(error, `expected ${Code[code]}`).toBeInstanceOf(ConnectError);
  expect(Code[(error as ConnectError).code]).toBe(Code[code]);
  if (message) expect((error as ConnectError).rawMessage).toMatch(message);
  return error as ConnectError;
}

describe("server info", () => {
  it("states the protocol version and the configured timeouts and limits", async () => {
    const { info } = await clientsFor(stack.server.url).info.getServerInfo({});
    expect(info?.protocolVersion).toBe("screenshare.v1");
    expect(info?.securityKeyLength).toBe(6);
    expect(info?.securityKeyTtlSeconds).toBe(3);
    expect(info?.securityKeyMaxAttempts).toBe(3);
  });

  it("answers over gRPC and gRPC-Web too", async () => {
    for (const transport of [createGrpcTransport({ baseUrl: stack.server.url }), createGrpcWebTransport({ baseUrl: stack.server.url, httpVersion: "1.1" })]) {
      const { info } = await createClient(ServerInfoService, transport).getServerInfo({});
      expect(info?.protocolVersion).toBe("screenshare.v1");
    }
  });

  it("serves health and Prometheus metrics", async () => {
    expect(await (await fetch(`${stack.server.url}/healthz`)).text()).toBe("ok\n");
    const metrics = await (await fetch(`${stack.server.url}/metrics`)).text();
    expect(metrics).toContain("screenshare_sessions");
    expect(metrics).toContain("screenshare_rpc_duration_seconds");
  });
});

describe("voice flow with real media", () => {
  it("goes from key to sharing once the screen track is really published, and the viewer sees frames", async () => {
    const { orgId, interactionId, viewer } = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await viewer.viewer.startScreenShare({ interactionId });
    expect(session?.state).toBe(SessionState.AWAITING_KEY_REDEMPTION);
    const key = session?.securityKey;
    expect(key?.key).toMatch(/^\d{6}$/);
    expect(key?.display).toBe(`${key?.key.slice(0, 3)} ${key?.key.slice(3)}`);
    const sessionId = session?.sessionId ?? "";

    const anonymous = clientsFor(stack.server.url);
    const redeemed = await anonymous.sharer.redeemSecurityKey({ orgId, securityKey: key?.display ?? "" });
    expect(redeemed.session?.state).toBe(SessionState.SELECTING_SCREEN);
    expect(redeemed.session?.securityKey).toBeUndefined();
    const sharer = clientsFor(stack.server.url, redeemed.sharerCredential);

    const sharerRoom = await joinRoom((await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media);
    const viewerRoom = await joinRoom((await viewer.viewer.getViewerMediaJoinInfo({ sessionId })).media);
    const frames = receiveFrames(viewerRoom, 10);
    const sharing = collectEvents(viewer.watch, sessionId, (event) => event.session?.state === SessionState.SHARING);
    const screen = await publishScreen(sharerRoom);
    expect((await sharing).at(-1)?.session?.state).toBe(SessionState.SHARING);
    expect(await frames).toMatchObject({ width: 320, height: 180 });

    const { session: left } = await viewer.viewer.leaveSession({ sessionId });
    expect(left?.state).toBe(SessionState.ENDED);
    expect(left?.endReason).toBe(EndReason.VIEWER_LEFT);
    await screen.stop();
    await sharerRoom.disconnect();
    await viewerRoom.disconnect();

    const { events } = await viewer.viewer.getSessionHistory({ sessionId });
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => BigInt(index + 1)));
    expect(events.map((event) => event.trigger)).toEqual(["SESSION_STARTED", "KEY_REDEEMED", "SCREEN_TRACK_PUBLISHED", "VIEWER_LEFT"]);
  }, 60_000);

  it("the sharer's token may publish only the screen-share source and not subscribe; the viewer's may not publish", async () => {
    const { orgId, interactionId, viewer } = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await viewer.viewer.startScreenShare({ interactionId });
    const sessionId = session?.sessionId ?? "";
    const redeemed = await clientsFor(stack.server.url).sharer.redeemSecurityKey({ orgId, securityKey: session?.securityKey?.key ?? "" });
    const sharer = clientsFor(stack.server.url, redeemed.sharerCredential);
    const media = (await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media;
    const token = media?.transport.case === "livekit" ? media.transport.value.participantToken : "";
    const grant = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()).video;
    expect(grant).toMatchObject({ canPublish: true, canSubscribe: false, canPublishData: false, canPublishSources: ["screen_share"] });
    const viewerMedia = (await viewer.viewer.getViewerMediaJoinInfo({ sessionId })).media;
    const viewerToken = viewerMedia?.transport.case === "livekit" ? viewerMedia.transport.value.participantToken : "";
    expect(JSON.parse(Buffer.from(viewerToken.split(".")[1] ?? "", "base64url").toString()).video).toMatchObject({
      canPublish: false,
      canSubscribe: true,
    });
    await viewer.viewer.cancelScreenShare({ sessionId });
    await expectCode(sharer.sharer.getSharerMediaJoinInfo({ sessionId }), Code.Unauthenticated);
  });
});

describe("chat flow", () => {
  it("shows an invitation, accepts it and stops sharing from the customer's side", async () => {
    const { orgId, interactionId, viewer, platform } = await agentWithInteraction(stack, Channel.CHAT);
    const { customerCredential } = await platform.issueCustomerCredential({ orgId, interactionId });
    const customer = clientsFor(stack.server.url, customerCredential);
    const controller = new AbortController();
    const invitations = (async () => {
      for await (const { invitation } of customer.sharer.watchInvitations({}, { signal: controller.signal })) return invitation;
    })();
    await sleep(100);
    const { session } = await viewer.viewer.startScreenShare({ interactionId });
    expect(session?.state).toBe(SessionState.AWAITING_ACCEPTANCE);
    expect(session?.securityKey).toBeUndefined();
    const invitation = await invitations;
    controller.abort();
    expect(invitation?.sessionId).toBe(session?.sessionId);
    const accepted = await customer.sharer.acceptInvitation({ sessionId: invitation?.sessionId ?? "" });
    expect(accepted.session?.state).toBe(SessionState.SELECTING_SCREEN);
    const sharer = clientsFor(stack.server.url, accepted.sharerCredential);
    const { session: stopped } = await sharer.sharer.stopSharing({ sessionId: invitation?.sessionId ?? "" });
    expect(stopped?.endReason).toBe(EndReason.SHARER_STOPPED);
  });

  it("declines, and times out when nobody answers", async () => {
    const { orgId, interactionId, viewer, platform } = await agentWithInteraction(stack, Channel.CHAT);
    const { customerCredential } = await platform.issueCustomerCredential({ orgId, interactionId });
    const customer = clientsFor(stack.server.url, customerCredential);
    const first = await viewer.viewer.startScreenShare({ interactionId });
    const declined = await customer.sharer.declineInvitation({ sessionId: first.session?.sessionId ?? "" });
    expect(declined.session?.endReason).toBe(EndReason.SHARER_DECLINED);
    const second = await viewer.viewer.startScreenShare({ interactionId });
    const events = await collectEvents(viewer.watch, second.session?.sessionId ?? "");
    expect(events.at(-1)?.session?.endReason).toBe(EndReason.ACCEPTANCE_TIMED_OUT);
    expect(events.at(-1)?.trigger).toBe("TIMEOUT:acceptanceTimeout");
  }, 10_000);

  it("rebuilds the history by replay to exactly the events the watch stream sent live, timers included", async () => {
    const { interactionId, viewer } = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await viewer.viewer.startScreenShare({ interactionId });
    const sessionId = session?.sessionId ?? "";
    const live = collectEvents(viewer.watch, sessionId, () => false, 1n);
    await sleep(300);
    await viewer.viewer.regenerateSecurityKey({ sessionId });
    const streamed = await live;
    expect(streamed.map((event) => event.trigger)).toEqual(["KEY_REGENERATED", "TIMEOUT:securityKeyTtl"]);
    const { events } = await viewer.viewer.getSessionHistory({ sessionId });
    expect(events.slice(1)).toEqual(streamed);
    expect(events[0]?.session).toMatchObject({ state: SessionState.AWAITING_KEY_REDEMPTION, lastSequence: 1n, createdAt: session?.createdAt });
  }, 10_000);
});

describe("who may do what", () => {
  it("needs a viewer token with the permission", async () => {
    await expectCode(clientsFor(stack.server.url).viewer.listSessions({}), Code.Unauthenticated);
    await expectCode(clientsFor(stack.server.url, "not-a-jwt").viewer.listSessions({}), Code.Unauthenticated);
    const forged = await mintViewerToken({
      ...stack.viewerTokens,
      secret: "another-secret-entirely-".padEnd(40, "x"),
      org: "o",
      sub: "u",
      permissions: [VIEW_PERMISSION],
    });
    await expectCode(clientsFor(stack.server.url, forged).viewer.listSessions({}), Code.Unauthenticated);
    const noPermission = await mintViewerToken({ ...stack.viewerTokens, org: "o", sub: "u", permissions: ["other"] });
    await expectCode(clientsFor(stack.server.url, noPermission).viewer.listSessions({}), Code.PermissionDenied, /screenshare:session:view/);
    await expectCode(clientsFor(stack.server.url, "wrong-key").platform.registerInteraction({}), Code.Unauthenticated);
  });

  it("isolates orgs and agents: another's session or interaction is NOT_FOUND or PERMISSION_DENIED", async () => {
    const owner = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await owner.viewer.viewer.startScreenShare({ interactionId: owner.interactionId });
    const sessionId = session?.sessionId ?? "";
    const stranger = await agentWithInteraction(stack, Channel.VOICE);
    await expectCode(stranger.viewer.viewer.getSession({ sessionId }), Code.NotFound);
    await expectCode(stranger.viewer.viewer.cancelScreenShare({ sessionId }), Code.NotFound);
    await expectCode(stranger.viewer.watch.watchSession({ sessionId })[Symbol.asyncIterator]().next(), Code.NotFound);
    await expectCode(stranger.viewer.viewer.startScreenShare({ interactionId: owner.interactionId }), Code.NotFound);
    const colleague = await agentWithInteraction(stack, Channel.VOICE, owner.orgId);
    await expectCode(colleague.viewer.viewer.getSession({ sessionId }), Code.NotFound);
    await expectCode(colleague.viewer.viewer.startScreenShare({ interactionId: owner.interactionId }), Code.PermissionDenied);
    await expectCode(
      clientsFor(stack.server.url).sharer.redeemSecurityKey({ orgId: stranger.orgId, securityKey: session?.securityKey?.key ?? "" }),
      Code.NotFound,
    );
    await owner.viewer.viewer.cancelScreenShare({ sessionId });
  });

  it("starts only on a connected interaction", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const alerting = unique("alerting");
    await agent.platform.registerInteraction({
      orgId: agent.orgId,
      interactionId: alerting,
      channel: Channel.VOICE,
      agentUserId: agent.agent,
      status: InteractionStatus.ALERTING,
    });
    await expectCode(agent.viewer.viewer.startScreenShare({ interactionId: alerting }), Code.FailedPrecondition, /ALERTING/);
    await agent.platform.setInteractionStatus({ orgId: agent.orgId, interactionId: alerting, status: InteractionStatus.DISCONNECTED });
    await expectCode(agent.viewer.viewer.startScreenShare({ interactionId: alerting }), Code.FailedPrecondition, /DISCONNECTED/);
    await expectCode(
      agent.platform.setInteractionStatus({ orgId: agent.orgId, interactionId: alerting, status: InteractionStatus.CONNECTED }),
      Code.FailedPrecondition,
    );
  });

  it("allows one live session per viewer: of ten concurrent starts exactly one wins, and the rest name it", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId })));
    const winners = results.filter((result) => result.status === "fulfilled");
    expect(winners).toHaveLength(1);
    const winner = (winners[0] as PromiseFulfilledResult<{ session?: { sessionId: string } }>).value.session?.sessionId;
    for (const result of results.filter((r) => r.status === "rejected")) {
      const error = ConnectError.from((result as PromiseRejectedResult).reason);
      expect(error.code).toBe(Code.FailedPrecondition);
      expect(error.rawMessage).toContain(winner);
      expect(error.findDetails(LiveSessionConflictSchema)[0]?.sessionId).toBe(winner);
    }
    await agent.viewer.viewer.cancelScreenShare({ sessionId: winner ?? "" });
    const again = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    expect(again.session?.sessionId).not.toBe(winner);
    await agent.viewer.viewer.cancelScreenShare({ sessionId: again.session?.sessionId ?? "" });
  });

  it("returns the first result to an idempotent retry, never a second session", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const request = { interactionId: agent.interactionId, idempotencyKey: unique("retry") };
    const [first, second] = await Promise.all([agent.viewer.viewer.startScreenShare(request), agent.viewer.viewer.startScreenShare(request)]);
    expect(second.session?.sessionId).toBe(first.session?.sessionId);
    const third = await agent.viewer.viewer.startScreenShare(request);
    expect(third.session?.sessionId).toBe(first.session?.sessionId);
    const sessionId = first.session?.sessionId ?? "";
    const cancel = { sessionId, idempotencyKey: unique("cancel") };
    await agent.viewer.viewer.cancelScreenShare(cancel);
    expect((await agent.viewer.viewer.cancelScreenShare(cancel)).session?.endReason).toBe(EndReason.VIEWER_CANCELLED);
    await expectCode(agent.viewer.viewer.cancelScreenShare({ sessionId }), Code.FailedPrecondition, /ENDED/);
  });

  it("rejects a command the state does not allow with FAILED_PRECONDITION saying what to do instead", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    await expectCode(
      agent.viewer.viewer.leaveSession({ sessionId: session?.sessionId ?? "" }),
      Code.FailedPrecondition,
      /AWAITING_KEY_REDEMPTION; call .*CancelScreenShare/,
    );
    await agent.viewer.viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" });
  });
});

describe("bad input", () => {
  const cases: Array<[string, (c: ReturnType<typeof clientsFor>) => Promise<unknown>, Code, RegExp]> = [
    ["empty interaction_id", (c) => c.viewer.startScreenShare({ interactionId: "" }), Code.InvalidArgument, /interaction_id must be 1 to 128/],
    ["too long interaction_id", (c) => c.viewer.startScreenShare({ interactionId: "x".repeat(129) }), Code.InvalidArgument, /interaction_id/],
    ["bad characters in interaction_id", (c) => c.viewer.startScreenShare({ interactionId: "a b/c" }), Code.InvalidArgument, /interaction_id/],
    ["bad idempotency_key", (c) => c.viewer.startScreenShare({ interactionId: "i", idempotencyKey: "k".repeat(65) }), Code.InvalidArgument, /idempotency_key/],
    ["unknown interaction", (c) => c.viewer.startScreenShare({ interactionId: "no-such-interaction" }), Code.NotFound, /not found/],
    ["empty session_id", (c) => c.viewer.getSession({ sessionId: "" }), Code.InvalidArgument, /session_id/],
    ["unknown session", (c) => c.viewer.getSession({ sessionId: "no-such-session" }), Code.NotFound, /not found/],
    ["page_size over 100", (c) => c.viewer.listSessions({ pageSize: 101 }), Code.InvalidArgument, /page_size must be at most 100/],
    ["foreign page_token", (c) => c.viewer.listSessions({ pageToken: "abc" }), Code.InvalidArgument, /page_token/],
    [
      "after_sequence beyond the end",
      (c) => c.watch.watchSession({ sessionId: "no-such-session", afterSequence: 5n })[Symbol.asyncIterator]().next(),
      Code.NotFound,
      /not found/,
    ],
  ];
  it.each(cases)("%s", async (_name, call, code, message) => {
    const token = await mintViewerToken({ ...stack.viewerTokens, org: "bad-input-org", sub: "agent", permissions: [VIEW_PERMISSION] });
    const error = await expectCode(call(clientsFor(stack.server.url, token)), code, message);
    if (code === Code.InvalidArgument && !/page_token/.test(message.source)) {
      expect(error.findDetails(FieldViolationSchema).length).toBeGreaterThan(0);
    }
  });

  it("names every bad field of the platform's requests at once", async () => {
    const platform = clientsFor(stack.server.url, stack.integrationApiKey).platform;
    const error = await expectCode(platform.registerInteraction({ orgId: "", interactionId: "", agentUserId: "" }), Code.InvalidArgument);
    expect(error.findDetails(FieldViolationSchema).map((violation) => violation.field)).toEqual(["org_id", "interaction_id", "channel", "agent_user_id"]);
    await expectCode(platform.setInteractionStatus({ orgId: "o", interactionId: "nope", status: InteractionStatus.DISCONNECTED }), Code.NotFound);
    await expectCode(platform.issueCustomerCredential({ orgId: "o", interactionId: "nope" }), Code.NotFound);
    await expectCode(platform.terminateSession({ orgId: "o", sessionId: "nope" }), Code.NotFound);
  });

  it("rejects a second registration that disagrees, and accepts one that agrees", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const same = { orgId: agent.orgId, interactionId: agent.interactionId, channel: Channel.VOICE, agentUserId: agent.agent };
    expect((await agent.platform.registerInteraction(same)).interaction?.interactionId).toBe(agent.interactionId);
    await expectCode(agent.platform.registerInteraction({ ...same, channel: Channel.CHAT }), Code.AlreadyExists);
    await expectCode(agent.platform.issueCustomerCredential({ orgId: agent.orgId, interactionId: agent.interactionId }), Code.FailedPrecondition, /voice/);
  });
});

describe("security keys", () => {
  it("normalise spaces and dashes, refuse malformed input and are single use", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const key = session?.securityKey?.key ?? "";
    const anonymous = clientsFor(stack.server.url).sharer;
    await expectCode(anonymous.redeemSecurityKey({ orgId: agent.orgId, securityKey: "12345" }), Code.InvalidArgument, /6 digits/);
    await expectCode(anonymous.redeemSecurityKey({ orgId: agent.orgId, securityKey: "12a456" }), Code.InvalidArgument);
    const dashed = `${key.slice(0, 3)}-${key.slice(3)}`;
    const first = await anonymous.redeemSecurityKey({ orgId: agent.orgId, securityKey: ` ${dashed} ` });
    expect(first.session?.sessionId).toBe(session?.sessionId);
    await expectCode(anonymous.redeemSecurityKey({ orgId: agent.orgId, securityKey: key }), Code.NotFound);
    await agent.viewer.viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" });
  });

  it("regenerating kills the old key at once", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const { session: renewed } = await agent.viewer.viewer.regenerateSecurityKey({ sessionId: session?.sessionId ?? "" });
    expect(renewed?.securityKey?.key).toMatch(/^\d{6}$/);
    const anonymous = clientsFor(stack.server.url).sharer;
    if (renewed?.securityKey?.key !== session?.securityKey?.key) {
      await expectCode(anonymous.redeemSecurityKey({ orgId: agent.orgId, securityKey: session?.securityKey?.key ?? "" }), Code.NotFound);
    }
    await anonymous.redeemSecurityKey({ orgId: agent.orgId, securityKey: renewed?.securityKey?.key ?? "" });
    await agent.viewer.viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" });
  });

  it("expire with the TTL and end the session", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const events = await collectEvents(agent.viewer.watch, session?.sessionId ?? "");
    expect(events.at(-1)?.session?.endReason).toBe(EndReason.KEY_EXPIRED);
    await expectCode(
      clientsFor(stack.server.url).sharer.redeemSecurityKey({ orgId: agent.orgId, securityKey: session?.securityKey?.key ?? "" }),
      Code.NotFound,
    );
  }, 10_000);

  it("die after the org's wrong attempts use up their budget", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const key = session?.securityKey?.key ?? "";
    const wrong = String((Number(key) + 1) % 1_000_000).padStart(6, "0");
    const anonymous = clientsFor(stack.server.url).sharer;
    for (let attempt = 0; attempt < 3; attempt++) {
      await expectCode(anonymous.redeemSecurityKey({ orgId: agent.orgId, securityKey: wrong }), Code.NotFound);
    }
    const { session: locked } = await agent.viewer.viewer.getSession({ sessionId: session?.sessionId ?? "" });
    expect(locked?.securityKey?.attemptsRemaining).toBe(0);
    await expectCode(anonymous.redeemSecurityKey({ orgId: agent.orgId, securityKey: key }), Code.NotFound);
    const { session: renewed } = await agent.viewer.viewer.regenerateSecurityKey({ sessionId: session?.sessionId ?? "" });
    expect(renewed?.securityKey?.attemptsRemaining).toBe(3);
    await agent.viewer.viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" });
  });
});

describe("rate limits", () => {
  it("answer RESOURCE_EXHAUSTED with a retry delay once a client guesses too often, with growing back-off", async () => {
    const limited = await startReferenceStack({ redis, limits: { redeemAttemptsPerClient: 3, redeemWindowMs: 60_000 } });
    try {
      const anonymous = clientsFor(limited.server.url).sharer;
      for (let attempt = 0; attempt < 3; attempt++) {
        await expectCode(anonymous.redeemSecurityKey({ orgId: "org", securityKey: "000000" }), Code.NotFound);
      }
      const error = await expectCode(anonymous.redeemSecurityKey({ orgId: "org", securityKey: "000000" }), Code.ResourceExhausted, /retry in/);
      const delay = error.findDetails(RetryDelaySchema)[0]?.retryAfterMs ?? 0n;
      expect(delay).toBeGreaterThan(50_000n);
      expect(delay).toBeLessThanOrEqual(60_000n);
    } finally {
      await limited.stop();
    }
  }, 30_000);
});

describe("the event stream", () => {
  it("numbers events 1, 2, 3…, resumes from a sequence without gap or duplicate, and delivers the final event", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    await agent.viewer.viewer.regenerateSecurityKey({ sessionId });
    await agent.viewer.viewer.regenerateSecurityKey({ sessionId });
    const firstTwo = await collectEvents(agent.viewer.watch, sessionId, (event) => event.sequence === 2n);
    expect(firstTwo.map((event) => event.sequence)).toEqual([1n, 2n]);
    const rest = collectEvents(agent.viewer.watch, sessionId, () => false, 2n);
    await sleep(100);
    await agent.viewer.viewer.cancelScreenShare({ sessionId });
    const tail = await rest;
    expect(tail.map((event) => event.sequence)).toEqual([3n, 4n]);
    expect(tail.at(-1)?.session?.state).toBe(SessionState.ENDED);
    expect(tail.every((event) => event.session?.securityKey === undefined)).toBe(true);
    await expectCode(agent.viewer.watch.watchSession({ sessionId, afterSequence: 9n })[Symbol.asyncIterator]().next(), Code.InvalidArgument, /beyond/);
  });

  it("holds what one wait needs on a long stream, not what every wait added (each used to leave an abort listener behind)", async () => {
    const leaks: Error[] = [];
    const onWarning = (warning: Error) => {
      if (warning.name === "MaxListenersExceededWarning") leaks.push(warning);
    };
    process.on("warning", onWarning);
    try {
      const agent = await agentWithInteraction(stack, Channel.VOICE);
      const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
      const sessionId = session?.sessionId ?? "";
      const events = collectEvents(agent.viewer.watch, sessionId, (event) => event.sequence === 16n);
      for (let regeneration = 0; regeneration < 15; regeneration++) {
        await sleep(20); // each event wakes its own wait
        await agent.viewer.viewer.regenerateSecurityKey({ sessionId });
      }
      expect((await events).length).toBe(16);
      await sleep(10); // Node emits the warning on a later tick
      expect(leaks.map((warning) => warning.message)).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});

describe("interaction disconnect and administration", () => {
  it("ends every live session on a disconnected interaction", async () => {
    const agent = await agentWithInteraction(stack, Channel.VOICE);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const result = await agent.platform.setInteractionStatus({
      orgId: agent.orgId,
      interactionId: agent.interactionId,
      status: InteractionStatus.DISCONNECTED,
    });
    expect(result.endedSessions.map((ended) => ended.sessionId)).toEqual([session?.sessionId]);
    const { session: after } = await agent.viewer.viewer.getSession({ sessionId: session?.sessionId ?? "" });
    expect(after?.endReason).toBe(EndReason.INTERACTION_DISCONNECTED);
  });

  it("lets an administrator terminate a session", async () => {
    const agent = await agentWithInteraction(stack, Channel.CHAT);
    const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
    const { session: ended } = await agent.platform.terminateSession({ orgId: agent.orgId, sessionId: session?.sessionId ?? "" });
    expect(ended?.endReason).toBe(EndReason.ADMINISTRATOR_TERMINATED);
    await expectCode(agent.platform.terminateSession({ orgId: "other-org", sessionId: session?.sessionId ?? "" }), Code.NotFound);
  });

  it("lists the viewer's sessions newest first, in pages", async () => {
    const agent = await agentWithInteraction(stack, Channel.CHAT);
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const { session } = await agent.viewer.viewer.startScreenShare({ interactionId: agent.interactionId });
      ids.push(session?.sessionId ?? "");
      await agent.viewer.viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" });
    }
    const first = await agent.viewer.viewer.listSessions({ pageSize: 2 });
    const second = await agent.viewer.viewer.listSessions({ pageSize: 2, pageToken: first.nextPageToken });
    expect([...first.sessions, ...second.sessions].map((session) => session.sessionId)).toEqual(ids.reverse());
    expect(second.nextPageToken).toBe("");
    expect((await agent.viewer.viewer.listSessions({ liveOnly: true })).sessions).toEqual([]);
  });
});

describe("webhooks", () => {
  it("rejects a forged signature and changes nothing", async () => {
    const response = await fetch(`${stack.server.url}/livekit/webhook`, {
      method: "POST",
      headers: { authorization: "forged", "content-type": "application/webhook+json" },
      body: JSON.stringify({ event: "room_finished", room: { name: "ss-anything" } }),
    });
    expect(response.status).toBe(401);
  });
});
