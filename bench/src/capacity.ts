// Long because the rate search, the load generator and the node processes it measures are one procedure, read in order.
// Capacity at a latency objective: the highest lifecycle rate a deployment holds with StartScreenShare p99 under
// 200 ms. Open loop (lifecycles start on a schedule, whether or not earlier ones finished), each server node in
// its own process, the load generator in this one; embedded store, Redis, and two nodes on one Redis.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { freePort, type LiveKitHandle, startRedis } from "@screenshare/devstack";
import type { ServerOptions } from "@screenshare/server";
import { EchoService } from "./gen/bench/v1/echo_pb.js";
import { quantile, round } from "./stats.js";
import { type Lifecycle, lifecycleOn, type Target } from "./throughput.js";
import type { RetryCount } from "./transport.js";

export const OBJECTIVE_P99_MS = 200;
/** Agents per node; each runs one lifecycle at a time, so this bounds lifecycles in flight. */
export const CAPACITY_AGENTS = 400;

/** One offered rate, held for the step's duration. */
export interface Step {
  offeredPerSecond: number;
  /** 1, or 2 when the rate missed at first and was offered again (judged on both offers' calls together). */
  offers: number;
  /** Lifecycles whose StartScreenShare latency the p99 is taken over. */
  lifecycles: number;
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
  const { url, child, stop } = await spawnListening("capacity-node.ts", [JSON.stringify(options)]);
  return {
    url,
    heapUsed: () =>
      new Promise((done) => {
        child.once("message", (message) => done((message as { heapUsed: number }).heapUsed));
        child.send("memory");
      }),
    stop,
  };
}

/** Runs `script` (beside this file) in its own Node.js process and waits for the URL it prints first. */
async function spawnListening(script: string, args: string[]): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ["--expose-gc", "--import", "tsx", resolve(import.meta.dirname, script), ...args], {
    cwd: resolve(import.meta.dirname, ".."),
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`capacity: ${script} exited with ${code}`))));
  const url = await Promise.race([new Promise<string>((done) => createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", done)), exited]);
  exited.catch(() => undefined); // an exit after start-up is the stop below
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((done) => {
        child.once("exit", () => done());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
      }),
  };
}

/**
 * The machine's own share of a missed objective: echo calls to a bare connect-node server in its own process,
 * offered on the same schedule as the lowest rate that did not hold. A p99 over 200 ms here means the stalls came
 * from the machine (other processes on its two cores), not from the server's work.
 */
async function echoAnchor(rate: number, seconds: number): Promise<MachineAnchor> {
  const echo = await spawnListening("echo-node.ts", []);
  try {
    const client = createClient(EchoService, createConnectTransport({ baseUrl: echo.url, httpVersion: "1.1" }));
    const call: Lifecycle = async () => {
      const started = performance.now();
      await client.echo({ text: "hello" });
      return { startMs: performance.now() - started, redeemMs: 0 };
    };
    await offer([call], { calls: 0 }, rate, 1); // warm-up, discarded
    const offered = await offer([call], { calls: 0 }, rate, seconds);
    return { offeredPerSecond: rate, calls: offered.latencies.length, echoP99Ms: round(quantile(offered.latencies, 0.99), 1) };
  } finally {
    await echo.stop();
  }
}

/** Echo calls offered at the lowest rate that did not hold, and their p99: see {@link echoAnchor}. */
export interface MachineAnchor {
  offeredPerSecond: number;
  calls: number;
  echoP99Ms: number;
}

/** What one offer of a rate measured. */
interface Offered {
  latencies: number[];
  completed: number;
  failed: number;
  elapsedSeconds: number;
  retriedCalls: number;
}

/**
 * Offers `rate` lifecycles per second for `seconds`: lifecycle n starts at n ÷ rate seconds whether or not earlier
 * ones finished (open loop), spread over the targets in turn.
 */
async function offer(runners: Lifecycle[], retries: RetryCount, rate: number, seconds: number): Promise<Offered> {
  const free = runners.map(() => Array.from({ length: CAPACITY_AGENTS }, (_, agent) => agent));
  const latencies: number[] = [];
  let failed = 0;
  let completed = 0;
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
      failed++; // every agent is busy: the node is far behind the schedule
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
  return { latencies, completed, failed, elapsedSeconds: (performance.now() - started) / 1000, retriedCalls: retries.calls };
}

/**
 * Whether `rate` holds, judged on every offer's calls together: StartScreenShare's p99 under the objective, no
 * lifecycle failed, and completions kept up with the schedule (≥ 90 % of the rate).
 */
function judge(rate: number, offers: Offered[]): Step {
  const latencies = offers.flatMap((offered) => offered.latencies);
  const failed = offers.reduce((sum, offered) => sum + offered.failed, 0);
  const completed = offers.reduce((sum, offered) => sum + offered.completed, 0);
  const elapsed = offers.reduce((sum, offered) => sum + offered.elapsedSeconds, 0);
  const startP99Ms = round(quantile(latencies, 0.99), 1);
  const completedPerSecond = round(completed / elapsed, 1);
  return {
    offeredPerSecond: rate,
    offers: offers.length,
    lifecycles: latencies.length,
    completedPerSecond,
    startP99Ms,
    failed,
    retriedCalls: offers.reduce((sum, offered) => sum + offered.retriedCalls, 0),
    holds: failed === 0 && startP99Ms < OBJECTIVE_P99_MS && completedPerSecond >= 0.9 * rate,
  };
}

export interface CapacityFigures {
  /** The highest offered rate that held, lifecycles per second (0 if none did). */
  lifecyclesPerSecond: number;
  startP99Ms: number;
  /** Every step in the order run: the rise, then the bisection. */
  steps: Step[];
  /** Echo calls at the lowest rate that did not hold (absent when every step held). */
  machine?: MachineAnchor;
}

/** How the offered rate is searched. */
export interface Search {
  /** The first rate offered, lifecycles per second. */
  from: number;
  /** Each step of the rise offers this factor more than the last, until one does not hold. */
  factor: number;
  /** Then the gap between the highest rate that held and the lowest that did not is bisected down to this ratio. */
  resolution: number;
  /** Each rate is offered for long enough to start this many lifecycles... */
  lifecyclesPerStep: number;
  /** ...but for at least and at most this long, seconds. */
  seconds: { min: number; max: number };
  maxSteps: number;
}

/**
 * The search of a full run: from 2/s (a loaded machine may hold little more), ×1.5 per step, to within 10 %;
 * 150 lifecycles per rate, 6 to 15 s.
 */
export const FULL_SEARCH: Search = { from: 2, factor: 1.5, resolution: 1.1, lifecyclesPerStep: 150, seconds: { min: 6, max: 15 }, maxSteps: 20 };

/** How long `rate` is offered. */
export const stepSeconds = (search: Search, rate: number) => Math.min(search.seconds.max, Math.max(search.seconds.min, search.lifecyclesPerStep / rate));

/**
 * Rises by `factor` per step from `from` until a step does not hold, then bisects (geometrically, whole rates)
 * between the highest rate that held and the lowest that did not, until they are within `resolution`. A rate that
 * misses is offered once more and judged on both offers' calls together: below 100 calls a p99 is the slowest
 * call, so one stall of a process on a shared machine would otherwise decide it. Reports the highest rate that held.
 */
async function highestRate(targets: Target[], search: Search): Promise<CapacityFigures> {
  const retries = { calls: 0 };
  const runners = await Promise.all(targets.map((target, node) => lifecycleOn(target, CAPACITY_AGENTS, { agentPrefix: `node${node}-`, retries })));
  await offer(runners, retries, search.from, 1); // warm-up, discarded: the first seconds measure the JIT
  const steps: Step[] = [];
  const step = async (rate: number) => {
    const offers = [await offer(runners, retries, rate, stepSeconds(search, rate))];
    let measured = judge(rate, offers);
    if (!measured.holds) {
      offers.push(await offer(runners, retries, rate, stepSeconds(search, rate)));
      measured = judge(rate, offers);
    }
    steps.push(measured);
    process.stderr.write(
      `capacity: ${targets.length} node(s), ${rate}/s offered${measured.offers > 1 ? " twice" : ""}, ${measured.completedPerSecond}/s done, StartScreenShare p99 ${measured.startP99Ms} ms over ${measured.lifecycles}${measured.retriedCalls ? `, ${measured.retriedCalls} calls retried` : ""}${measured.holds ? "" : " (does not hold)"}\n`,
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
  const machine = Number.isFinite(failed) ? await echoAnchor(failed, stepSeconds(search, failed)) : undefined;
  if (machine) process.stderr.write(`capacity: echo anchor at ${failed}/s: p99 ${machine.echoP99Ms} ms over ${machine.calls}\n`);
  return { lifecyclesPerSecond: held, startP99Ms: last?.startP99Ms ?? Number.NaN, steps, ...(machine && { machine }) };
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
