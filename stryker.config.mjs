// StrykerJS over the reference server's contract code, with the conformance suite's fast cases against an
// in-process server (both stores) as the test: how much broken contract code would the suite notice?
// Run it with scripts/mutation.sh (not part of the test command: it takes tens of minutes). Results: docs/conformance.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "conformance/vitest.mutation.config.ts", related: false },
  // The code that decides what an RPC answers. engine.ts, session-writer.ts and the stores (state plumbing: writes,
  // timers, retention) are left out of the default run for its length: add them with --mutate.
  mutate: ["packages/server/src/{auth,keys,security-keys,credentials,interactions,validation}.ts", "packages/server/src/services/*.ts"],
  // The workspace's packages link each other through node_modules; mutating in place keeps those links.
  inPlace: true,
  coverageAnalysis: "perTest",
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
};
