import { defineConfig } from "vitest/config";

// The root config's timeouts do not reach glob-matched projects: tests here start real LiveKit and Redis.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 120_000 } });
