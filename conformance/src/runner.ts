import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { listTransitions } from "@screenshare/machine";
import { type ServerInfo, ServerInfoService } from "@screenshare/protocol";
import type { Case, CaseResult } from "./case.js";
import { ruleCases } from "./cases.js";
import type { VendorConfig } from "./config.js";
import { CaseContext } from "./context.js";
import { Mismatch, Skip } from "./expect.js";
import { lifecycleCases } from "./lifecycle.js";

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
}

/** The outcome of a run. */
export interface RunReport {
  url: string;
  results: CaseResult[];
  /** Lifecycle machine transitions taken by passing lifecycle cases, and the machine's total. */
  transitionCoverage: { covered: string[]; total: number };
  durationMs: number;
  /** True when every case passed (known-failing cases failing) and no known-failing case passed. */
  ok: boolean;
}

/** Every case of the suite; lifecycle paths are chosen for the server's advertised timeouts when known. */
export function allCases(info?: ServerInfo): Case[] {
  return [...lifecycleCases(info), ...ruleCases];
}

/** `*` matches within one path segment, `**` across segments; a pattern without wildcards matches a prefix. */
export function matches(name: string, pattern: string): boolean {
  if (!pattern.includes("*")) return name === pattern || name.startsWith(pattern.endsWith("/") ? pattern : `${pattern}/`);
  const source = pattern.split("**").map((part) => part.split("*").map((text) => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")).join(".*");
  return new RegExp(`^${source}$`).test(name);
}

/** Runs the suite against `options.url`. */
export async function runConformance(options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const info = (await createClient(ServerInfoService, createConnectTransport({ baseUrl: options.url, httpVersion: "1.1" })).getServerInfo({})).info;
  if (!info) throw new Error(`${options.url} answered GetServerInfo without info`);
  const cases = allCases(info).filter(
    (item) =>
      (!options.run?.length || options.run.some((pattern) => matches(item.name, pattern))) &&
      !options.skip?.some((pattern) => matches(item.name, pattern)),
  );
  const results: CaseResult[] = [];
  const covered = new Set<string>();
  const queue = [...cases];
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const result = await runCase(item, new CaseContext(options.url, options.config, info), options);
      if (result.status === "passed") for (const id of item.transitions ?? []) covered.add(id);
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 4) }, worker));
  results.sort((a, b) => a.name.localeCompare(b.name));
  const ok = results.every((result) => (result.knownFailing ? result.status === "failed" : result.status !== "failed"));
  return { url: options.url, results, transitionCoverage: { covered: [...covered].sort(), total: listTransitions().length }, durationMs: Date.now() - started, ok };
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
