import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Proves the benchmark scripts run and report every figure; it times nothing and asserts no speed.
describe("benchmarks, quick variant", () => {
  it("run end to end and report every figure", () => {
    const output = execFileSync(process.execPath, ["--import", "tsx", resolve(import.meta.dirname, "run.ts"), "--quick"], {
      cwd: resolve(import.meta.dirname, ".."),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    for (const row of ["lifecycle throughput, embedded store", "time to first frame", "idle state, 1000 sessions", "conformance suite"]) {
      expect(output).toContain(row);
    }
    const result = JSON.parse(readFileSync(resolve(import.meta.dirname, "../results/quick.json"), "utf8"));
    expect(result.quick).toBe(true);
    expect(result.figures.throughput.embedded.lifecycles).toBeGreaterThan(0);
    expect(result.figures.firstFrame.oursMs.p50).toBeGreaterThan(0);
    expect(result.figures.idleState.embedded[0].bytesPerSession).toBeGreaterThan(0);
    expect(result.figures.idleState.embedded[0].rssBytesPerSession).toEqual(expect.any(Number));
    expect(result.figures.idleState.redis[0].sessionHashBytes).toBeGreaterThan(0);
    expect(result.figures.throughput.embedded.rpcsPerSecond).toBeCloseTo(result.figures.throughput.embedded.lifecyclesPerSecond * 8, 0);
    expect(result.figures.throughput.redis.lifecycles).toBeGreaterThan(0);
    expect(result.figures.throughput.redis.roundRatios).toEqual([result.figures.throughput.redis.ratioToEcho]);
    expect(result.machine).toMatch(/^nproc \d+, CPU ".+", \d+ GiB memory, Node\.js v\d+/);
    expect(result.conditions.loadAverageAtStart).toHaveLength(3);
  }, 120_000);
});
