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
import { lifecycleOn, type Target } from "./throughput.js";

export const OBJECTIVE_P99_MS = 200;
/** Agents per node; each runs one lifecycle at a time, so this bounds lifecycles in flight. */
const AGENTS = 400;

interface Step {
  offeredPerSecond: number;
  completedPerSecond: number;
  startP99Ms: number;
  failed: number;
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
 * Offers `rate` lifecycles per second for `seconds`, spread over the targets in turn. A step holds when the p99 of
 * StartScreenShare is under the objective, nothing failed and the lifecycles kept up with the schedule.
 */
async function offer(runners: Array<(agent: number) => Promise<{ startMs: number }>>, rate: number, seconds: number): Promise<Step> {
  const free = runners.map(() => Array.from({ length: AGENTS }, (_, agent) => agent));
  const latencies: number[] = [];
  let failed = 0;
  let completed = 0;
  let skipped = 0;
  const running: Promise<void>[] = [];
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
      (runners[node] as (agent: number) => Promise<{ startMs: number }>)(agent).then(
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
    holds: failed + skipped === 0 && startP99Ms < OBJECTIVE_P99_MS && completedPerSecond >= 0.9 * rate,
  };
}

export interface CapacityFigures {
  /** The highest offered rate that held, lifecycles per second (0 if none did). */
  lifecyclesPerSecond: number;
  startP99Ms: number;
  steps: Step[];
}

/** Raises the rate by 40 % per step from `from` until a step fails to hold; reports the last that held. */
async function highestRate(targets: Target[], from: number, seconds: number, maxSteps: number): Promise<CapacityFigures> {
  const runners = await Promise.all(targets.map((target, node) => lifecycleOn(target, AGENTS, `node${node}-`)));
  await offer(runners, from, 1); // warm-up, discarded: the first seconds measure the JIT
  const steps: Step[] = [];
  for (let rate = from; steps.length < maxSteps; rate = Math.ceil(rate * 1.4)) {
    const step = await offer(runners, rate, seconds);
    steps.push(step);
    process.stderr.write(
      `capacity: ${targets.length} node(s), ${rate}/s offered, ${step.completedPerSecond}/s done, StartScreenShare p99 ${step.startP99Ms} ms${step.holds ? "" : " (does not hold)"}\n`,
    );
    if (!step.holds) break;
  }
  const held = steps.filter((step) => step.holds).at(-1);
  return { lifecyclesPerSecond: held?.offeredPerSecond ?? 0, startP99Ms: held?.startP99Ms ?? Number.NaN, steps };
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
export async function capacity(
  livekit: LiveKitHandle,
  options: { from: number; seconds: number; maxSteps: number; deployments: Deployment[] },
): Promise<CapacityResult> {
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
        options.from,
        options.seconds,
        options.maxSteps,
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
