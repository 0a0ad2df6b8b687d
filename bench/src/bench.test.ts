import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Proves the benchmark scripts run and report every figure; it times nothing and asserts no speed.
describe("benchmarks, quick variant", () => {
  it("run end to end and report every figure", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", resolve(import.meta.dirname, "run.ts"), "--quick"], {
      cwd: resolve(import.meta.dirname, ".."),
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const output = run.stdout;
    // Quiet: the table on stdout, progress on stderr, and no library's debug lines on either.
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/"name":"lk-rtc"|"level":20/);
    expect(run.stderr).toContain("legibility: ours at no cap");
    for (const row of [
      "lifecycle throughput, embedded store",
      "time to first frame",
      "idle state, 1000 sessions",
      "conformance suite",
      "legibility, no cap",
      "capacity at StartScreenShare p99 < 200 ms, embedded store",
      "memory over 20 lifecycles, retention on, embedded",
    ]) {
      expect(output).toContain(row);
    }
    const result = JSON.parse(readFileSync(resolve(import.meta.dirname, "../results/quick.json"), "utf8"));
    expect(result.quick).toBe(true);
    expect(result.figures.throughput.embedded.lifecycles).toBeGreaterThan(0);
    expect(result.figures.firstFrame.oursMs.p50).toBeGreaterThan(0);
    expect(result.figures.idleState.embedded[0].bytesPerSession).toBeGreaterThan(0);
    expect(result.figures.idleState.embedded[0].rssBytesPerSession).toEqual(expect.any(Number));
    expect(result.figures.idleState.redis[0].sessionKeyBytes).toBeGreaterThan(0);
    expect(result.figures.idleState.redis[0].byKind["ss:session"]).toBeGreaterThan(0);
    expect(result.figures.throughput.embedded.rpcsPerSecond).toBeCloseTo(result.figures.throughput.embedded.lifecyclesPerSecond * 8, 0);
    expect(result.figures.throughput.redis.lifecycles).toBeGreaterThan(0);
    expect(result.figures.throughput.redis.roundRatios).toEqual([result.figures.throughput.redis.ratioToEcho]);
    expect(result.machine).toMatch(/^nproc \d+, CPU ".+", \d+ GiB memory, Node\.js v\d+/);
    expect(result.conditions.loadAverageAtStart).toHaveLength(3);
    // The SDK's publish keeps the "detail" content hint that livekit-client replaces for AV1 and VP9.
    const [legibility] = result.figures.legibility;
    expect(legibility.sent.contentHint).toBe("detail");
    expect(legibility.sourceAccuracy).toBeGreaterThan(0.9);
    expect(legibility.accuracyRatio).toBeGreaterThan(0);
    expect(result.figures.capacity.embedded.steps).toHaveLength(1);
    expect(result.figures.steadyState.embedded.heapSamples).toHaveLength(1);
  }, 120_000);
});
