// Steady state: memory over a long run of full lifecycles (the server node in its own process), sampled after
// every batch; the figure is the least-squares slope per 10k lifecycles, with retention on (short windows, so the
// run reaches the state a long-lived server is in) beside the same run with the default 30-day retention.
import { randomBytes } from "node:crypto";
import type { LiveKitHandle } from "@screenshare/devstack";
import { freePort } from "@screenshare/devstack";
import type { Retention } from "@screenshare/server/config";
import { Redis } from "ioredis";
import { startNode } from "./capacity.js";
import { round } from "./stats.js";
import { lifecycleOn } from "./throughput.js";

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return variance === 0 ? Number.NaN : covariance / variance;
}

/**
 * With retention on, the windows that retention does not set are short too, so that the run reaches a server's
 * steady state within minutes: sessions are capped at 20 s (a lifecycle on a loaded machine takes seconds) and
 * webhooks are signed for 10 s (LiveKit signs for 5 minutes, and the server remembers each event's id that long).
 */
const SHORT_MAX_DURATION_MS = 20_000;
const SHORT_WEBHOOK_TTL_S = 10;
/** The server accepts a webhook signature this long past its expiry, and remembers the event's id as long. */
const WEBHOOK_CLOCK_TOLERANCE_S = 10;

export interface SteadyStateFigures {
  lifecycles: number;
  retention: string;
  /** Heap growth per 10k lifecycles, bytes (least squares over the samples after the first batch). */
  heapBytesPer10k: number;
  /** Redis used_memory growth per 10k lifecycles, bytes (Redis runs only). */
  redisBytesPer10k?: number;
  heapSamples: number[];
  redisSamples?: number[];
  /** Waited before each sample (retention on), ms. */
  settleMs?: number;
}

export async function steadyState(
  livekit: LiveKitHandle,
  options: { lifecycles: number; batch: number; retention?: Partial<Retention>; redisUrl?: string; label: string; settle?: boolean },
): Promise<SteadyStateFigures> {
  const secrets = {
    viewerTokens: { secret: randomBytes(32).toString("base64url"), issuer: "bench", audience: "screenshare" },
    integrationApiKey: randomBytes(32).toString("base64url"),
  };
  const node = await startNode({
    port: await freePort(),
    livekit: { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
    ...secrets,
    quiet: true,
    limits: { redeemAttemptsPerClient: 1_000_000, redeemAttemptsPerOrg: 1_000_000 },
    // With retention on, sessions are also capped short: an index is kept until its newest session's max-duration
    // deadline has passed plus the ended-session retention, so a 4-hour cap would hold indexes past this run.
    ...(options.retention && { retention: options.retention, timeouts: { maxSessionDurationMs: SHORT_MAX_DURATION_MS } }),
    ...(options.redisUrl && { store: { kind: "redis" as const, url: options.redisUrl } }),
  });
  const redis = options.redisUrl ? new Redis(options.redisUrl) : undefined;
  try {
    await redis?.flushall();
    const concurrency = 16;
    const lifecycle = await lifecycleOn({ url: node.url, ...secrets, livekit }, concurrency, {
      agentPrefix: `${options.label}-`,
      ...(options.retention && { webhookTtl: `${SHORT_WEBHOOK_TTL_S}s` }),
    });
    const heap: Array<[number, number]> = [];
    const used: Array<[number, number]> = [];
    // Every retention window must pass before a sample, or the sample would count what is about to expire: ended
    // sessions, interactions, webhook ids (remembered while their signature is valid, plus the server's clock
    // tolerance) and, in Redis, a session's index entries (kept to its max-duration deadline plus the ended retention).
    const ended = options.retention?.endedSessionMs ?? 0;
    const settleMs =
      Math.max(ended, options.retention?.interactionMs ?? 0, (SHORT_WEBHOOK_TTL_S + WEBHOOK_CLOCK_TOLERANCE_S) * 1000, SHORT_MAX_DURATION_MS + ended) + 500;
    for (let done = 0; done < options.lifecycles; ) {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async (_, agent) => {
          while (next < options.batch) {
            next++;
            await lifecycle(agent);
          }
        }),
      );
      done += next;
      if (options.settle !== false && options.retention) await new Promise((resolve) => setTimeout(resolve, settleMs));
      heap.push([done, await node.heapUsed()]);
      if (redis) used.push([done, Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1])]);
      process.stderr.write(`steady state (${options.label}): ${done} lifecycles, heap ${(heap.at(-1)?.[1] ?? 0) / 1e6} MB\n`);
    }
    // The first batch carries the JIT's code and lazily built tables: fixed costs, not growth.
    const perTenThousand = (points: Array<[number, number]>) => Math.round(slope(points.slice(1)) * 10_000);
    return {
      lifecycles: options.lifecycles,
      retention: options.retention
        ? `${JSON.stringify(options.retention)}, sessions capped at ${SHORT_MAX_DURATION_MS / 1000} s, webhooks signed for ${SHORT_WEBHOOK_TTL_S} s, ${settleMs} ms waited before each sample`
        : "default (30 days), webhooks signed for 5 minutes",
      heapBytesPer10k: perTenThousand(heap),
      ...(redis && { redisBytesPer10k: perTenThousand(used) }),
      heapSamples: heap.map(([, bytes]) => round(bytes / 1e6, 2)),
      ...(options.retention && { settleMs }),
      ...(redis && { redisSamples: used.map(([, bytes]) => round(bytes / 1e6, 2)) }),
    };
  } finally {
    redis?.disconnect();
    await node.stop();
  }
}
