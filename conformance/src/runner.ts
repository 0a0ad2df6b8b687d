import { createClient } from "@connectrpc/connect";
import { listTransitions } from "@screenshare/machine/paths";
import { type ServerInfo, ServerInfoService } from "@screenshare/protocol";
import type { Case, CaseResult } from "./case.js";
import { ruleCases } from "./cases.js";
import type { VendorConfig } from "./config.js";
import { contentCases } from "./content.js";
import { CaseContext } from "./context.js";
import { documentedRules } from "./contract.js";
import { edgeCases } from "./edges.js";
import { check, Mismatch, Skip } from "./expect.js";
import { lifecycleCases } from "./lifecycle.js";
import { matrixCases } from "./matrix.js";
import { monitorCases } from "./monitor.js";
import { pauseCases } from "./pause.js";
import { transferCases } from "./transfer.js";
import { DEFAULT_WIRE, TransportFactory, type Wire, wireName } from "./wire.js";

/** Options of one run. */
export interface RunOptions {
  url: string;
  config: VendorConfig;
  /** Only cases whose name matches one of these patterns (`*` matches within a path segment, `**` across). */
  run?: string[];
  skip?: string[];
  parallel?: number;
  /** Per-case time limit. */
  caseTimeoutMs?: number;
  /** Protocol, codec and HTTP version; Connect with JSON over HTTP/1.1 by default. */
  wire?: Wire;
}

/** The outcome of a run. */
export interface RunReport {
  url: string;
  results: CaseResult[];
  /** Lifecycle machine transitions taken by passing lifecycle cases, and the machine's total. */
  transitionCoverage: { covered: string[]; total: number };
  /** Contract rules checked by passing cases, and every rule the proto's descriptors and comments imply. */
  matrixCoverage: { covered: string[]; total: number };
  /** The wire the run used, e.g. `connect+json/http1.1`. */
  wire: string;
  durationMs: number;
  /** True when no --run pattern was given: the representative subset (DEFAULT_RUN) ran. */
  defaultSelection: boolean;
  /** True when every case passed (known-failing cases failing) and no known-failing case passed. */
  ok: boolean;
}

/** Every case of the suite; lifecycle paths are chosen for the server's advertised timeouts when known. */
export function allCases(info?: ServerInfo): Case[] {
  return [...lifecycleCases(info), ...ruleCases, ...pauseCases, ...contentCases, ...edgeCases, ...monitorCases, ...transferCases, ...matrixCases()];
}

/**
 * The default selection when no --run is given: a representative subset that takes under a minute: every case
 * outside the matrix, and of the matrix every rule of one RPC per credential kind plus every ended-session,
 * documented-error, no-credential and undeclared-enum case. `--run '**'` runs everything.
 */
export const DEFAULT_RUN = [
  "!matrix/**",
  "matrix/ViewerService.GetSession/**",
  "matrix/InteractionService.TerminateSession/**",
  "matrix/SharerService.StopSharing/**",
  "matrix/SharerService.AcceptInvitation/**",
  "matrix/WatchService.WatchSession/**",
  "matrix/*/ended-session",
  "matrix/*/error/**",
  "matrix/*/auth/none/**",
  "matrix/*/isolation/only-callers-sessions",
  "matrix/*/undeclared-enum/**",
];

/** A name is selected when a plain pattern matches it, or when `!pattern`s are given and none of them matches it. */
export function selects(name: string, patterns: readonly string[]): boolean {
  const positive = patterns.filter((pattern) => !pattern.startsWith("!"));
  const negated = patterns.filter((pattern) => pattern.startsWith("!")).map((pattern) => pattern.slice(1));
  return positive.some((pattern) => matches(name, pattern)) || (negated.length > 0 && !negated.some((pattern) => matches(name, pattern)));
}

/** `*` matches within one path segment, `**` across segments; a pattern without wildcards matches a prefix. */
export function matches(name: string, pattern: string): boolean {
  if (!pattern.includes("*")) return name === pattern || name.startsWith(pattern.endsWith("/") ? pattern : `${pattern}/`);
  const source = pattern
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((text) => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${source}$`).test(name);
}

/** Runs the suite against `options.url`. */
export async function runConformance(options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const wire = options.wire ?? DEFAULT_WIRE;
  const transports = new TransportFactory(options.url, wire);
  try {
    const info = (await createClient(ServerInfoService, transports.create([])).getServerInfo({})).info;
    if (!info) throw new Error(`${options.url} answered GetServerInfo without info`);
    const run = options.run?.length ? options.run : DEFAULT_RUN;
    const cases = allCases(info).filter((item) => selects(item.name, run) && !options.skip?.some((pattern) => matches(item.name, pattern)));
    const results: CaseResult[] = [];
    const covered = new Set<string>();
    const rules = new Set<string>();
    // Cases that wait on real timers and media run first, on their own: beside the matrix's many quick calls a
    // loaded machine stretched their steps past the short timeouts they race.
    const timed = (item: Case) => /^(lifecycle|media)\//.test(item.name);
    const queue = [...cases.filter(timed), ...cases.filter((item) => !timed(item) && !item.exclusive)];
    let timedLeft = queue.filter(timed).length;
    let releaseRest = () => {};
    const restMayStart = timedLeft === 0 ? Promise.resolve() : new Promise<void>((resolve) => (releaseRest = resolve));
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        if (!timed(item)) await restMayStart;
        const context = new CaseContext(options.url, options.config, info, transports);
        const result = await runCase(item, context, options);
        if (result.status === "passed") {
          for (const id of item.transitions ?? []) covered.add(id);
          for (const rule of checkedRules(item, context.observed)) rules.add(rule);
        }
        results.push(result);
        if (timed(item) && --timedLeft === 0) releaseRest();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 4) }, worker));
    queue.push(...cases.filter((item) => item.exclusive && !timed(item)));
    await worker();
    results.sort((a, b) => a.name.localeCompare(b.name));
    const ok = results.every((result) => (result.knownFailing ? result.status === "failed" : result.status !== "failed"));
    const documented = documentedRules();
    return {
      url: options.url,
      wire: wireName(wire),
      results,
      transitionCoverage: { covered: [...covered].sort(), total: listTransitions().length },
      matrixCoverage: { covered: documented.filter((rule) => rules.has(rule)), total: documented.length },
      durationMs: Date.now() - started,
      defaultSelection: !options.run?.length,
      ok,
    };
  } finally {
    transports.close();
  }
}

/** The rules a passed case checked: an error rule only if the server did answer that RPC with that code. */
export function checkedRules(item: Case, observed: ReadonlySet<string>): string[] {
  return (item.covers ?? []).filter((rule) => {
    const error = /^([^/]+)\/error\/([A-Z_]+)$/.exec(rule);
    return !error || observed.has(`${error[1]}/${error[2]}`);
  });
}

/** Runs one case against a server whose info is known, on its own: for harnesses that drive cases one by one. */
export async function runSingle(item: Case, options: { url: string; config: VendorConfig; info: ServerInfo; wire?: Wire }): Promise<CaseResult> {
  const transports = new TransportFactory(options.url, options.wire ?? DEFAULT_WIRE);
  try {
    return await runCase(item, new CaseContext(options.url, options.config, options.info, transports), { url: options.url, config: options.config });
  } finally {
    transports.close();
  }
}

async function runCase(item: Case, context: CaseContext, options: RunOptions): Promise<CaseResult> {
  const knownFailing = options.config.knownFailing.some((pattern) => matches(item.name, pattern));
  const started = Date.now();
  const base = { name: item.name, knownFailing };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      item.run(context),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${options.caseTimeoutMs ?? 60_000} ms`)), options.caseTimeoutMs ?? 60_000);
      }),
    ]);
    // Checked for every case: a case expecting an error code would otherwise accept one without its message.
    check(context.withoutMessage.size === 0, "every error to carry a message saying what to fix", `no message: ${[...context.withoutMessage].join(", ")}`);
    return { ...base, status: "passed", durationMs: Date.now() - started };
  } catch (error) {
    if (error instanceof Skip) return { ...base, status: "skipped", durationMs: Date.now() - started, message: error.message };
    const mismatch = error instanceof Mismatch ? { expected: error.expected, got: error.got } : {};
    return { ...base, status: "failed", durationMs: Date.now() - started, message: (error as Error).message, ...mismatch };
  } finally {
    clearTimeout(timer);
    await context.cleanup();
  }
}
