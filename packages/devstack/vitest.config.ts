import { defineConfig } from "vitest/config";

// The root config's timeouts do not reach glob-matched projects: this package's media test needs its own.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000 },
});
