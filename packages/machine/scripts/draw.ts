// Writes the lifecycle docs generated from the machine; `--check` fails instead when the committed ones differ.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { renderLifecycleDocs } from "../src/docs.js";

const root = resolve(import.meta.dirname, "../../..");
const check = process.argv.includes("--check");
let drifted = 0;
for (const [path, content] of Object.entries(renderLifecycleDocs())) {
  const file = resolve(root, path);
  if (!check) {
    writeFileSync(file, content);
    console.log(`wrote ${path}`);
  } else if (readFileSync(file, "utf8") !== content) {
    console.error(`${path} drifted from the machine: run 'pnpm --filter @screenshare/machine draw'`);
    drifted++;
  }
}
process.exit(drifted > 0 ? 1 : 0);
