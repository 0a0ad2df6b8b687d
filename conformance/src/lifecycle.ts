// Lifecycle cases generated from the machine's paths: the parties that drive a path over the wire and the checks of
// each step belong together; the covering-set reduction and the coverage figure are what the rest of the file holds.
import { equals, toJson } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { applyEvent, type LifecycleTimeouts, PROTO_SESSION_STATE, pendingTimers, startSession, timerOf, toProtoEndReason } from "@screenshare/machine";
import { coveredTransitions, exampleEvent, type LifecyclePath, lifecyclePaths, variantInput } from "@screenshare/machine/paths";
import {
  Channel,
  InteractionStatus,
  ScreenSelectionProblem,
  type ServerInfo,
  type SessionEvent,
  SessionEventSchema,
  SessionState,
} from "@screenshare/protocol";
import { RoomServiceClient } from "livekit-server-sdk";
import type { Case } from "./case.js";
import { type Agent, type CaseContext, type MediaPeer, sleep } from "./context.js";
import { check, equal, rejects, Skip } from "./expect.js";

/** Longest server timeout (seconds) the suite waits for; longer ones skip the paths that need them. */
export const MAX_WAIT_SECONDS = 20;

/** The fewest generated paths that still take every transition the full set takes (greedy set cover). */
export function coveringPaths(paths: readonly LifecyclePath[] = lifecyclePaths()): LifecyclePath[] {
  const uncovered = coveredTransitions(paths);
  const chosen: LifecyclePath[] = [];
  const transitionsOf = (path: LifecyclePath) => new Set([...path.initialTransitions, ...path.steps.flatMap((step) => step.transitions)]);
  while (uncovered.size > 0) {
    let best: LifecyclePath | undefined;
    let bestGain = 0;
    for (const path of paths) {
      const gain = [...transitionsOf(path)].filter((id) => uncovered.has(id)).length;
      if (gain > bestGain || (gain === bestGain && best && gain > 0 && path.steps.length < best.steps.length)) {
        best = path;
        bestGain = gain;
      }
    }
    if (!best || bestGain === 0) break;
    chosen.push(best);
    for (const id of transitionsOf(best)) uncovered.delete(id);
  }
  return chosen;
}

/** The server timeout (seconds) a timer event of the machine waits for. */
function timerSeconds(event: string, info: ServerInfo): number | undefined {
  const delay = timerOf(event);
  const seconds: Record<string, number> = {
    securityKeyTtl: info.securityKeyTtlSeconds,
    acceptanceTimeout: info.acceptanceTimeoutSeconds,
    screenSelectionTimeout: info.screenSelectionTimeoutSeconds,
    viewerReconnectGrace: info.viewerReconnectGraceSeconds,
    sharerReconnectGrace: info.sharerReconnectGraceSeconds,
    maxSessionDuration: info.maxSessionDurationSeconds,
    pauseTimeout: info.pauseTimeoutSeconds,
  };
  return delay ? seconds[delay] : undefined;
}

/** Why a path cannot run against this server, if it cannot. */
function skipReason(path: LifecyclePath, context: CaseContext): string | undefined {
  const { info } = context;
  const graceless = info.viewerReconnectGraceSeconds === 0 && info.sharerReconnectGraceSeconds === 0;
  if ((path.variant.grace === "none") !== graceless) {
    return `needs reconnect grace ${path.variant.grace === "none" ? "0" : "> 0"}; the server advertises viewer ${info.viewerReconnectGraceSeconds} s, sharer ${info.sharerReconnectGraceSeconds} s`;
  }
  for (const step of path.steps) {
    const seconds = timerSeconds(step.event, info);
    if (seconds !== undefined && seconds > MAX_WAIT_SECONDS)
      return `waits for a ${seconds} s timeout; run the server with timeouts of at most ${MAX_WAIT_SECONDS} s`;
    if (step.event === "MEDIA_FAILED" && !(context.config.livekit?.apiKey && context.config.livekit.apiSecret)) {
      return "needs livekit.apiKey and livekit.apiSecret in the vendor config to delete the room";
    }
  }
  return undefined;
}

/** Steps take real time, so a waited timer must fall due this much before any other pending one. */
const TIMER_MARGIN_MS = 1_500;

/** The server's advertised timeouts, in the machine's terms. */
export function timeoutsOf(info: ServerInfo): LifecycleTimeouts {
  return {
    securityKeyTtlMs: info.securityKeyTtlSeconds * 1000,
    acceptanceTimeoutMs: info.acceptanceTimeoutSeconds * 1000,
    screenSelectionTimeoutMs: info.screenSelectionTimeoutSeconds * 1000,
    viewerReconnectGraceMs: info.viewerReconnectGraceSeconds * 1000,
    sharerReconnectGraceMs: info.sharerReconnectGraceSeconds * 1000,
    maxSessionDurationMs: info.maxSessionDurationSeconds * 1000,
    pauseTimeoutMs: info.pauseTimeoutSeconds * 1000,
  };
}

/**
 * Whether a path can be driven deterministically with these timeouts: at each timer step, the machine (replayed
 * with the server's timeouts) must have that timer due clearly before every other pending one.
 */
export function feasible(path: LifecyclePath, timeouts: LifecycleTimeouts): boolean {
  const input = variantInput(path.variant, timeouts);
  let session = startSession(input).session;
  for (const step of path.steps) {
    let at = 0;
    if (timerOf(step.event)) {
      const timers = pendingTimers(session);
      const waited = timers.find((timer) => timer.eventType === step.event);
      const others = timers.filter((timer) => timer !== waited).map((timer) => timer.fireAt);
      if (!waited || others.some((fireAt) => fireAt < waited.fireAt + TIMER_MARGIN_MS)) return false;
      at = waited.fireAt; // a timer sent before its deadline is stale and ignored
    }
    const outcome = applyEvent(session, exampleEvent(step.event, at));
    if (outcome.kind !== "applied") return false;
    session = outcome.step.session;
  }
  return true;
}

/**
 * One case per covering path, chosen among the paths this server's timeouts let run deterministically (the
 * defaults when listing without a server): each step is done the way a real party, the platform or the media
 * plane does it.
 */
export function lifecycleCases(info?: ServerInfo): Case[] {
  const all = lifecyclePaths();
  const paths = info ? all.filter((path) => feasible(path, timeoutsOf(info))) : all;
  return coveringPaths(paths).map((path) => ({
    name: `lifecycle/${path.name}`,
    transitions: [...path.initialTransitions, ...path.steps.flatMap((step) => step.transitions)],
    async run(context) {
      const reason = skipReason(path, context);
      if (reason) throw new Skip(reason);
      await drive(context, path);
    },
  }));
}

async function drive(context: CaseContext, path: LifecyclePath): Promise<void> {
  const channel = path.variant.channel === "voice" ? Channel.VOICE : Channel.CHAT;
  const agent = await context.agent(channel);
  const customer =
    channel === Channel.CHAT
      ? context.clients((await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId })).customerCredential)
      : undefined;
  const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
  const sessionId = session?.sessionId ?? "";
  // The live stream, read beside the steps; at the end GetSessionHistory must equal it event for event.
  const streamed = new FollowedStream(context, agent.token, sessionId);
  context.cleanups.push(async () => streamed.stop());
  await context.until(agent, sessionId, PROTO_SESSION_STATE[path.initialState]);
  const parties = new Parties(context, agent, sessionId, customer, streamed);
  await takeSteps(context, path, sessionId, parties);
  await historyEqualsStream(parties.agent, sessionId, parties.stream, parties.formerStreams);
}

/** A WatchSession stream read in the background. */
class FollowedStream {
  readonly events: SessionEvent[] = [];
  closed = false;
  error: unknown;
  private readonly controller = new AbortController();

  constructor(context: CaseContext, token: string, sessionId: string) {
    void (async () => {
      try {
        for await (const { event } of context.clients(token).watch.watchSession({ sessionId }, { signal: this.controller.signal }))
          if (event) this.events.push(event);
        this.closed = true;
      } catch (error) {
        if (!this.controller.signal.aborted) this.error = error;
      }
    })();
  }

  /** Waits until `done` holds or `timeoutMs` passes. */
  async until(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && !this.error && Date.now() < deadline) await sleep(25);
  }

  stop(): void {
    this.controller.abort();
  }
}

/**
 * GetSessionHistory equals what WatchSession streamed; the stream of an ended session closes by itself. A stream of a
 * viewer the session was transferred away from holds the history up to the transfer's event, and closed there.
 */
async function historyEqualsStream(agent: Agent, sessionId: string, streamed: FollowedStream, formerStreams: FollowedStream[] = []): Promise<void> {
  // Read the session first: a live one may move on (a timer) between the two reads, an ended one never does.
  const { session } = await agent.clients.viewer.getSession({ sessionId });
  const { events: history } = await agent.clients.viewer.getSessionHistory({ sessionId });
  const ended = session?.state === SessionState.ENDED;
  const last = history.at(-1)?.sequence ?? 0n;
  const lastSequence = session?.lastSequence ?? 0n;
  check(
    ended ? last === lastSequence : last >= lastSequence,
    `the last history event's sequence ${ended ? "=" : ">="} session.last_sequence ${lastSequence}`,
    String(last),
  );
  await streamed.until(() => (ended ? streamed.closed : streamed.events.length >= history.length), 3_000);
  if (streamed.error) throw new Error(`WatchSession failed: ${(streamed.error as Error).message}`);
  if (ended) check(streamed.closed, "WatchSession to close after the session's final event", `open after ${streamed.events.length} events`);
  equal(streamed.events.length, history.length, "events streamed vs. events in GetSessionHistory");
  sameEvents(history, streamed.events);
  for (const former of formerStreams) {
    await former.until(() => former.closed, 3_000);
    check(former.closed && !former.error, "a former viewer's WatchSession to close after the transfer's event", former.error ?? "open");
    const last = former.events.at(-1);
    check(last?.trigger === "VIEWER_TRANSFERRED", "a former viewer's last streamed event to be the transfer", last?.trigger);
    sameEvents(history.slice(0, former.events.length), former.events);
  }
}

function sameEvents(history: readonly SessionEvent[], streamed: readonly SessionEvent[]): void {
  for (const [index, event] of history.entries()) {
    const other = streamed[index] as SessionEvent;
    check(equals(SessionEventSchema, event, other), `GetSessionHistory event ${index + 1} equal to the streamed one`, {
      history: toJson(SessionEventSchema, event),
      streamed: other && toJson(SessionEventSchema, other),
    });
  }
}

async function takeSteps(context: CaseContext, path: LifecyclePath, sessionId: string, party: Parties): Promise<void> {
  // The machine replayed beside the server says which steps change the session: a step that changes it without
  // changing the protocol state (a paused sharer's new track) is awaited by its event, not by the state.
  let expected = startSession(variantInput(path.variant, timeoutsOf(context.info))).session;
  for (const [index, step] of path.steps.entries()) {
    const timer = pendingTimers(expected).find((pending) => pending.eventType === step.event);
    const outcome = applyEvent(expected, exampleEvent(step.event, timer?.fireAt ?? 0));
    const changes = outcome.kind === "applied" && outcome.step.changed;
    if (outcome.kind === "applied") expected = outcome.step.session;
    const before = (await party.agent.clients.viewer.getSession({ sessionId })).session?.lastSequence ?? 0n;
    await party.do(step.event);
    const seconds = timerSeconds(step.event, context.info);
    const timeoutMs = ((seconds ?? 0) + 6) * 1000;
    const fail = (error: Error) => {
      throw new Error(`step ${index + 1} (${step.event}): ${error.message}`);
    };
    let observed = await context.until(party.agent, sessionId, PROTO_SESSION_STATE[step.expectedState], timeoutMs).catch(fail);
    const deadline = Date.now() + timeoutMs;
    while (changes && observed.lastSequence <= before && Date.now() < deadline) {
      await sleep(50);
      observed = (await party.agent.clients.viewer.getSession({ sessionId })).session ?? observed;
    }
    if (changes) check(observed.lastSequence > before, `step ${index + 1} (${step.event}) to add an event to the session`, `last_sequence ${before}`);
    if (step.expectedEndReason) equal(observed.endReason, toProtoEndReason(step.expectedEndReason as never), `step ${index + 1} end_reason`);
  }
}

/** The sharer, the viewer and the platform of one session, acting out machine events. */
class Parties {
  private sharerCredential = "";
  private sharerPeer: MediaPeer | undefined;
  private viewerPeer: MediaPeer | undefined;
  /** Streams of viewers the session was transferred away from. */
  readonly formerStreams: FollowedStream[] = [];

  constructor(
    private readonly context: CaseContext,
    /** The session's viewer: the starting agent, or the one the interaction was transferred to. */
    public agent: Agent,
    private readonly sessionId: string,
    private readonly customer: ReturnType<CaseContext["clients"]> | undefined,
    /** The current viewer's WatchSession stream. */
    public stream: FollowedStream,
  ) {}

  /**
   * The platform transfers the interaction to a colleague. The session follows: the colleague watches it from
   * then on (a stream of theirs from the start), the former viewer's calls answer NOT_FOUND and, if they were in the
   * media room, they are removed from it.
   */
  private async transfer(): Promise<void> {
    const former = this.agent;
    const to = await this.context.colleague(former);
    // The former viewer's stream must be open (its first event came) to show it receives the transfer.
    await this.stream.until(() => this.stream.events.length > 0, 3_000);
    await this.context.platform.transferInteraction({ orgId: former.org, interactionId: former.interactionId, toAgentUserId: to.user });
    this.agent = to;
    this.formerStreams.push(this.stream);
    this.stream = new FollowedStream(this.context, to.token, this.sessionId);
    const stream = this.stream;
    this.context.cleanups.push(async () => stream.stop());
    await rejects(
      former.clients.viewer.getSession({ sessionId: this.sessionId }),
      Code.NotFound,
      "GetSession by the viewer the session was transferred away from",
    );
    if (this.viewerPeer?.room.isConnected) {
      const removed = await this.viewerPeer.disconnected(5_000);
      check(removed, "the former viewer to be removed from the media room by the transfer", "still connected after 5 s");
    }
    this.viewerPeer = undefined;
  }

  /** The interaction moves to an agent who already runs a live share: the transferred one ends. */
  private async transferToBusyAgent(): Promise<void> {
    const busy = await this.context.agent(this.agent.channel, this.agent.org);
    const { session } = await busy.clients.viewer.startScreenShare({ interactionId: busy.interactionId });
    this.context.cleanups.push(() => busy.clients.viewer.cancelScreenShare({ sessionId: session?.sessionId ?? "" }));
    const { endedSessions } = await this.context.platform.transferInteraction({
      orgId: this.agent.org,
      interactionId: this.agent.interactionId,
      toAgentUserId: busy.user,
    });
    equal(endedSessions.map((ended) => ended.sessionId).join(","), this.sessionId, "TransferInteraction's ended_sessions");
  }

  private get sharer() {
    return this.context.clients(this.sharerCredential).sharer;
  }

  private async joinSharer(): Promise<MediaPeer> {
    const { media } = await this.sharer.getSharerMediaJoinInfo({ sessionId: this.sessionId });
    this.sharerPeer = await this.context.join(media);
    return this.sharerPeer;
  }

  private async joinViewer(): Promise<MediaPeer> {
    const { media } = await this.agent.clients.viewer.getViewerMediaJoinInfo({ sessionId: this.sessionId });
    this.viewerPeer = await this.context.join(media);
    return this.viewerPeer;
  }

  /** Lets the server hear of a join (webhooks are asynchronous) before the peer leaves again. */
  private settle = () => new Promise((resolve) => setTimeout(resolve, 400));

  /** A command's answer is the session it changed (every such response's `session` field says so). */
  private answered(rpc: string, response: { session?: { sessionId: string } } | undefined): void {
    check(response?.session?.sessionId === this.sessionId, `${rpc}'s answer to carry the session`, response?.session?.sessionId ?? "no session");
  }

  async do(event: string): Promise<void> {
    const viewer = this.agent.clients.viewer;
    const id = { sessionId: this.sessionId };
    switch (event) {
      case "KEY_REDEEMED": {
        const { session } = await viewer.getSession(id);
        const redeemed = await this.context.clients().sharer.redeemSecurityKey({ orgId: this.agent.org, securityKey: session?.securityKey?.display ?? "" });
        this.sharerCredential = redeemed.sharerCredential;
        return;
      }
      case "KEY_REGENERATED":
        await viewer.regenerateSecurityKey(id);
        return;
      case "INVITATION_ACCEPTED":
        this.sharerCredential = (await this.customer?.sharer.acceptInvitation(id))?.sharerCredential ?? "";
        return;
      case "INVITATION_DECLINED":
        this.answered("DeclineInvitation", await this.customer?.sharer.declineInvitation(id));
        return;
      case "SCREEN_TRACK_PUBLISHED":
        await (this.sharerPeer?.room.isConnected ? this.sharerPeer : await this.joinSharer()).publish();
        return;
      case "SCREEN_TRACK_UNPUBLISHED":
        await this.sharerPeer?.unpublish();
        return;
      case "SHARER_JOINED":
        await this.joinSharer();
        return;
      case "SHARER_DISCONNECTED":
        if (!this.sharerPeer?.room.isConnected) {
          await this.joinSharer();
          await this.settle();
        }
        await this.sharerPeer?.leave();
        return;
      case "SHARER_STOPPED":
        await this.sharer.stopSharing(id);
        return;
      case "SHARER_RESUMED":
        this.answered("ResumeSharing", await this.sharer.resumeSharing(id));
        return;
      case "SHARER_PAUSED":
        await this.sharer.pauseSharing(id);
        return;
      case "SHARER_UNPAUSED":
        await this.sharer.unpauseSharing(id);
        return;
      case "UNPAUSE_REQUESTED":
        await viewer.askToUnpause(id);
        return;
      case "SCREEN_PICKER_CLOSED":
        await this.sharer.reportScreenSelectionProblem({ ...id, problem: ScreenSelectionProblem.PICKER_CLOSED });
        return;
      case "SHARER_UNSUPPORTED":
        // Before accepting, a chat customer reports it on the invitation with the customer credential.
        await (this.sharerCredential ? this.sharer : this.customer?.sharer)?.reportScreenSelectionProblem({
          ...id,
          problem: ScreenSelectionProblem.BROWSER_UNSUPPORTED,
        });
        return;
      case "VIEWER_JOINED":
        await this.joinViewer();
        return;
      case "VIEWER_DISCONNECTED":
        if (!this.viewerPeer?.room.isConnected) {
          await this.joinViewer();
          await this.settle();
        }
        await this.viewerPeer?.leave();
        return;
      case "VIEWER_RESUMED":
        await viewer.resumeSession(id);
        return;
      case "VIEWER_CANCELLED":
        await viewer.cancelScreenShare(id);
        return;
      case "VIEWER_LEFT":
        await viewer.leaveSession(id);
        return;
      case "VIEWER_TRANSFERRED":
        await this.transfer();
        return;
      case "TRANSFER_TARGET_BUSY":
        await this.transferToBusyAgent();
        return;
      case "INTERACTION_DISCONNECTED":
        await this.context.platform.setInteractionStatus({
          orgId: this.agent.org,
          interactionId: this.agent.interactionId,
          status: InteractionStatus.DISCONNECTED,
        });
        return;
      case "ADMINISTRATOR_TERMINATED":
        await this.context.platform.terminateSession({ orgId: this.agent.org, sessionId: this.sessionId });
        return;
      case "MEDIA_FAILED": {
        const { media } = await viewer.getViewerMediaJoinInfo(id);
        const info = media?.transport.case === "livekit" ? media.transport.value : undefined;
        const livekit = this.context.config.livekit;
        const rooms = new RoomServiceClient((info?.serverUrl ?? "").replace(/^ws/, "http"), livekit?.apiKey, livekit?.apiSecret);
        await rooms.deleteRoom(info?.roomName ?? "");
        return;
      }
      default:
        if (timerOf(event)) return; // a timer: the step's wait covers it
        throw new Error(`the suite does not know how to cause ${event}`);
    }
  }
}

export { SessionState };
