import { defineConfig } from "vitest/config";

// The root config's timeouts do not reach glob-matched projects: the proto tool tests run buf several times.
export default defineConfig({ test: { testTimeout: 60_000 } });
