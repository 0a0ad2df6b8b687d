// Writes the lifecycle docs generated from the machine; `--check` fails instead when the committed ones differ.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { driftedLifecycleDocs, renderLifecycleDocs } from "../src/docs.js";

const root = resolve(import.meta.dirname, "../../..");
if (process.argv.includes("--check")) {
  const drifted = driftedLifecycleDocs((path) => (existsSync(resolve(root, path)) ? readFileSync(resolve(root, path), "utf8") : undefined));
  for (const path of drifted) console.error(`${path} drifted from the machine: run 'pnpm --filter @screenshare/machine draw'`);
  process.exit(drifted.length > 0 ? 1 : 0);
}
for (const [path, content] of Object.entries(renderLifecycleDocs())) {
  writeFileSync(resolve(root, path), content);
  console.log(`wrote ${path}`);
}
