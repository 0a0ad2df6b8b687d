import type { RunReport } from "./runner.js";

const xml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The readable summary: a line per failed case with what was expected and what came back, and a line per skipped
 * case saying why, so a vendor sees which server setting (usually a timeout too long) kept a case from running.
 */
export function summary(report: RunReport): string {
  const lines: string[] = [];
  const count = (status: string) => report.results.filter((result) => result.status === status).length;
  for (const result of report.results) {
    if (result.status === "failed" && !result.knownFailing) lines.push(`FAIL ${result.name}: ${result.message}`);
    if (result.status === "passed" && result.knownFailing) lines.push(`FAIL ${result.name}: listed as known failing but passes; remove it from knownFailing`);
    if (result.status === "failed" && result.knownFailing) lines.push(`known failing ${result.name}: ${result.message}`);
    if (result.status === "skipped") lines.push(`skip ${result.name}: ${result.message}`);
  }
  const { covered, total } = report.transitionCoverage;
  const matrix = report.matrixCoverage;
  lines.push(`contract matrix coverage: ${matrix.covered.length}/${matrix.total} rules checked; lifecycle transition coverage: ${covered.length}/${total}`);
  const selection = report.defaultSelection ? " (the default subset; --run '**' runs every case)" : "";
  lines.push(
    `conformance: ${count("passed")} passed, ${count("failed")} failed, ${count("skipped")} skipped in ${(report.durationMs / 1000).toFixed(1)} s over ${report.wire}${selection}`,
  );
  return lines.join("\n");
}

/** JUnit XML for CI systems. */
export function junit(report: RunReport): string {
  const failures = report.results.filter((result) => result.status === "failed").length;
  const cases = report.results.map((result) => {
    const open = `  <testcase classname="${xml(result.name.split("/").slice(0, -1).join("."))}" name="${xml(result.name)}" time="${(result.durationMs / 1000).toFixed(3)}"`;
    if (result.status === "skipped") return `${open}><skipped message="${xml(result.message ?? "")}"/></testcase>`;
    if (result.status === "failed")
      return `${open}><failure message="${xml(result.message ?? "")}">expected: ${xml(result.expected ?? "")}\ngot: ${xml(result.got ?? "")}</failure></testcase>`;
    return `${open}/>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="screenshare-conformance" tests="${report.results.length}" failures="${failures}" time="${(report.durationMs / 1000).toFixed(3)}">\n${cases.join("\n")}\n</testsuite>\n`;
}
