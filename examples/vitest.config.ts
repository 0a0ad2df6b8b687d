import { defineConfig } from "vitest/config";

// Builds the Go example and starts real LiveKit: a cold Go build alone can take a minute on 2 cores.
export default defineConfig({ test: { testTimeout: 120_000, hookTimeout: 240_000 } });
