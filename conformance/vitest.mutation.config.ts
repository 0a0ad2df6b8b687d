import { defineConfig } from "vitest/config";

// The test StrykerJS runs for each mutant (scripts/mutation.sh): fast conformance cases, in-process servers.
export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ["src/mutation/*.mutation.ts"],
    globalSetup: ["src/mutation/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // One worker kept from mutant to mutant: the modules load once, not once per mutant (seconds each). Mutants
    // are switched at run time, and every server is started and stopped inside its own run.
    isolate: false,
  },
});
