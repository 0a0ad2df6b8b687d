import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { renderLifecycleDocs } from "./docs.js";
import { END_REASONS } from "./machine.js";
import { listTransitions } from "./paths.js";

const root = resolve(import.meta.dirname, "../../..");

describe("generated lifecycle docs", () => {
  const docs = renderLifecycleDocs();

  it("are committed as generated (run `pnpm --filter @screenshare/machine draw` after changing the machine)", () => {
    for (const [path, content] of Object.entries(docs)) expect(readFileSync(resolve(root, path), "utf8"), path).toBe(content);
  });

  it("list every transition and every end reason with its origins", () => {
    const markdown = docs["docs/lifecycle.md"] ?? "";
    const rows = markdown.split("\n").filter((line) => line.startsWith("| `live") || line.startsWith("| `session"));
    expect(markdown).toContain(`## Every transition (${listTransitions().length})`);
    for (const reason of END_REASONS) expect(markdown).toMatch(new RegExp(`\\| \`${reason}\` \\| \`.+`));
    expect(rows.length).toBeGreaterThan(0);
    expect(markdown).toContain("stateDiagram-v2");
  });

  it("export the machine config as JSON for Stately's editor", () => {
    const config = JSON.parse(docs["docs/lifecycle.stately.json"] ?? "{}");
    expect(config.id).toBe("session");
    expect(Object.keys(config.states)).toEqual(["live", "ended"]);
  });
});
