// The table rows of this week's benchmarks (legibility, recovery, capacity, steady state), each beside its anchor.
import type { CapacityFigures, CapacityResult } from "./capacity.js";
import type { LegibilityResult } from "./legibility/legibility.js";
import type { RecoveryFigures } from "./recovery.js";
import type { SteadyStateFigures } from "./steady-state.js";

type Row = [string, string, string, string];

export interface NewFigures {
  legibility: LegibilityResult[];
  capacity: CapacityResult;
  steadyState: { embedded: SteadyStateFigures; embeddedWithoutRetention?: SteadyStateFigures; redis?: SteadyStateFigures };
  recovery?: RecoveryFigures;
  idleState: { redis: Array<{ redisBytesPerSession: number }> };
}

/** Targets per cap: received ÷ source OCR accuracy (none named above 1 Mbps: there, ahead of the anchor). */
export const ACCURACY_TARGET: Record<string, number> = { 1000: 0.99, 500: 0.95 };
export const STATIC_KBPS_TARGET = 100;

const ms = (value: number | null) => (value === null ? "not within 8 s" : `${value} ms`);
const legible = (result: LegibilityResult) =>
  `accuracy ${result.accuracyRatio.toFixed(3)}, SSIM ${result.ssim.toFixed(3)}, still ${result.staticKbps} kbps, text change legible in ${ms(result.changeToLegibleMs)}${result.scrollToLegibleMs === undefined ? "" : `, after a scroll in ${ms(result.scrollToLegibleMs)}`} (${result.sent.codec.replace("video/", "")} ${result.sent.width}×${result.sent.height})`;

export function newRows(figures: NewFigures, context: { verdict: (ok: boolean) => string; echoLifecyclesPerSecond: number }): Row[] {
  const { verdict } = context;
  const rows: Row[] = [];
  for (const cap of [...new Set(figures.legibility.map((result) => result.capKbps))]) {
    const at = (profile: string) => figures.legibility.find((result) => result.capKbps === cap && result.profile === profile);
    const ours = at("ours");
    if (!ours) continue;
    const anchor = at("anchor");
    const before = at("before");
    const target = ACCURACY_TARGET[String(cap)];
    const checks = [
      ...(target ? [`>= ${target}`] : []),
      ...(anchor ? ["ahead of the anchor"] : []),
      `still <= ${STATIC_KBPS_TARGET} kbps`,
    ].join(", ");
    const ok = (!target || ours.accuracyRatio >= target) && (!anchor || ours.accuracyRatio > anchor.accuracyRatio || (ours.accuracyRatio === 1 && anchor.accuracyRatio === 1)) && ours.staticKbps <= STATIC_KBPS_TARGET;
    rows.push([
      `legibility, ${cap === null ? "no cap" : `${cap} kbps cap`}`,
      `ours: ${legible(ours)}${before ? `; before tuning: ${legible(before)}` : ""}`,
      anchor ? `livekit-client default: ${legible(anchor)}` : "-",
      `${checks}: ${verdict(ok)}`,
    ]);
  }
  const recovery = figures.recovery;
  if (recovery) {
    const fresh = recovery.freshJoinMs;
    const row = (name: string, figure: { p50: number; p95: number }): Row => [
      `recovery: ${name}`,
      `p50 ${figure.p50} ms, p95 ${figure.p95} ms (${recovery.runs} runs)`,
      `fresh join p50 ${fresh.p50} ms, p95 ${fresh.p95} ms; ratio p50 ${(figure.p50 / fresh.p50).toFixed(2)}`,
      "-",
    ];
    rows.push(row("agent refresh -> screen visible", recovery.agentRefreshMs), row("customer refresh -> sharing again (picker auto-accepted)", recovery.customerRefreshMs), row(`agent network drop of ${recovery.dropSeconds} s -> frames again (from the drop's end)`, recovery.agentDropMs));
  }
  const capacityRow = (name: string, figure: CapacityFigures | undefined, anchor: string): Row[] =>
    figure ? [[`capacity at StartScreenShare p99 < 200 ms, ${name}`, `${figure.lifecyclesPerSecond} lifecycles/s (p99 ${figure.startP99Ms} ms); steps ${figure.steps.map((step) => `${step.offeredPerSecond}/s: p99 ${step.startP99Ms} ms`).join(", ")}`, anchor, "-"]] : [];
  const echo = `echo-equivalent ${context.echoLifecyclesPerSecond.toFixed(1)} lifecycles/s (echo RPCs/s ÷ 8)`;
  rows.push(
    ...capacityRow("embedded store", figures.capacity.embedded, echo),
    ...capacityRow("Redis, one node", figures.capacity.redis, echo),
    ...capacityRow("Redis, two nodes", figures.capacity.twoNodesRedis, `ratio to one node ${figures.capacity.twoNodesRatio ?? "-"} (both nodes share this machine's cores)`),
  );
  const steady = figures.steadyState;
  const anchorSlope = steady.embeddedWithoutRetention?.heapBytesPer10k;
  const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
  rows.push([
    `memory over ${steady.embedded.lifecycles} lifecycles, retention on, embedded`,
    `heap ${kb(steady.embedded.heapBytesPer10k)} per 10k lifecycles (samples ${steady.embedded.heapSamples.join(", ")} MB)`,
    anchorSlope === undefined ? "-" : `default 30-day retention: ${kb(anchorSlope)} per 10k`,
    anchorSlope === undefined ? "-" : `<= 10 % of the anchor's: ${verdict(steady.embedded.heapBytesPer10k <= 0.1 * anchorSlope)}`,
  ]);
  if (steady.redis?.redisBytesPer10k !== undefined) {
    const idle = figures.idleState.redis[0]?.redisBytesPerSession ?? 0;
    rows.push([
      `memory over ${steady.redis.lifecycles} lifecycles, retention on, Redis`,
      `used_memory ${kb(steady.redis.redisBytesPer10k)} per 10k lifecycles (samples ${steady.redis.redisSamples?.join(", ")} MB); node heap ${kb(steady.redis.heapBytesPer10k)} per 10k`,
      `kept forever: ${kb(idle * 10_000)} per 10k (idle bytes per session × 10k)`,
      `<= 10 % of the anchor's: ${verdict(steady.redis.redisBytesPer10k <= 0.1 * idle * 10_000)}`,
    ]);
  }
  return rows;
}
