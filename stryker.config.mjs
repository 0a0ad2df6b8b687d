// StrykerJS over the reference server's contract code, with the conformance suite's fast cases against an
// in-process server (both stores) as the test: how much broken contract code would the suite notice?
// Run it with scripts/mutation.sh (not part of the test command: it takes tens of minutes). Results: docs/conformance.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner", "./conformance/src/mutation/unobservable.mjs"],
  // Log and metrics calls: no client can observe them (conformance/src/mutation/unobservable.mjs).
  ignorers: ["unobservable"],
  vitest: { configFile: "conformance/vitest.mutation.config.ts", related: false },
  // The code that decides what an RPC answers (issue 11's scope): auth, services, keys, engine, validation, both
  // stores. scripts/mutation.sh runs twice: the shared code against the memory store, redis-store.ts against Redis.
  mutate:
    process.env.MUTATION_STORES === "redis"
      ? ["packages/server/src/{redis-store,redis-scripts}.ts"]
      : [
          "packages/server/src/{auth,keys,security-keys,credentials,interactions,validation}.ts",
          "packages/server/src/services/*.ts",
          "packages/server/src/{engine,refusal,timer-runner,media-sync,session-writer,store,memory-store,heap}.ts",
        ],
  // The workspace's packages link each other through node_modules; mutating in place keeps those links.
  inPlace: true,
  coverageAnalysis: "perTest",
  ignoreStatic: true,
  // One core: the machine is shared (scripts/mutation.sh runs it under nice).
  concurrency: 1,
  timeoutMS: 10_000,
  // Reruns test only mutants whose code or covering tests changed; the file stays out of git (reports/).
  incremental: true,
  incrementalFile: "reports/mutation/stryker-incremental.json",
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
};
