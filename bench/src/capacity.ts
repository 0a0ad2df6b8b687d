// Capacity at a latency objective: the highest lifecycle rate a deployment holds with StartScreenShare p99 under
// 200 ms. Open loop (lifecycles start on a schedule, whether or not earlier ones finished), each server node in
// its own process, the load generator in this one; embedded store, Redis, and two nodes on one Redis.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { freePort, type LiveKitHandle, startRedis } from "@screenshare/devstack";
import type { ServerOptions } from "@screenshare/server";
import { quantile, round } from "./stats.js";
import { type Lifecycle, lifecycleOn, type Target } from "./throughput.js";
import type { RetryCount } from "./transport.js";

export const OBJECTIVE_P99_MS = 200;
/** Agents per node; each runs one lifecycle at a time, so this bounds lifecycles in flight. */
export const CAPACITY_AGENTS = 400;

/** One offered rate, held for the step's duration. */
export interface Step {
  offeredPerSecond: number;
  completedPerSecond: number;
  startP99Ms: number;
  /** Lifecycles that failed after retries, or could not start because every agent was still busy. */
  failed: number;
  /** Calls retried after UNAVAILABLE, ABORTED or a 5xx (a retried StartScreenShare's latency includes its retries). */
  retriedCalls: number;
  holds: boolean;
}

/** A server node in its own process. */
export interface Node {
  url: string;
  /** Heap used after a full collection, in bytes. */
  heapUsed(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts one server node in its own process (with --expose-gc and an IPC channel for {@link Node.heapUsed}). */
export async function startNode(options: ServerOptions): Promise<Node> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", resolve(import.meta.dirname, "capacity-node.ts"), JSON.stringify(options)],
    {
      cwd: resolve(import.meta.dirname, ".."),
      stdio: ["ignore", "pipe", "inherit", "ipc"],
    },
  );
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`capacity: a server node exited with ${code}`))));
  const url = await Promise.race([new Promise<string>((done) => createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", done)), exited]);
  exited.catch(() => undefined); // an exit after start-up is the stop below
  return {
    url,
    heapUsed: () =>
      new Promise((done) => {
        child.once("message", (message) => done((message as { heapUsed: number }).heapUsed));
        child.send("memory");
      }),
    stop: () =>
      new Promise<void>((done) => {
        child.once("exit", () => done());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
      }),
  };
}

/**
 * Offers `rate` lifecycles per second for `seconds`: lifecycle n starts at n ÷ rate seconds whether or not earlier
 * ones finished (open loop), spread over the targets in turn. A step holds when the p99 of StartScreenShare is under
 * the objective, nothing failed and the lifecycles kept up with the schedule.
 */
async function offer(runners: Lifecycle[], retries: RetryCount, rate: number, seconds: number): Promise<Step> {
  const free = runners.map(() => Array.from({ length: CAPACITY_AGENTS }, (_, agent) => agent));
  const latencies: number[] = [];
  let failed = 0;
  let completed = 0;
  let skipped = 0;
  const running: Promise<void>[] = [];
  retries.calls = 0;
  const started = performance.now();
  const total = Math.round(rate * seconds);
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((done) => setTimeout(done, wait));
    const node = index % runners.length;
    const agent = free[node]?.pop();
    if (agent === undefined) {
      skipped++; // every agent is busy: the node is far behind the schedule
      continue;
    }
    running.push(
      (runners[node] as Lifecycle)(agent).then(
        ({ startMs }) => {
          latencies.push(startMs);
          completed++;
          free[node]?.push(agent);
        },
        (error: Error) => {
          failed++;
          if (failed === 1) process.stderr.write(`capacity: a lifecycle failed at ${rate}/s: ${error.message}\n`);
          free[node]?.push(agent);
        },
      ),
    );
  }
  await Promise.all(running);
  const elapsed = (performance.now() - started) / 1000;
  const startP99Ms = round(quantile(latencies, 0.99), 1);
  const completedPerSecond = round(completed / elapsed, 1);
  return {
    offeredPerSecond: rate,
    completedPerSecond,
    startP99Ms,
    failed: failed + skipped,
    retriedCalls: retries.calls,
    holds: failed + skipped === 0 && startP99Ms < OBJECTIVE_P99_MS && completedPerSecond >= 0.9 * rate,
  };
}

export interface CapacityFigures {
  /** The highest offered rate that held, lifecycles per second (0 if none did). */
  lifecyclesPerSecond: number;
  startP99Ms: number;
  /** Every step in the order run: the rise, then the bisection. */
  steps: Step[];
}

/** How the offered rate is searched. */
export interface Search {
  /** The first rate offered, lifecycles per second. */
  from: number;
  /** Each step of the rise offers this factor more than the last, until one does not hold. */
  factor: number;
  /** Then the gap between the highest rate that held and the lowest that did not is bisected down to this ratio. */
  resolution: number;
  /** How long each rate is offered. */
  seconds: number;
  maxSteps: number;
}

/** The search of a full run: from 2/s (a loaded machine may hold little more), ×1.5 per step, to within 10 %, 6 s per rate. */
export const FULL_SEARCH: Search = { from: 2, factor: 1.5, resolution: 1.1, seconds: 6, maxSteps: 20 };

/**
 * Rises by `factor` per step from `from` until a step does not hold, then bisects (geometrically, whole rates)
 * between the highest rate that held and the lowest that did not, until they are within `resolution`. Reports the
 * highest rate that held.
 */
async function highestRate(targets: Target[], search: Search): Promise<CapacityFigures> {
  const retries = { calls: 0 };
  const runners = await Promise.all(targets.map((target, node) => lifecycleOn(target, CAPACITY_AGENTS, { agentPrefix: `node${node}-`, retries })));
  await offer(runners, retries, search.from, 1); // warm-up, discarded: the first seconds measure the JIT
  const steps: Step[] = [];
  const step = async (rate: number) => {
    const measured = await offer(runners, retries, rate, search.seconds);
    steps.push(measured);
    process.stderr.write(
      `capacity: ${targets.length} node(s), ${rate}/s offered, ${measured.completedPerSecond}/s done, StartScreenShare p99 ${measured.startP99Ms} ms${measured.retriedCalls ? `, ${measured.retriedCalls} calls retried` : ""}${measured.holds ? "" : " (does not hold)"}\n`,
    );
    return measured.holds;
  };
  let held = 0;
  let failed = Number.POSITIVE_INFINITY;
  for (let rate = search.from; steps.length < search.maxSteps; rate = Math.max(rate + 1, Math.round(rate * search.factor))) {
    if (!(await step(rate))) {
      failed = rate;
      break;
    }
    held = rate;
  }
  while (held > 0 && failed / held > search.resolution && steps.length < search.maxSteps) {
    const rate = Math.round(Math.sqrt(held * failed));
    if (rate <= held || rate >= failed) break;
    if (await step(rate)) held = rate;
    else failed = rate;
  }
  const last = steps.filter((measured) => measured.holds && measured.offeredPerSecond === held).at(-1);
  return { lifecyclesPerSecond: held, startP99Ms: last?.startP99Ms ?? Number.NaN, steps };
}

export type Deployment = "embedded" | "redis" | "two nodes on one Redis";

export interface CapacityResult {
  embedded?: CapacityFigures;
  redis?: CapacityFigures;
  twoNodesRedis?: CapacityFigures;
  /** Two nodes' rate over one node's, both on Redis (one machine: both nodes share its cores). */
  twoNodesRatio?: number;
}

/** The three deployments, one LiveKit for all (rooms are created and deleted per lifecycle). */
export async function capacity(livekit: LiveKitHandle, options: { search: Search; deployments: Deployment[] }): Promise<CapacityResult> {
  const secrets = {
    viewerTokens: { secret: randomBytes(32).toString("base64url"), issuer: "bench", audience: "screenshare" },
    integrationApiKey: randomBytes(32).toString("base64url"),
  };
  const base = (port: number): ServerOptions => ({
    port,
    livekit: { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
    ...secrets,
    quiet: true,
    limits: { redeemAttemptsPerClient: 1_000_000, redeemAttemptsPerOrg: 1_000_000 },
  });
  const target = (url: string): Target => ({ url, ...secrets, livekit });
  const run = async (nodes: number, redisUrl?: string) => {
    const started = [];
    try {
      for (let node = 0; node < nodes; node++)
        started.push(await startNode({ ...base(await freePort()), ...(redisUrl && { store: { kind: "redis" as const, url: redisUrl } }) }));
      return await highestRate(
        started.map((node) => target(node.url)),
        options.search,
      );
    } finally {
      await Promise.all(started.map((node) => node.stop()));
    }
  };
  const wanted = new Set(options.deployments);
  const result: CapacityResult = {};
  if (wanted.has("embedded")) result.embedded = await run(1);
  if (!wanted.has("redis") && !wanted.has("two nodes on one Redis")) return result;
  const redis = await startRedis();
  try {
    if (wanted.has("redis")) result.redis = await run(1, redis.url);
    if (wanted.has("two nodes on one Redis")) result.twoNodesRedis = await run(2, redis.url);
    if (result.redis?.lifecyclesPerSecond && result.twoNodesRedis)
      result.twoNodesRatio = round(result.twoNodesRedis.lifecyclesPerSecond / result.redis.lifecyclesPerSecond, 2);
    return result;
  } finally {
    await redis.stop();
  }
}
