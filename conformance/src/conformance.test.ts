import type { Fault } from "@screenshare/server";
import { type ReferenceStack, type StackOptions, startReferenceStack } from "@screenshare/testkit";
import { describe, expect, it } from "vitest";
import { checkVendorConfig, SUGGESTED_SERVER_SETTINGS, type VendorConfig } from "./config.js";
import { documentedRules } from "./contract.js";
import { junit, summary } from "./report.js";
import { matches, type RunReport, runConformance } from "./runner.js";
import { ALL_WIRES, DEFAULT_WIRE, type Wire, wireName } from "./wire.js";

/** Short timeouts, as the suite asks vendors to run with. */
const SHORT: StackOptions = {
  ...SUGGESTED_SERVER_SETTINGS,
  // One org announces observers to the sharer and one keeps them silent, so the suite checks both policies.
  observerPolicy: { announced: true, byOrg: { "conformance-org-b": false } },
};

function vendorConfig(stack: ReferenceStack, knownFailing: string[] = []): VendorConfig {
  return checkVendorConfig({
    integrationApiKey: stack.integrationApiKey,
    viewerTokens: { kind: "hs256", ...stack.viewerTokens },
    orgs: ["conformance-org-a", "conformance-org-b"],
    livekit: { apiKey: stack.livekit.apiKey, apiSecret: stack.livekit.apiSecret },
    knownFailing,
  });
}

/**
 * Promises the reference server still breaks, each posted on the board for its owner; a listed case that starts
 * passing fails the run, so whoever fixes one removes it here.
 */
const KNOWN_FAILING: string[] = [];

const EVERYTHING = ["**"];

async function runAgainst(
  options: StackOptions,
  run: string[] = EVERYTHING,
  knownFailing: string[] = KNOWN_FAILING,
  wires: readonly Wire[] = [DEFAULT_WIRE],
): Promise<RunReport[]> {
  const stack = await startReferenceStack(options);
  // LiveKit stopped (SIGSTOP) and continued: the server's calls to it time out meanwhile.
  let paused: { resume(): Promise<void> } | undefined;
  const mediaOutage = {
    start: async () => {
      paused = stack.livekit.pause();
    },
    stop: async () => paused?.resume(),
  };
  try {
    const reports: RunReport[] = [];
    for (const wire of wires)
      reports.push(await runConformance({ url: stack.server.url, config: { ...vendorConfig(stack, knownFailing), mediaOutage }, parallel: 6, run, wire }));
    return reports;
  } finally {
    await stack.stop();
  }
}

const one = async (...args: Parameters<typeof runAgainst>) => (await runAgainst(...args))[0] as RunReport;

const failed = (report: RunReport) => report.results.filter((result) => result.status === "failed").map((result) => result.name);
/** Failures not listed as known, and known failures that pass. */
const unexpected = (report: RunReport) => report.results.filter((result) => (result.status === "failed") !== result.knownFailing).map((result) => result.name);

describe("the reference server", () => {
  it("passes every case, the two grace settings together cover every machine transition, and every rule of the contract is checked", async () => {
    const withGrace = await one(SHORT);
    console.log(summary(withGrace));
    expect(unexpected(withGrace)).toEqual([]);
    expect(withGrace.ok).toBe(true);
    const graceless = await one({ ...SHORT, timeouts: { ...SHORT.timeouts, viewerReconnectGraceMs: 0, sharerReconnectGraceMs: 0 } }, ["lifecycle/**"]);
    // 2-digit keys that live long enough to fill the key space (StartScreenShare's RESOURCE_EXHAUSTED).
    const shortKeys = await one({ limits: { securityKeyLength: 2 } }, ["keys/key-space-exhausted"]);
    expect(unexpected(shortKeys)).toEqual([]);
    console.log(summary(graceless));
    expect(unexpected(graceless)).toEqual([]);
    // Paths that need a reconnect grace cannot run on a graceless server: the summary says so, case by case.
    expect(summary(graceless)).toMatch(/^skip lifecycle\/\S+: needs reconnect grace > 0; the server advertises viewer 0 s, sharer 0 s$/m);
    const covered = new Set([...withGrace.transitionCoverage.covered, ...graceless.transitionCoverage.covered]);
    console.log(`lifecycle transition coverage over both runs: ${covered.size}/${withGrace.transitionCoverage.total}`);
    expect(covered.size).toBe(withGrace.transitionCoverage.total);
    const rules = new Set([...withGrace.matrixCoverage.covered, ...shortKeys.matrixCoverage.covered]);
    console.log(`contract matrix coverage over the runs: ${rules.size}/${withGrace.matrixCoverage.total}`);
    expect(documentedRules().filter((rule) => !rules.has(rule))).toEqual([]);
    expect(junit(withGrace)).toContain(`tests="${withGrace.results.length}" failures="${KNOWN_FAILING.length}"`);
  }, 240_000);
});

describe("the reference server on Redis", () => {
  it("passes every case with its state in Redis, over gRPC", async () => {
    const report = await one({ ...SHORT, redis: true }, EVERYTHING, KNOWN_FAILING, [{ protocol: "grpc", codec: "binary", httpVersion: "2" }]);
    // The failures in full (if any), then the two summary lines.
    console.log(
      `on Redis: ${summary(report)
        .split("\n")
        .filter((line, index, lines) => line.startsWith("FAIL") || index >= lines.length - 2)
        .join("\n")}`,
    );
    expect(unexpected(report)).toEqual([]);
    expect(report.ok).toBe(true);
  }, 240_000);
});

describe("every protocol", () => {
  const others = ALL_WIRES.filter((wire) => wireName(wire) !== wireName(DEFAULT_WIRE) && wireName(wire) !== "grpc+binary/http2");
  it(`passes the matrix of one RPC per credential kind and the stream cases over ${others.map(wireName).join(", ")}`, async () => {
    // Each credential kind and the streams, on every wire; the whole matrix runs over the two wires above.
    const run = [
      "matrix/ViewerService.GetSession/**",
      "matrix/WatchService.WatchSession/**",
      "matrix/SharerService.StopSharing/**",
      "matrix/SharerService.WatchInvitations/**",
      "matrix/InteractionService.TerminateSession/**",
      "matrix/*/auth/none/**",
      // errors.proto: an undeclared enum number is refused on every codec (binary carries it bare, JSON as a number).
      "matrix/*/undeclared-enum/**",
      "stream/sequence-and-final-event",
      "matrix/SharerService.PauseSharing/**",
      "matrix/SharerService.UnpauseSharing/**",
      "matrix/ViewerService.AskToUnpause/**",
      // The pause's promises over the wire; the reload case is about the lifecycle, not the protocol, and runs once.
      "media/pause-stops-frames-until-the-sharer-unpauses",
      "media/pause-only-the-sharer-unpauses",
      "rules/pause/**",
      "transfer/**",
      // Concurrent commands on one session: no lost event and no repeated sequence, whatever carries the calls.
      "keys/concurrent-regenerations-lose-no-event",
      "idempotency/failed-call-not-remembered",
      // viewer_service.proto: the token's org and sub are non-empty strings, whatever carries the call.
      "rules/auth/viewer-token-claims",
    ];
    const reports = await runAgainst(SHORT, run, KNOWN_FAILING, others);
    for (const report of reports) console.log(`${report.wire}: ${summary(report).split("\n").at(-1)}`);
    expect(reports.flatMap((report) => unexpected(report).map((name) => `${report.wire} ${name}`))).toEqual([]);
  }, 240_000);

  it("catches a server broken on gRPC-Web only", async () => {
    const [connect, grpcWeb] = await runAgainst(
      { ...SHORT, faults: ["grpc-web-lets-unauthenticated-through"] },
      ["matrix/ViewerService.GetSession/auth/**"],
      [],
      [DEFAULT_WIRE, { protocol: "grpc-web", codec: "binary", httpVersion: "1.1" }],
    );
    expect(connect?.ok).toBe(true);
    expect(grpcWeb?.ok).toBe(false);
    expect(failed(grpcWeb as RunReport)).toContain("matrix/ViewerService.GetSession/auth/viewer/expired");
  }, 120_000);
});

describe("broken servers are caught", () => {
  const faults: Array<[Fault, string[], string]> = [
    [
      "survive-interaction-disconnect",
      ["rules/interaction/disconnect-ends-session", "lifecycle/*/INTERACTION_DISCONNECTED"],
      "rules/interaction/disconnect-ends-session",
    ],
    ["allow-second-session", ["rules/one-session-per-viewer/**"], "rules/one-session-per-viewer/second-start-refused"],
    ["accept-used-key", ["keys/single-use", "keys/expiry"], "keys/single-use"],
    ["sharer-token-can-subscribe", ["media/**"], "media/sharer-cannot-subscribe"],
    ["skip-event-sequence", ["stream/**"], "stream/sequence-and-final-event"],
  ];
  it.each(faults)(
    "%s fails the suite",
    async (fault, run, expectedFailure) => {
      const report = await one({ ...SHORT, faults: [fault] }, run);
      console.log(`${fault}: ${unexpected(report).join(", ")}`);
      expect(report.ok).toBe(false);
      expect(unexpected(report)).toContain(expectedFailure);
    },
    120_000,
  );
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
    const report = await one(SHORT, ["rules/server-info/**"], ["rules/server-info/advertises-v1"]);
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(false);
    expect(summary(report)).toContain("listed as known failing but passes");
  }, 60_000);

  it("names every problem of a vendor config", () => {
    expect(() => checkVendorConfig({ orgs: ["a", "a"] })).toThrow(/integrationApiKey[\s\S]*viewerTokens[\s\S]*orgs/);
  });
});
