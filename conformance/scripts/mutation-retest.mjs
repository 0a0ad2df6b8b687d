// Makes the next incremental mutation run test surviving mutants again. StrykerJS reuses a survivor's result while
// its code and its covering tests are unchanged, and a test here is a group of cases whose code lives outside the
// test file: a new or strengthened case does not count as a change. This drops the survivors (of the named files,
// or of every file) from the incremental file, so scripts/mutation.sh tests them again; killed mutants are kept.
//   node conformance/scripts/mutation-retest.mjs reports/mutation/stryker-incremental.json [packages/server/src/auth.ts ...]
import { readFileSync, writeFileSync } from "node:fs";

const [file, ...only] = process.argv.slice(2);
if (!file) {
  console.error("usage: mutation-retest.mjs <stryker-incremental.json> [source file ...]");
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, "utf8"));
const unknown = only.filter((name) => !(name in report.files));
if (unknown.length > 0) {
  console.error(`not in ${file}: ${unknown.join(", ")}; known: ${Object.keys(report.files).join(", ")}`);
  process.exit(2);
}
let dropped = 0;
for (const [name, result] of Object.entries(report.files)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const kept = result.mutants.filter((mutant) => mutant.status !== "Survived");
  dropped += result.mutants.length - kept.length;
  result.mutants = kept;
}
writeFileSync(file, JSON.stringify(report));
console.log(`${dropped} survivors will be tested again by the next run`);
