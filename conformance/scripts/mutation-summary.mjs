// Prints a StrykerJS JSON report's totals and its surviving mutants, one line each (scripts/mutation.sh).
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(process.argv[2] ?? "reports/mutation/mutation.json", "utf8"));
const counts = {};
const survivors = [];
for (const [file, { source, mutants }] of Object.entries(report.files)) {
  const lines = source.split("\n");
  for (const mutant of mutants) {
    counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
    if (mutant.status !== "Survived") continue;
    const line = mutant.location.start.line;
    survivors.push(
      `${file.replace("packages/server/src/", "")}:${line} ${mutant.mutatorName} \`${mutant.replacement.replace(/\s+/g, " ").slice(0, 80)}\` in \`${lines[line - 1]?.trim().slice(0, 100)}\``,
    );
  }
}
const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
const covered = detected + (counts.Survived ?? 0);
const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
console.log(survivors.join("\n"));
console.log(`mutants ${total}: ${JSON.stringify(counts)}`);
console.log(`score of covered mutants: ${((100 * detected) / covered).toFixed(1)}% (${detected} killed or timed out of ${covered} covered)`);
