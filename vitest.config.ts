import { existsSync } from "node:fs";
import { defineConfig } from "vitest/config";

// Each package is its own project; folders that do not exist yet are left out.
const projects = ["packages/*", "apps/*", "conformance", "bench", "examples"].filter((pattern) => pattern.includes("*") || existsSync(pattern));

export default defineConfig({
  test: { projects, testTimeout: 30_000, hookTimeout: 60_000 },
});
