// Long on purpose: the hand-written cases are data, one define() each, named by slash path; a vendor reads a
// failing case's name and finds it here by that name. Generated cases live in lifecycle.ts and matrix.ts.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { RoomEvent, TrackSource } from "@livekit/rtc-node";
import {
  Channel,
  EndReason,
  InteractionStatus,
  LiveSessionConflictSchema,
  RetryDelaySchema,
  ScreenSelectionProblem,
  SessionState,
  type SharerService,
  type WatchInvitationsResponse,
} from "@screenshare/protocol";
import { AccessToken } from "livekit-server-sdk";
import type { Case } from "./case.js";
import { type Agent, type CaseContext, sleep } from "./context.js";
import { check, equal, Mismatch, rejects, rejectsField, Skip } from "./expect.js";

const define = (name: string, run: Case["run"], covers: string[] = []): Case => ({ name, run, covers });

/** A voice session awaiting its key, and its key. */
async function voiceSession(context: CaseContext, agent?: Agent) {
  const owner = agent ?? (await context.agent(Channel.VOICE));
  const { session } = await owner.clients.viewer.startScreenShare({ interactionId: owner.interactionId });
  return { agent: owner, sessionId: session?.sessionId ?? "", key: session?.securityKey?.key ?? "", session };
}

/** A voice session whose customer has redeemed the key, with the sharer's clients. */
export async function redeemedSession(context: CaseContext) {
  const started = await voiceSession(context);
  const redeemed = await context.clients().sharer.redeemSecurityKey({ orgId: started.agent.org, securityKey: started.key });
  return { ...started, sharer: context.clients(redeemed.sharerCredential) };
}

/**
 * A chat's WatchInvitations, read until it closes (`closed`) or `ms` pass, each change as a line; `onChange` runs on
 * each change as it comes.
 */
async function readInvitations(sharer: Client<typeof SharerService>, ms: number, onChange?: (change: WatchInvitationsResponse) => Promise<unknown>) {
  const signal = AbortSignal.timeout(ms);
  const seen: string[] = [];
  try {
    for await (const change of sharer.watchInvitations({}, { signal })) {
      seen.push(change.invitation ? `invitation ${change.invitation.sessionId}` : `withdrawn ${change.withdrawnSessionId}`);
      await onChange?.(change);
    }
    return { seen, closed: true };
  } catch (error) {
    if (signal.aborted) return { seen, closed: false };
    throw error;
  }
}

/** A chat session awaiting acceptance, with the chat customer's clients. */
async function chatSession(context: CaseContext) {
  const agent = await context.agent(Channel.CHAT);
  const { customerCredential } = await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId });
  const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
  return { agent, sessionId: session?.sessionId ?? "", customer: context.clients(customerCredential) };
}

/** Runs a vendor hook: a shell command, or a function in programmatic runs. */
async function perform(hook: string | (() => Promise<void>)): Promise<void> {
  if (typeof hook === "function") return hook();
  await promisify(execFile)("sh", ["-c", hook]);
}

const wrongKey = (key: string) => String((Number(key) + 1) % 10 ** key.length).padStart(key.length, "0");

export const ruleCases: Case[] = [
  define("rules/server-info/advertises-v1", async (context) => {
    const { info } = await context.clients().info.getServerInfo({});
    equal(info?.protocolVersion, "screenshare.v1", "protocol_version");
    check((info?.securityKeyLength ?? 0) >= 6, "security_key_length >= 6", info?.securityKeyLength);
    check((info?.implementation ?? "") !== "", "implementation named", info?.implementation);
    check(
      (info?.mediaTransports.length ?? 0) > 0 && !info?.mediaTransports.includes(0),
      "media_transports: at least one media plane, none UNSPECIFIED",
      info?.mediaTransports,
    );
  }),
  define("rules/org-isolation/key-invisible-to-other-org", async (context) => {
    const { key } = await voiceSession(context);
    await rejects(
      context.clients().sharer.redeemSecurityKey({ orgId: context.config.orgs[1], securityKey: key }),
      Code.NotFound,
      "a key redeemed in another org",
    );
  }),
  define(
    "rules/interaction/only-its-agent-starts",
    async (context) => {
      const owner = await context.agent(Channel.VOICE);
      const colleague = await context.agent(Channel.VOICE);
      await rejects(
        colleague.clients.viewer.startScreenShare({ interactionId: owner.interactionId }),
        Code.PermissionDenied,
        "a start on another agent's interaction",
      );
    },
    ["ViewerService.StartScreenShare/error/PERMISSION_DENIED"],
  ),
  define(
    "rules/interaction/must-be-connected",
    async (context) => {
      const agent = await context.agent(Channel.CHAT);
      const interactionId = `${agent.interactionId}-alerting`;
      await context.platform.registerInteraction({
        orgId: agent.org,
        interactionId,
        channel: Channel.CHAT,
        agentUserId: agent.user,
        status: InteractionStatus.ALERTING,
      });
      await rejects(agent.clients.viewer.startScreenShare({ interactionId }), Code.FailedPrecondition, "a start on an alerting interaction");
    },
    ["ViewerService.StartScreenShare/error/FAILED_PRECONDITION"],
  ),
  define(
    "rules/interaction/disconnected-refuses-start",
    async (context) => {
      const agent = await context.agent(Channel.VOICE);
      await context.platform.setInteractionStatus({ orgId: agent.org, interactionId: agent.interactionId, status: InteractionStatus.DISCONNECTED });
      await rejects(
        agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId }),
        Code.FailedPrecondition,
        "a start on a disconnected interaction",
      );
    },
    ["ViewerService.StartScreenShare/error/FAILED_PRECONDITION"],
  ),
  define(
    "rules/interaction/register-again-or-conflict",
    async (context) => {
      const agent = await context.agent(Channel.VOICE);
      const again = { orgId: agent.org, interactionId: agent.interactionId, channel: Channel.VOICE, agentUserId: agent.user };
      const { interaction } = await context.platform.registerInteraction(again);
      equal(interaction?.agentUserId, agent.user, "agent_user_id of a repeated registration");
      await rejects(context.platform.registerInteraction({ ...again, channel: Channel.CHAT }), Code.AlreadyExists, "a registration with another channel");
      await rejects(
        context.platform.registerInteraction({ ...again, agentUserId: `${agent.user}-other` }),
        Code.AlreadyExists,
        "a registration with another agent",
      );
    },
    ["InteractionService.RegisterInteraction/error/ALREADY_EXISTS"],
  ),
  define(
    "rules/interaction/status-of-unknown-interaction",
    async (context) => {
      const request = { orgId: context.config.orgs[0], interactionId: "no-such-interaction", status: InteractionStatus.CONNECTED };
      await rejects(context.platform.setInteractionStatus(request), Code.NotFound, "SetInteractionStatus on an unknown interaction");
    },
    ["InteractionService.SetInteractionStatus/error/NOT_FOUND"],
  ),
  define(
    "rules/interaction/disconnected-is-final",
    async (context) => {
      const agent = await context.agent(Channel.VOICE);
      const request = { orgId: agent.org, interactionId: agent.interactionId, status: InteractionStatus.DISCONNECTED };
      await context.platform.setInteractionStatus(request);
      await rejects(
        context.platform.setInteractionStatus({ ...request, status: InteractionStatus.CONNECTED }),
        Code.FailedPrecondition,
        "reconnecting a disconnected interaction",
      );
    },
    ["InteractionService.SetInteractionStatus/error/FAILED_PRECONDITION"],
  ),
  define(
    "rules/interaction/customer-credential-only-for-live-chats",
    async (context) => {
      const platform = context.platform;
      await rejects(
        platform.issueCustomerCredential({ orgId: context.config.orgs[0], interactionId: "no-such-interaction" }),
        Code.NotFound,
        "a credential for an unknown interaction",
      );
      const voice = await context.agent(Channel.VOICE);
      await rejects(
        platform.issueCustomerCredential({ orgId: voice.org, interactionId: voice.interactionId }),
        Code.FailedPrecondition,
        "a customer credential for a voice call",
      );
      const chat = await context.agent(Channel.CHAT);
      await platform.setInteractionStatus({ orgId: chat.org, interactionId: chat.interactionId, status: InteractionStatus.DISCONNECTED });
      await rejects(
        platform.issueCustomerCredential({ orgId: chat.org, interactionId: chat.interactionId }),
        Code.FailedPrecondition,
        "a customer credential for a disconnected chat",
      );
    },
    ["InteractionService.IssueCustomerCredential/error/NOT_FOUND", "InteractionService.IssueCustomerCredential/error/FAILED_PRECONDITION"],
  ),
  define("rules/interaction/chat-credential-ends-with-chat", async (context) => {
    const chat = await context.agent(Channel.CHAT);
    const { customerCredential } = await context.platform.issueCustomerCredential({ orgId: chat.org, interactionId: chat.interactionId });
    const { session } = await chat.clients.viewer.startScreenShare({ interactionId: chat.interactionId });
    await context.platform.setInteractionStatus({ orgId: chat.org, interactionId: chat.interactionId, status: InteractionStatus.DISCONNECTED });
    await rejects(
      context.clients(customerCredential).sharer.acceptInvitation({ sessionId: session?.sessionId ?? "" }),
      Code.Unauthenticated,
      "AcceptInvitation with the credential of a disconnected chat",
    );
  }),
  define(
    "rules/interaction/unknown",
    async (context) => {
      const agent = await context.agent(Channel.VOICE);
      await rejects(agent.clients.viewer.startScreenShare({ interactionId: "no-such-interaction" }), Code.NotFound, "a start on an unknown interaction");
    },
    ["ViewerService.StartScreenShare/error/NOT_FOUND"],
  ),
  define("rules/interaction/disconnect-ends-session", async (context) => {
    const { agent, sessionId } = await voiceSession(context);
    await context.platform.setInteractionStatus({ orgId: agent.org, interactionId: agent.interactionId, status: InteractionStatus.DISCONNECTED });
    const session = await context.until(agent, sessionId, SessionState.ENDED, 3_000);
    equal(EndReason[session.endReason], "INTERACTION_DISCONNECTED", "end_reason");
  }),
  {
    name: "rules/media-plane/start-while-down-unavailable",
    exclusive: true,
    covers: ["ViewerService.StartScreenShare/error/UNAVAILABLE"],
    async run(context) {
      const outage = context.config.mediaOutage;
      if (!outage) throw new Skip("needs mediaOutage { start, stop } in the vendor config to take the media plane down");
      const agent = await context.agent(Channel.VOICE);
      await perform(outage.start);
      try {
        await rejects(
          agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId }),
          Code.Unavailable,
          "StartScreenShare with the media plane down",
        );
      } finally {
        await perform(outage.stop);
      }
      equal((await agent.clients.viewer.listSessions({ liveOnly: true })).sessions.length, 0, "live sessions after the refused start");
    },
  },
  define(
    "rules/one-session-per-viewer/second-start-refused",
    async (context) => {
      const { agent, sessionId } = await voiceSession(context);
      const error = await rejects(agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId }), Code.FailedPrecondition, "a second start");
      equal(error.findDetails(LiveSessionConflictSchema)[0]?.sessionId, sessionId, "LiveSessionConflict.session_id");
    },
    ["ViewerService.StartScreenShare/error/FAILED_PRECONDITION"],
  ),
  define("rules/one-session-per-viewer/concurrent-starts", async (context) => {
    const agent = await context.agent(Channel.CHAT);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId })));
    equal(results.filter((result) => result.status === "fulfilled").length, 1, "successful concurrent starts");
  }),
  define("rules/one-session-per-viewer/free-after-end", async (context) => {
    const { agent, sessionId } = await voiceSession(context);
    await agent.clients.viewer.cancelScreenShare({ sessionId });
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    check(!!session?.sessionId && session.sessionId !== sessionId, "a new session", session?.sessionId);
  }),
  define("rules/idempotency/start-retry-returns-first", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const request = { interactionId: agent.interactionId, idempotencyKey: `retry-${agent.user}` };
    const first = await agent.clients.viewer.startScreenShare(request);
    const second = await agent.clients.viewer.startScreenShare(request);
    equal(second.session?.sessionId, first.session?.sessionId, "session_id of the retry");
  }),
  define("rules/idempotency/stop-sharing-retry-after-end", async (context) => {
    const { sessionId, sharer } = await redeemedSession(context);
    const first = await sharer.sharer.stopSharing({ sessionId, idempotencyKey: "stop-once" });
    equal(SessionState[first.session?.state ?? 0], "ENDED", "state after StopSharing");
    // The session has ended, so the credential no longer works for a new call, but the retry gets its first answer.
    const retry = await sharer.sharer.stopSharing({ sessionId, idempotencyKey: "stop-once" });
    equal(retry.session?.lastSequence, first.session?.lastSequence, "last_sequence of the retried StopSharing");
    equal(EndReason[retry.session?.endReason ?? 0], "SHARER_STOPPED", "end_reason of the retried StopSharing");
    await rejects(sharer.sharer.stopSharing({ sessionId, idempotencyKey: "stop-again" }), Code.Unauthenticated, "StopSharing with a new key after the end");
  }),
  define(
    "rules/state/leave-before-sharing-refused",
    async (context) => {
      const { agent, sessionId } = await voiceSession(context);
      await rejects(agent.clients.viewer.leaveSession({ sessionId }), Code.FailedPrecondition, "LeaveSession before sharing");
      equal(
        SessionState[(await agent.clients.viewer.getSession({ sessionId })).session?.state ?? 0],
        "AWAITING_KEY_REDEMPTION",
        "state after the refused LeaveSession",
      );
    },
    ["ViewerService.LeaveSession/error/FAILED_PRECONDITION"],
  ),
  define(
    "rules/state/regenerate-on-chat-refused",
    async (context) => {
      const agent = await context.agent(Channel.CHAT);
      const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
      await rejects(
        agent.clients.viewer.regenerateSecurityKey({ sessionId: session?.sessionId ?? "" }),
        Code.FailedPrecondition,
        "RegenerateSecurityKey on a chat session",
      );
    },
    ["ViewerService.RegenerateSecurityKey/error/FAILED_PRECONDITION"],
  ),
  define(
    "rules/state/cancel-while-sharing-refused",
    async (context) => {
      const { agent, sessionId, sharer } = await redeemedSession(context);
      const peer = await context.join((await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media);
      await peer.publish();
      await context.until(agent, sessionId, SessionState.SHARING, 8_000);
      await rejects(agent.clients.viewer.cancelScreenShare({ sessionId }), Code.FailedPrecondition, "CancelScreenShare while sharing");
      equal(SessionState[(await agent.clients.viewer.getSession({ sessionId })).session?.state ?? 0], "SHARING", "state after the refused CancelScreenShare");
      const { session } = await agent.clients.viewer.leaveSession({ sessionId });
      equal(EndReason[session?.endReason ?? 0], "VIEWER_LEFT", "end_reason after LeaveSession");
    },
    ["ViewerService.CancelScreenShare/error/FAILED_PRECONDITION"],
  ),
  define("rules/bad-input/interaction-id", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    for (const interactionId of ["", "x".repeat(129), "has space"]) {
      await rejects(agent.clients.viewer.startScreenShare({ interactionId }), Code.InvalidArgument, `interaction_id "${interactionId.slice(0, 10)}"`);
    }
  }),
  define("rules/bad-input/session-id", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    await rejects(agent.clients.viewer.getSession({ sessionId: "" }), Code.InvalidArgument, "empty session_id");
    await rejects(agent.clients.viewer.getSession({ sessionId: "no-such-session" }), Code.NotFound, "unknown session_id");
  }),
  define(
    "rules/bad-input/page-size-and-token",
    async (context) => {
      const agent = await context.agent(Channel.VOICE);
      for (const [request, field] of [
        [{ pageSize: 101 }, "page_size"],
        [{ pageToken: "not-a-token-we-issued" }, "page_token"],
      ] as const) {
        await rejectsField(agent.clients.viewer.listSessions(request), field, `ListSessions with a bad ${field}`);
      }
    },
    ["ViewerService.ListSessions/error/INVALID_ARGUMENT"],
  ),
  define("rules/bad-input/register-interaction", async (context) => {
    await rejects(
      context.platform.registerInteraction({ orgId: context.config.orgs[0], interactionId: "i", agentUserId: "a" }),
      Code.InvalidArgument,
      "channel UNSPECIFIED",
    );
  }),

  define("keys/input/spaces-and-dashes-ignored", async (context) => {
    const { agent, key } = await voiceSession(context);
    const typed = ` ${key.slice(0, 3)}-${key.slice(3)} `;
    const { session } = await context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: typed });
    equal(SessionState[session?.state ?? 0], "SELECTING_SCREEN", "state after redeeming");
  }),
  define("keys/input/malformed", async (context) => {
    await rejects(context.clients().sharer.redeemSecurityKey({ orgId: context.config.orgs[0], securityKey: "12a" }), Code.InvalidArgument, "a malformed key");
  }),
  define(
    "keys/single-use",
    async (context) => {
      const { agent, key } = await redeemedSession(context);
      await rejects(context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: key }), Code.NotFound, "a used key");
    },
    ["SharerService.RedeemSecurityKey/error/NOT_FOUND"],
  ),
  define(
    "keys/key-space-exhausted",
    async (context) => {
      const space = 10 ** context.info.securityKeyLength;
      if (space > 100) throw new Skip(`needs security_key_length <= 2 to fill the key space; the server advertises ${context.info.securityKeyLength}`);
      const org = `${context.config.orgs[0]}-keyspace-${Date.now()}`;
      for (let started = 0; started <= space; started++) {
        const agent = await context.agent(Channel.VOICE, org);
        try {
          await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
        } catch (error) {
          await rejects(Promise.reject(error), Code.ResourceExhausted, `a start after ${started} live keys of ${space}`);
          return;
        }
      }
      throw new Mismatch(`RESOURCE_EXHAUSTED once all ${space} keys are live`, `${space + 1} sessions started`);
    },
    ["ViewerService.StartScreenShare/error/RESOURCE_EXHAUSTED"],
  ),
  define("keys/regeneration-kills-old-key", async (context) => {
    const { agent, sessionId, key } = await voiceSession(context);
    const { session } = await agent.clients.viewer.regenerateSecurityKey({ sessionId });
    if (session?.securityKey?.key === key) throw new Skip("the new key happened to equal the old one");
    await rejects(context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: key }), Code.NotFound, "the replaced key");
  }),
  define("keys/expiry", async (context) => {
    if (context.info.securityKeyTtlSeconds > 20) throw new Skip("key TTL over 20 s");
    const { agent, sessionId, key } = await voiceSession(context);
    const session = await context.until(agent, sessionId, SessionState.ENDED, (context.info.securityKeyTtlSeconds + 5) * 1000);
    equal(EndReason[session.endReason], "KEY_EXPIRED", "end_reason");
    await rejects(context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: key }), Code.NotFound, "an expired key");
  }),
  define("keys/lockout-after-wrong-attempts", async (context) => {
    const attempts = context.info.securityKeyMaxAttempts;
    if (attempts > 20 || attempts >= context.info.redeemAttemptsPerClient) throw new Skip("attempt limits too high to exhaust quickly");
    const org = `${context.config.orgs[0]}-lockout-${Date.now()}`;
    const agent = await context.agent(Channel.VOICE, org);
    const { key, sessionId } = await voiceSession(context, agent);
    for (let attempt = 0; attempt < attempts; attempt++) {
      await rejects(context.clients().sharer.redeemSecurityKey({ orgId: org, securityKey: wrongKey(key) }), Code.NotFound, "a wrong key");
    }
    await rejects(context.clients().sharer.redeemSecurityKey({ orgId: org, securityKey: key }), Code.NotFound, "the right key after the lockout");
    const { session } = await agent.clients.viewer.getSession({ sessionId });
    equal(session?.securityKey?.attemptsRemaining ?? 0, 0, "attempts_remaining");
  }),
  define(
    "keys/rate-limit",
    async (context) => {
      const limit = context.info.redeemAttemptsPerOrg;
      if (limit > 200) throw new Skip("org rate limit over 200");
      const org = `${context.config.orgs[1]}-rate-${Date.now()}`;
      let error: ConnectError | undefined;
      for (let attempt = 0; attempt <= limit + 1 && !error; attempt++) {
        await context
          .clients()
          .sharer.redeemSecurityKey({ orgId: org, securityKey: "0".repeat(context.info.securityKeyLength) })
          .catch((reason: unknown) => {
            const connectError = ConnectError.from(reason);
            if (connectError.code === Code.ResourceExhausted) error = connectError;
          });
      }
      check(!!error, `RESOURCE_EXHAUSTED within ${limit + 2} wrong attempts`, "none");
      check((error?.findDetails(RetryDelaySchema)[0]?.retryAfterMs ?? 0n) > 0n, "a RetryDelay detail", "none");
    },
    ["SharerService.RedeemSecurityKey/error/RESOURCE_EXHAUSTED"],
  ),

  define("stream/sequence-and-final-event", async (context) => {
    const { agent, sessionId } = await voiceSession(context);
    await agent.clients.viewer.regenerateSecurityKey({ sessionId });
    await agent.clients.viewer.cancelScreenShare({ sessionId });
    const sequences: bigint[] = [];
    let last: SessionState | undefined;
    for await (const { event } of agent.clients.watch.watchSession({ sessionId }, { signal: AbortSignal.timeout(5_000) })) {
      sequences.push(event?.sequence ?? 0n);
      last = event?.session?.state;
    }
    equal(sequences.map(String).join(","), sequences.map((_, index) => String(index + 1)).join(","), "sequences");
    equal(SessionState[last ?? 0], "ENDED", "state of the final event");
  }),
  define("stream/resume-without-gap-or-duplicate", async (context) => {
    const { agent, sessionId } = await voiceSession(context);
    await agent.clients.viewer.regenerateSecurityKey({ sessionId });
    const tail: bigint[] = [];
    const watching = (async () => {
      for await (const { event } of agent.clients.watch.watchSession({ sessionId, afterSequence: 1n }, { signal: AbortSignal.timeout(5_000) })) {
        tail.push(event?.sequence ?? 0n);
      }
    })();
    await sleep(200);
    await agent.clients.viewer.regenerateSecurityKey({ sessionId });
    await agent.clients.viewer.cancelScreenShare({ sessionId });
    await watching;
    equal(tail.map(String).join(","), "2,3,4", "sequences after 1");
  }),

  define("invitations/stream-closes-when-chat-disconnects", async (context) => {
    const agent = await context.agent(Channel.CHAT);
    const { customerCredential } = await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId });
    const reading = readInvitations(context.clients(customerCredential).sharer, 12_000);
    await sleep(300);
    await context.platform.setInteractionStatus({ orgId: agent.org, interactionId: agent.interactionId, status: InteractionStatus.DISCONNECTED });
    check((await reading).closed, "WatchInvitations to close when the chat disconnects", "still open after 12 s");
  }),
  define("invitations/withdrawn-when-chat-disconnects", async (context) => {
    // A pending invitation: the disconnect withdraws it (WatchInvitationsResponse.withdrawn_session_id), then the
    // stream closes.
    const { agent, sessionId, customer } = await chatSession(context);
    const { seen, closed } = await readInvitations(customer.sharer, 12_000, async (change) => {
      if (change.invitation) {
        await context.platform.setInteractionStatus({ orgId: agent.org, interactionId: agent.interactionId, status: InteractionStatus.DISCONNECTED });
      }
    });
    check(closed, "WatchInvitations to close when the chat disconnects", "still open after 12 s");
    equal(seen.join("; "), `invitation ${sessionId}; withdrawn ${sessionId}`, "invitation stream of a chat that disconnected");
  }),
  define("invitations/withdrawn-when-cancelled", async (context) => {
    const agent = await context.agent(Channel.CHAT);
    const { customerCredential } = await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId });
    const seen: string[] = [];
    // Open before the share starts: the invitation and its withdrawal both come on the open stream.
    const watching = (async () => {
      for await (const change of context.clients(customerCredential).sharer.watchInvitations({}, { signal: AbortSignal.timeout(5_000) })) {
        seen.push(change.invitation ? `invitation ${change.invitation.sessionId}` : `withdrawn ${change.withdrawnSessionId}`);
        if (change.invitation) await agent.clients.viewer.cancelScreenShare({ sessionId: change.invitation.sessionId });
        if (change.withdrawnSessionId) return;
      }
    })().catch((error) => seen.push(`stream failed: ${ConnectError.from(error).code}`));
    await sleep(300);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    await watching;
    equal(seen.join("; "), `invitation ${session?.sessionId}; withdrawn ${session?.sessionId}`, "invitation stream");
  }),
  define(
    "screen-selection/unsupported-browser-declines-invitation",
    async (context) => {
      const { agent, sessionId, customer } = await chatSession(context);
      const { session } = await customer.sharer.reportScreenSelectionProblem({ sessionId, problem: ScreenSelectionProblem.BROWSER_UNSUPPORTED });
      equal(EndReason[session?.endReason ?? 0], "SHARER_UNSUPPORTED", "end_reason in the response");
      const seen = await context.until(agent, sessionId, SessionState.ENDED, 3_000);
      equal(EndReason[seen.endReason], "SHARER_UNSUPPORTED", "end_reason the viewer sees");
      await rejects(
        customer.sharer.reportScreenSelectionProblem({ sessionId, problem: ScreenSelectionProblem.BROWSER_UNSUPPORTED }),
        Code.FailedPrecondition,
        "a report on an ended invitation",
      );
    },
    ["SharerService.ReportScreenSelectionProblem/error/FAILED_PRECONDITION"],
  ),
  define("screen-selection/picker-closed-keeps-choosing", async (context) => {
    const { agent, sessionId, sharer } = await redeemedSession(context);
    const { session } = await sharer.sharer.reportScreenSelectionProblem({ sessionId, problem: ScreenSelectionProblem.PICKER_CLOSED });
    equal(SessionState[session?.state ?? 0], "SELECTING_SCREEN", "state after PICKER_CLOSED");
    let trigger = "";
    for await (const { event } of agent.clients.watch.watchSession(
      { sessionId, afterSequence: (session?.lastSequence ?? 1n) - 1n },
      { signal: AbortSignal.timeout(3_000) },
    )) {
      trigger = event?.trigger ?? "";
      break;
    }
    equal(trigger, "SCREEN_PICKER_CLOSED", "trigger of the event the viewer sees");
  }),
  define("screen-selection/bad-requests", async (context) => {
    const { sessionId, sharer } = await redeemedSession(context);
    await rejects(sharer.sharer.reportScreenSelectionProblem({ sessionId }), Code.InvalidArgument, "a report without a problem");
    await rejects(
      context.clients().sharer.reportScreenSelectionProblem({ sessionId, problem: ScreenSelectionProblem.PICKER_CLOSED }),
      Code.Unauthenticated,
      "a report without a credential",
    );
    const chat = await chatSession(context);
    await rejects(
      chat.customer.sharer.reportScreenSelectionProblem({ sessionId: chat.sessionId, problem: ScreenSelectionProblem.PICKER_CLOSED }),
      Code.Unauthenticated,
      "PICKER_CLOSED with a customer credential (it needs the sharer credential)",
    );
    await rejects(
      chat.customer.sharer.reportScreenSelectionProblem({ sessionId, problem: ScreenSelectionProblem.BROWSER_UNSUPPORTED }),
      Code.NotFound,
      "a report on another interaction's session",
    );
    await sharer.sharer.stopSharing({ sessionId });
    await rejects(
      sharer.sharer.reportScreenSelectionProblem({ sessionId, problem: ScreenSelectionProblem.PICKER_CLOSED }),
      Code.Unauthenticated,
      "a report after the session ended",
    );
  }),

  define("media/viewer-receives-sharer-frames", async (context) => {
    const { agent, sessionId, sharer } = await redeemedSession(context);
    const sharerPeer = await context.join((await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media);
    const viewerPeer = await context.join((await agent.clients.viewer.getViewerMediaJoinInfo({ sessionId })).media);
    const frames = viewerPeer.frames(10);
    await sharerPeer.publish(TrackSource.SOURCE_SCREENSHARE, 320, 180);
    const size = await Promise.race([frames, sleep(15_000).then(() => undefined)]);
    equal(JSON.stringify(size), JSON.stringify({ width: 320, height: 180 }), "decoded frame size at the viewer");
    await context.until(agent, sessionId, SessionState.SHARING, 3_000);
  }),
  define("media/sharer-publishes-screen-only", async (context) => {
    const { sessionId, sharer } = await redeemedSession(context);
    const peer = await context.join((await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media);
    for (const source of [TrackSource.SOURCE_CAMERA, TrackSource.SOURCE_MICROPHONE]) {
      const refused = await peer.publish(source).then(
        () => false,
        () => true,
      );
      check(refused, `publishing ${TrackSource[source]} to be refused`, "accepted");
    }
  }),
  define("media/sharer-cannot-subscribe", async (context) => {
    const livekit = context.config.livekit;
    if (!livekit?.apiKey || !livekit.apiSecret) throw new Skip("needs livekit.apiKey and livekit.apiSecret in the vendor config to publish a probe track");
    const { agent, sessionId, sharer } = await redeemedSession(context);
    const sharerPeer = await context.join((await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media);
    const subscribed: string[] = [];
    sharerPeer.room.on(RoomEvent.TrackSubscribed, (_track, publication) => subscribed.push(publication.sid ?? "track"));
    await sharerPeer.publish();
    await context.until(agent, sessionId, SessionState.SHARING, 8_000);
    // A probe in the viewer's place receives the sharer's screen (so media flows in this room) and publishes a
    // camera track that the sharer would receive if its token let it subscribe.
    const viewerMedia = (await agent.clients.viewer.getViewerMediaJoinInfo({ sessionId })).media;
    const info = viewerMedia?.transport.case === "livekit" ? viewerMedia.transport.value : undefined;
    const probeToken = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity: `conformance-probe-${sessionId}` });
    probeToken.addGrant({ room: info?.roomName ?? "", roomJoin: true, canPublish: true, canSubscribe: true });
    const probeJoin = { ...(info as NonNullable<typeof info>), participantToken: await probeToken.toJwt() };
    const probe = await context.join({ $typeName: "screenshare.v1.MediaJoinInfo", transport: { case: "livekit", value: probeJoin } });
    const frames = await Promise.race([probe.frames(3), sleep(10_000).then(() => undefined)]);
    check(!!frames, "the probe to receive the sharer's screen (media flows in the room)", "no frames in 10 s");
    await probe.publish(TrackSource.SOURCE_CAMERA);
    await sleep(3_000);
    check(subscribed.length === 0, "the sharer to receive none of the probe's tracks", `subscribed to ${subscribed.length}`);
  }),
  define("media/viewer-cannot-publish", async (context) => {
    const { agent, sessionId } = await redeemedSession(context);
    const peer = await context.join((await agent.clients.viewer.getViewerMediaJoinInfo({ sessionId })).media);
    const refused = await peer.publish().then(
      () => false,
      () => true,
    );
    check(refused, "the viewer's publish to be refused", "accepted");
  }),
  define("media/out-of-room-after-end", async (context) => {
    const { agent, sessionId, sharer } = await redeemedSession(context);
    const sharerMedia = (await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media;
    const peer = await context.join(sharerMedia);
    await agent.clients.viewer.cancelScreenShare({ sessionId });
    const deadline = Date.now() + 5_000;
    while (peer.room.isConnected && Date.now() < deadline) await sleep(100);
    check(!peer.room.isConnected, "the sharer to be out of the room after the end", "still connected");
    const rejoined = await context.join(sharerMedia).then(
      () => true,
      () => false,
    );
    check(!rejoined, "the old token to no longer join", "joined");
  }),
];
