import { createHash } from "node:crypto";
import { Agent, createServer, request as httpRequest, type Server } from "node:http";
import { type Client, createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport } from "@connectrpc/connect-node";
import { Channel, InteractionService, InteractionStatus, SharerService, ViewerService } from "@screenshare/protocol";
import { mintViewerToken, VIEW_PERMISSION } from "@screenshare/server";
import type { ReferenceStack } from "@screenshare/testkit";
import { AccessToken, TrackSource, WebhookEvent } from "livekit-server-sdk";
import { EchoService } from "./gen/bench/v1/echo_pb.js";
import { quantile, round } from "./stats.js";
import { benchTransport, type RetryCount } from "./transport.js";

/** Runs `worker` on `concurrency` loops for `seconds`; returns completed iterations. */
export async function closedLoop(concurrency: number, seconds: number, worker: (loop: number, iteration: number) => Promise<void>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let iteration = 0; performance.now() < deadline; iteration++) {
        await worker(loop, iteration);
        done++;
      }
    }),
  );
  return done;
}

/** A bare connect-node server of one trivial unary RPC: the anchor of the RPC figures. */
export async function startEchoServer(): Promise<{ url: string; server: Server }> {
  const server = createServer(connectNodeAdapter({ routes: (router) => router.service(EchoService, { echo: (request) => ({ text: request.text }) }) }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, server };
}

/** Echo RPCs per second on a bare connect-node server: the anchor. */
export async function echoRpcsPerSecond(concurrency: number, seconds: number): Promise<number> {
  const { url, server } = await startEchoServer();
  const client = createClient(EchoService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  await closedLoop(concurrency, 0.5, () => client.echo({ text: "warm-up" }).then(() => {}));
  const started = performance.now();
  const calls = await closedLoop(concurrency, seconds, () => client.echo({ text: "hello" }).then(() => {}));
  const rate = calls / ((performance.now() - started) / 1000);
  server.closeAllConnections();
  server.close();
  return rate;
}

/** A LiveKit webhook for a screen track published by the session's sharer, signed as LiveKit signs them. */
async function signedTrackPublished(
  livekit: { apiKey: string; apiSecret: string },
  sessionId: string,
  ttl: string,
): Promise<{ body: string; authorization: string }> {
  const event = new WebhookEvent({
    event: "track_published",
    room: { name: `ss-${sessionId}` },
    participant: { identity: `sharer-${sessionId}`, sid: `PA_${sessionId.slice(0, 8)}` },
    track: { sid: `TR_${sessionId.slice(0, 8)}`, source: TrackSource.SCREEN_SHARE },
    id: `EV_${sessionId}`,
    createdAt: BigInt(Math.floor(Date.now() / 1000)),
  });
  // The SDK's WebhookEvent subclass shadows the `event` field, so toJsonString drops it; LiveKit sends it.
  const body = JSON.stringify({ event: "track_published", ...JSON.parse(event.toJsonString()) });
  const token = new AccessToken(livekit.apiKey, livekit.apiSecret, { ttl });
  token.sha256 = createHash("sha256").update(body).digest("base64");
  return { body, authorization: await token.toJwt() };
}

const webhookAgent = new Agent({ keepAlive: true, timeout: 4_000 });

/**
 * Delivers a webhook as LiveKit would, over a kept-alive connection. node:http rather than fetch: the load
 * generator shares the server's event loop, and fetch's per-request cost would be charged to the lifecycle.
 * A kept-alive socket the server closed just as it was reused is retried once on a new one (Node's documented
 * pattern for `reusedSocket`).
 */
function postWebhook(url: string, webhook: { body: string; authorization: string }, retried = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: "POST", agent: webhookAgent, headers: { authorization: webhook.authorization, "content-type": "application/webhook+json" } },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) => {
      if (!retried && request.reusedSocket && error.code === "ECONNRESET") resolve(postWebhook(url, webhook, true));
      else reject(error);
    });
    request.end(webhook.body);
  });
}

export interface LifecycleFigures {
  lifecyclesPerSecond: number;
  rpcsPerSecond: number;
  startLatencyMs: { p50: number; p99: number };
  redeemLatencyMs: { p50: number; p99: number };
  lifecycles: number;
  /** Calls and webhooks retried after UNAVAILABLE, ABORTED or a 5xx while measuring. */
  retriedCalls: number;
}

/** A server to run lifecycles against: its URL, the secrets its platform and agents hold, LiveKit's webhook key. */
export interface Target {
  url: string;
  integrationApiKey: string;
  viewerTokens: { secret: string; issuer: string; audience: string };
  livekit: { apiKey: string; apiSecret: string };
}

export const targetOf = (stack: ReferenceStack): Target => ({
  url: stack.server.url,
  integrationApiKey: stack.integrationApiKey,
  viewerTokens: stack.viewerTokens,
  livekit: stack.livekit,
});

/** How a run of lifecycles calls the server. */
export interface LifecycleOptions {
  /** Keeps the orgs of runs sharing a store apart. */
  agentPrefix?: string;
  /** How long the webhook's signature is valid; LiveKit signs for 5 minutes, and the server remembers each event's id that long. */
  webhookTtl?: string;
  /** Counts the calls and webhooks retried (see {@link retrying}); a fresh count when not given. */
  retries?: RetryCount;
}

/** Runs one lifecycle for an agent; resolves with the StartScreenShare and RedeemSecurityKey latencies. */
export type Lifecycle = (agent: number) => Promise<{ startMs: number; redeemMs: number }>;

/**
 * One full voice lifecycle per call, for one of `agents` agents (one org each, so an agent's sessions never
 * collide as long as the caller runs one lifecycle per agent at a time; callers sharing a store give each a distinct
 * `agentPrefix`): RegisterInteraction, StartScreenShare, RedeemSecurityKey, both join infos, a signed
 * track_published webhook, LeaveSession, SetInteractionStatus. Eight RPCs and one webhook. A call answering
 * UNAVAILABLE or ABORTED, or a webhook answering 5xx (LiveKit delivers it again), is retried and counted.
 */
export async function lifecycleOn(target: Target, agents: number, options: LifecycleOptions = {}): Promise<Lifecycle> {
  const { url } = target;
  const { agentPrefix = "", webhookTtl = "5m", retries = { calls: 0 } } = options;
  const platform = createClient(InteractionService, benchTransport(url, target.integrationApiKey, retries));
  const anonymous = createClient(SharerService, benchTransport(url, "", retries));
  const run = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const viewers: Array<Client<typeof ViewerService>> = [];
  for (let agent = 0; agent < agents; agent++) {
    const token = await mintViewerToken({ ...target.viewerTokens, org: `bench-${agentPrefix}${agent}`, sub: `agent-${agent}`, permissions: [VIEW_PERMISSION] });
    viewers.push(createClient(ViewerService, benchTransport(url, token, retries)));
  }
  let lifecyclesStarted = 0;
  return async (agent) => {
    const orgId = `bench-${agentPrefix}${agent}`;
    const interactionId = `i-${run}-${lifecyclesStarted++}`;
    const viewer = viewers[agent] as Client<typeof ViewerService>;
    await platform.registerInteraction({ orgId, interactionId, channel: Channel.VOICE, agentUserId: `agent-${agent}` });
    let t = performance.now();
    const { session } = await viewer.startScreenShare({ interactionId });
    const startMs = performance.now() - t;
    const sessionId = session?.sessionId ?? "";
    t = performance.now();
    const redeemed = await anonymous.redeemSecurityKey({ orgId, securityKey: session?.securityKey?.key ?? "" });
    const redeemMs = performance.now() - t;
    // The sharer's credential rides as a call header on the shared client: a transport per sharer would charge
    // the load generator's set-up to the lifecycle (both share one event loop).
    const asSharer = { headers: { authorization: `Bearer ${redeemed.sharerCredential}` } };
    await Promise.all([viewer.getViewerMediaJoinInfo({ sessionId }), anonymous.getSharerMediaJoinInfo({ sessionId }, asSharer)]);
    const webhook = await signedTrackPublished(target.livekit, sessionId, webhookTtl);
    let status = await postWebhook(`${url}/livekit/webhook`, webhook);
    for (let attempt = 1; status >= 500 && attempt < 6; attempt++) {
      retries.calls++;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1) * (0.5 + Math.random())));
      status = await postWebhook(`${url}/livekit/webhook`, webhook);
    }
    // The server applies a webhook before it answers 200, so the session is SHARING now and LeaveSession is
    // allowed; if it were not, LeaveSession would fail with FAILED_PRECONDITION and stop the run.
    if (status !== 200) throw new Error(`webhook answered ${status}`);
    await viewer.leaveSession({ sessionId });
    await platform.setInteractionStatus({ orgId, interactionId, status: InteractionStatus.DISCONNECTED });
    return { startMs, redeemMs };
  };
}

/** Full voice lifecycles per second against the reference stack, `concurrency` agents each in a closed loop. */
export async function lifecycleThroughput(stack: ReferenceStack, concurrency: number, seconds: number): Promise<LifecycleFigures> {
  const retries = { calls: 0 };
  const lifecycle = await lifecycleOn(targetOf(stack), concurrency, { retries });
  const startLatency: number[] = [];
  const redeemLatency: number[] = [];
  const measured = async (agent: number) => {
    const { startMs, redeemMs } = await lifecycle(agent);
    startLatency.push(startMs);
    redeemLatency.push(redeemMs);
  };
  await closedLoop(concurrency, 1, measured);
  startLatency.length = 0;
  redeemLatency.length = 0;
  retries.calls = 0;
  const started = performance.now();
  const lifecycles = await closedLoop(concurrency, seconds, measured);
  const elapsed = (performance.now() - started) / 1000;
  const latency = (values: number[]) => ({ p50: round(quantile(values, 0.5)), p99: round(quantile(values, 0.99)) });
  return {
    lifecycles,
    lifecyclesPerSecond: round(lifecycles / elapsed),
    rpcsPerSecond: round((lifecycles * 8) / elapsed),
    startLatencyMs: latency(startLatency),
    redeemLatencyMs: latency(redeemLatency),
    retriedCalls: retries.calls,
  };
}

export interface RatioFigures extends LifecycleFigures {
  /** Echo RPCs/s around the reported round (mean of the measurements just before and just after it). */
  echoRpcsPerSecond: number;
  /** Lifecycle RPCs/s over echo RPCs/s in the reported round: the median round. */
  ratioToEcho: number;
  /** Every round's ratio, in order, so the spread is visible. */
  roundRatios: number[];
  /** Every round's retried calls, in order. */
  roundRetries: number[];
}

/**
 * Lifecycle throughput beside the echo anchor in `rounds` rounds after a warm-up of both, each bracketed by an echo
 * measurement before and after, so load from other processes on a shared machine hits both sides of each ratio.
 * Reports the median round.
 */
export async function lifecycleBesideEcho(
  stack: ReferenceStack,
  concurrency: number,
  seconds: number,
  rounds: number,
  warmUpSeconds = seconds,
): Promise<RatioFigures> {
  const measured: RatioFigures[] = [];
  // Discarded: until both paths are compiled by the JIT, the first rounds measured the compiler (their ratios ran
  // 0.1 to 0.2 below the later rounds' in every run).
  await lifecycleThroughput(stack, concurrency, warmUpSeconds);
  await echoRpcsPerSecond(concurrency, warmUpSeconds / 2);
  let echoBefore = await echoRpcsPerSecond(concurrency, seconds / 2);
  for (let index = 0; index < rounds; index++) {
    const lifecycle = await lifecycleThroughput(stack, concurrency, seconds);
    const echoAfter = await echoRpcsPerSecond(concurrency, seconds / 2);
    const echo = (echoBefore + echoAfter) / 2;
    measured.push({ ...lifecycle, echoRpcsPerSecond: round(echo), ratioToEcho: round(lifecycle.rpcsPerSecond / echo, 3), roundRatios: [], roundRetries: [] });
    echoBefore = echoAfter;
  }
  const roundRatios = measured.map((figures) => figures.ratioToEcho);
  const median = [...measured].sort((a, b) => a.ratioToEcho - b.ratioToEcho)[Math.floor(measured.length / 2)] as RatioFigures;
  return { ...median, roundRatios, roundRetries: measured.map((figures) => figures.retriedCalls) };
}
