import { defineConfig } from "vitest/config";

// The test StrykerJS runs for each mutant (scripts/mutation.sh): fast conformance cases, in-process servers.
export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ["src/mutation/*.mutation.ts"],
    globalSetup: ["src/mutation/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
