import { defineConfig } from "vitest/config";

// Browser tests share one Chromium and one agent, so they run one after another.
export default defineConfig({ test: { include: ["e2e/**/*.test.ts", "src/**/*.test.ts"], testTimeout: 90_000, hookTimeout: 120_000, fileParallelism: false } });
