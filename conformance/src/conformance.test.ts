import type { Fault } from "@screenshare/server";
import { type ReferenceStack, startReferenceStack, type StackOptions } from "@screenshare/server/stack";
import { describe, expect, it } from "vitest";
import { checkVendorConfig, type VendorConfig } from "./config.js";
import { junit, summary } from "./report.js";
import { matches, type RunReport, runConformance } from "./runner.js";

/** Short timeouts, as the suite asks vendors to run with. */
const SHORT: StackOptions = {
  timeouts: {
    securityKeyTtlMs: 2_000,
    acceptanceTimeoutMs: 2_000,
    screenSelectionTimeoutMs: 6_000,
    viewerReconnectGraceMs: 2_000,
    sharerReconnectGraceMs: 2_000,
    maxSessionDurationMs: 15_000,
  },
  limits: { securityKeyMaxAttempts: 3, redeemAttemptsPerClient: 60, redeemAttemptsPerOrg: 20 },
};

function vendorConfig(stack: ReferenceStack, knownFailing: string[] = []): VendorConfig {
  return checkVendorConfig({
    integrationApiKey: stack.integrationApiKey,
    viewerTokens: { kind: "hs256", secret: stack.viewerTokenSecret },
    orgs: ["conformance-org-a", "conformance-org-b"],
    livekit: { apiKey: stack.livekit.apiKey, apiSecret: stack.livekit.apiSecret },
    knownFailing,
  });
}

async function runAgainst(options: StackOptions, run?: string[], knownFailing: string[] = []): Promise<RunReport> {
  const stack = await startReferenceStack(options);
  try {
    return await runConformance({ url: stack.server.url, config: vendorConfig(stack, knownFailing), parallel: 6, ...(run && { run }) });
  } finally {
    await stack.stop();
  }
}

const failed = (report: RunReport) => report.results.filter((result) => result.status === "failed").map((result) => result.name);

describe("the reference server", () => {
  it("passes every case, and the two grace settings together cover every machine transition", async () => {
    const withGrace = await runAgainst(SHORT);
    console.log(summary(withGrace));
    expect(failed(withGrace)).toEqual([]);
    expect(withGrace.ok).toBe(true);
    const graceless = await runAgainst(
      { ...SHORT, timeouts: { ...SHORT.timeouts, viewerReconnectGraceMs: 0, sharerReconnectGraceMs: 0 } },
      ["lifecycle/**"],
    );
    console.log(summary(graceless));
    expect(failed(graceless)).toEqual([]);
    // Paths that need a reconnect grace cannot run on a graceless server: the summary says so, case by case.
    expect(summary(graceless)).toMatch(/^skip lifecycle\/\S+: needs reconnect grace > 0; the server advertises viewer 0 s, sharer 0 s$/m);
    const covered = new Set([...withGrace.transitionCoverage.covered, ...graceless.transitionCoverage.covered]);
    console.log(`lifecycle transition coverage over both runs: ${covered.size}/${withGrace.transitionCoverage.total}`);
    expect(covered.size).toBe(withGrace.transitionCoverage.total);
    expect(junit(withGrace)).toContain(`tests="${withGrace.results.length}" failures="0"`);
  }, 240_000);
});

describe("the reference server on Redis", () => {
  it("passes every case with its state in Redis", async () => {
    const report = await runAgainst({ ...SHORT, redis: true });
    console.log(`on Redis: ${summary(report).split("\n").at(-1)}`);
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(true);
  }, 240_000);
});

describe("broken servers are caught", () => {
  const faults: Array<[Fault, string[], string]> = [
    ["survive-interaction-disconnect", ["rules/interaction/**", "lifecycle/**"], "rules/interaction/disconnect-ends-session"],
    ["allow-second-session", ["rules/one-session-per-viewer/**"], "rules/one-session-per-viewer/second-start-refused"],
    ["accept-used-key", ["keys/**"], "keys/single-use"],
    ["sharer-token-can-subscribe", ["media/**"], "media/sharer-cannot-subscribe"],
    ["skip-event-sequence", ["stream/**"], "stream/sequence-and-final-event"],
  ];
  it.each(faults)("%s fails the suite", async (fault, run, expectedFailure) => {
    const report = await runAgainst({ ...SHORT, faults: [fault] }, run);
    console.log(`${fault}: ${failed(report).join(", ")}`);
    expect(report.ok).toBe(false);
    expect(failed(report)).toContain(expectedFailure);
  }, 120_000);
});

describe("the runner", () => {
  it("matches case names with slash-path patterns", () => {
    expect(matches("keys/single-use", "keys")).toBe(true);
    expect(matches("keys/single-use", "keys/*")).toBe(true);
    expect(matches("lifecycle/voice/KEY_REDEEMED", "lifecycle/*")).toBe(false);
    expect(matches("lifecycle/voice/KEY_REDEEMED", "lifecycle/**")).toBe(true);
    expect(matches("keysmith/x", "keys")).toBe(false);
  });

  it("checks the known-failing list both ways: a listed case that passes fails the run", async () => {
    const report = await runAgainst(SHORT, ["rules/server-info/**"], ["rules/server-info/advertises-v1"]);
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(false);
    expect(summary(report)).toContain("listed as known failing but passes");
  }, 60_000);

  it("names every problem of a vendor config", () => {
    expect(() => checkVendorConfig({ orgs: ["a", "a"] })).toThrow(/integrationApiKey[\s\S]*viewerTokens[\s\S]*orgs/);
  });
});
