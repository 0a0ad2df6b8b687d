import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Channel, EndReason, type SessionEvent, SessionState } from "@screenshare/protocol";
import type { Case } from "./case.js";
import { type Agent, type CaseContext, sleep } from "./context.js";
import { check, equal, rejects, Skip } from "./expect.js";
import { FALSE_ALARM_TOTAL, randomnessFindings } from "./randomness.js";

const ms = (timestamp: Timestamp | undefined) => (timestamp ? timestampMs(timestamp) : 0);

const define = (name: string, run: Case["run"], covers: string[] = []): Case => ({ name, run, covers });

/** Keys a reader can read aloud: groups of 2 to 4 digits with single spaces, at least two groups. */
const GROUPED = /^\d{2,4}( \d{2,4})+$/;

/** Reads a session's stream until it closes or `timeoutMs` passes; `closed` says which. */
export async function watchAll(context: CaseContext, token: string, sessionId: string, afterSequence = 0n, timeoutMs = 5_000) {
  const events: SessionEvent[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    for await (const { event } of context.clients(token).watch.watchSession({ sessionId, afterSequence }, { signal })) if (event) events.push(event);
    return { events, closed: true };
  } catch (error) {
    if (signal.aborted) return { events, closed: false };
    throw error;
  }
}

export const contentCases: Case[] = [
  define("keys/display-grouped-for-reading-aloud", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const regenerated = (await agent.clients.viewer.regenerateSecurityKey({ sessionId })).session;
    for (const key of [session?.securityKey, regenerated?.securityKey]) {
      check(GROUPED.test(key?.display ?? ""), "display in groups of 2 to 4 digits separated by single spaces, like 482 913", key?.display);
      equal(key?.display.replace(/ /g, ""), key?.key, "display without its spaces");
    }
  }),

  define("keys/unpredictable", async (context) => {
    const length = context.info.securityKeyLength;
    if (length < 6) throw new Skip(`needs keys of at least 6 digits to test; the server issues ${length}`);
    // 400 keys in issue order, in an org of their own (wrong guesses elsewhere cost no attempt here): four sessions,
    // regenerated in turn, so a per-server counter shows as well as a per-session one. A session that timed out
    // under load is replaced by a new one; its key counts like any other.
    const org = `${context.config.orgs[0]}-keys-${Date.now()}`;
    const agents = await Promise.all(Array.from({ length: 4 }, () => context.agent(Channel.VOICE, org)));
    const sessionIds = new Map<Agent, string>();
    const keys: string[] = [];
    const next = async (agent: Agent) => {
      const sessionId = sessionIds.get(agent);
      if (sessionId) {
        const regenerated = await agent.clients.viewer.regenerateSecurityKey({ sessionId }).catch((error: unknown) => {
          if (ConnectError.from(error).code !== Code.FailedPrecondition) throw error;
          return undefined;
        });
        if (regenerated) return regenerated.session?.securityKey?.key ?? "";
      }
      const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
      sessionIds.set(agent, session?.sessionId ?? "");
      return session?.securityKey?.key ?? "";
    };
    while (keys.length < 400) for (const agent of agents) keys.push(await next(agent));
    check(
      keys.every((key) => key.length === length && /^\d+$/.test(key)),
      `every key ${length} digits`,
      keys.find((key) => key.length !== length || !/^\d+$/.test(key)),
    );
    const findings = randomnessFindings(keys);
    check(
      findings.length === 0,
      `keys that pass repeats, repeated-steps, digit-bias and runs tests (false alarm < ${FALSE_ALARM_TOTAL})`,
      findings.map((finding) => `${finding.test}: ${finding.detail}`).join("; "),
    );
  }),

  define("keys/ttl-restarts-on-regenerate", async (context) => {
    const ttl = context.info.securityKeyTtlSeconds * 1000;
    if (ttl > 20_000) throw new Skip(`key TTL ${ttl / 1000} s is over 20 s`);
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const firstDeadline = ms(session?.securityKey?.expiresAt);
    await sleep(ttl / 2);
    const asked = Date.now();
    const regenerated = (await agent.clients.viewer.regenerateSecurityKey({ sessionId })).session;
    const newDeadline = ms(regenerated?.securityKey?.expiresAt);
    check(
      Math.abs(newDeadline - (asked + ttl)) < 1_000,
      `the new key's expires_at one TTL (${ttl} ms) after the regenerate`,
      `${newDeadline - asked} ms after`,
    );
    check(newDeadline - firstDeadline > ttl / 4, "expires_at later than the first key's", `${newDeadline - firstDeadline} ms later`);
    await sleep(Math.max(0, firstDeadline + 700 - Date.now()));
    const { session: after } = await agent.clients.viewer.getSession({ sessionId });
    equal(SessionState[after?.state ?? 0], "AWAITING_KEY_REDEMPTION", "state just after the first key's deadline");
    const ended = await context.until(agent, sessionId, SessionState.ENDED, ttl + 5_000);
    equal(EndReason[ended.endReason], "KEY_EXPIRED", "end_reason");
    check(ms(ended.endedAt) >= newDeadline - 300, "the session to end at the new deadline, not before", ended.endedAt);
  }),

  define("keys/concurrent-regenerations-lose-no-event", async (context) => {
    // Commands racing on one session: each is its own event (SessionEvent.sequence: each next event exactly one
    // more; GetSessionHistory: every event, 1 to last_sequence), and only the newest key works. An org of its own,
    // so the wrong guess below costs no other case an attempt.
    const agent = await context.agent(Channel.VOICE, `${context.config.orgs[0]}-race-${Date.now()}`);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    context.cleanups.push(() => context.platform.terminateSession({ orgId: agent.org, sessionId }));
    const answers = (await Promise.all(Array.from({ length: 6 }, () => agent.clients.viewer.regenerateSecurityKey({ sessionId })))).map(
      (answer) => answer.session,
    );
    const sequences = answers.map((answer) => answer?.lastSequence ?? 0n);
    check(new Set(sequences).size === answers.length, "each concurrent RegenerateSecurityKey answered with its own last_sequence", sequences);
    const keys = answers.map((answer) => answer?.securityKey?.key ?? "");
    check(new Set(keys).size === answers.length, "each concurrent RegenerateSecurityKey answered with its own key", keys);
    const { events } = await agent.clients.viewer.getSessionHistory({ sessionId });
    check(
      events.every((event, index) => event.sequence === BigInt(index + 1)),
      "the history's sequences 1, 2, 3, ... with no gap or repeat",
      events.map((event) => event.sequence),
    );
    const regenerations = events.filter((event) => event.trigger === "KEY_REGENERATED");
    equal(regenerations.length, answers.length, "KEY_REGENERATED events in the history");
    const newest = answers.reduce((a, b) => ((a?.lastSequence ?? 0n) > (b?.lastSequence ?? 0n) ? a : b));
    equal(events.at(-1)?.sequence, newest?.lastSequence, "the history's last sequence (the newest answer's)");
    const sharer = context.clients().sharer;
    const oldest = answers.find((answer) => answer !== newest)?.securityKey?.key ?? "";
    await rejects(sharer.redeemSecurityKey({ orgId: agent.org, securityKey: oldest }), Code.NotFound, "RedeemSecurityKey with a key regenerated since");
    const redeemed = await sharer.redeemSecurityKey({ orgId: agent.org, securityKey: newest?.securityKey?.key ?? "" });
    equal(redeemed.session?.sessionId, sessionId, "the session the newest key redeems");
  }),

  define("idempotency/scoped-to-caller", async (context) => {
    const first = await context.agent(Channel.VOICE);
    const second = await context.agent(Channel.VOICE);
    const idempotencyKey = `shared-${first.user}`;
    const a = (await first.clients.viewer.startScreenShare({ interactionId: first.interactionId, idempotencyKey })).session;
    const b = (await second.clients.viewer.startScreenShare({ interactionId: second.interactionId, idempotencyKey })).session;
    check(!!b?.sessionId && b.sessionId !== a?.sessionId, "another viewer's start with the same idempotency key to start its own session", b?.sessionId);
    equal(b?.viewerUserId, second.user, "viewer_user_id of the second session");
    equal(b?.interactionId, second.interactionId, "interaction_id of the second session");
  }),

  define("idempotency/concurrent-retries-get-the-first-result", async (context) => {
    // A retry sent while the first call still runs (a client that timed out and tried again) gets the first result.
    const agent = await context.agent(Channel.VOICE);
    const request = { interactionId: agent.interactionId, idempotencyKey: `together-${agent.user}` };
    const answers = await Promise.all(Array.from({ length: 4 }, () => agent.clients.viewer.startScreenShare(request)));
    const ids = answers.map((answer) => answer.session?.sessionId ?? "");
    context.cleanups.push(() => agent.clients.viewer.cancelScreenShare({ sessionId: ids[0] ?? "" }));
    check(!!ids[0] && ids.every((id) => id === ids[0]), "four StartScreenShare calls sent together with one idempotency_key to answer one session", ids);
    equal(new Set(answers.map((answer) => answer.session?.securityKey?.key)).size, 1, "distinct security keys among the answers");
  }),

  define("idempotency/failed-call-not-remembered", async (context) => {
    // StartScreenShareRequest.idempotency_key: a request that failed is not remembered; a retry runs again.
    const agent = await context.agent(Channel.VOICE);
    const { session: live } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const idempotencyKey = `refused-${agent.user}`;
    const start = () => agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId, idempotencyKey });
    await rejects(start(), Code.FailedPrecondition, "StartScreenShare while the viewer's share is live");
    await agent.clients.viewer.cancelScreenShare({ sessionId: live?.sessionId ?? "" });
    const { session: retried } = await start();
    context.cleanups.push(() => agent.clients.viewer.cancelScreenShare({ sessionId: retried?.sessionId ?? "" }));
    check(
      !!retried?.sessionId && retried.sessionId !== live?.sessionId,
      "a retry of the refused StartScreenShare (same idempotency_key) to start a new session",
      retried?.sessionId ?? "no session",
    );
  }),

  define("idempotency/scoped-to-rpc", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId, idempotencyKey: `one-${agent.user}` });
    const sessionId = session?.sessionId ?? "";
    const idempotencyKey = `two-${agent.user}`;
    await agent.clients.viewer.regenerateSecurityKey({ sessionId, idempotencyKey });
    const cancelled = (await agent.clients.viewer.cancelScreenShare({ sessionId, idempotencyKey })).session;
    equal(SessionState[cancelled?.state ?? 0], "ENDED", "state after CancelScreenShare with RegenerateSecurityKey's idempotency key");
    equal(EndReason[cancelled?.endReason ?? 0], "VIEWER_CANCELLED", "end_reason");
    const retried = (await agent.clients.viewer.cancelScreenShare({ sessionId, idempotencyKey })).session;
    equal(retried?.lastSequence, cancelled?.lastSequence, "last_sequence of a retried CancelScreenShare (the first result)");
  }),

  define("stream/ended-session-closes", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const ended = (await agent.clients.viewer.cancelScreenShare({ sessionId })).session;
    const { events, closed } = await watchAll(context, agent.token, sessionId);
    check(closed, "the stream of an ended session to close after its final event", `open after ${events.length} events`);
    equal(events.map((event) => String(event.sequence)).join(","), "1,2", "sequences");
    equal(events.at(-1)?.session?.lastSequence, ended?.lastSequence, "last_sequence of the final event");
  }),

  define("stream/ended-session-closes-when-resumed-at-last", async (context) => {
    const agent = await context.agent(Channel.VOICE);
    const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
    const sessionId = session?.sessionId ?? "";
    const ended = (await agent.clients.viewer.cancelScreenShare({ sessionId })).session;
    const { events, closed } = await watchAll(context, agent.token, sessionId, ended?.lastSequence ?? 0n, 3_000);
    check(
      closed && events.length === 0,
      "a stream resumed after the final event of an ended session to close at once, empty",
      `${closed ? "closed" : "still open"} after ${events.length} events`,
    );
    await rejects(
      context
        .clients(agent.token)
        .watch.watchSession({ sessionId, afterSequence: (ended?.lastSequence ?? 0n) + 1n })
        [Symbol.asyncIterator]()
        .next(),
      Code.InvalidArgument,
      "WatchSession after a sequence beyond the last",
    );
  }),
];
