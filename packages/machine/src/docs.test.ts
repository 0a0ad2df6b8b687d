import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createMachine } from "xstate";
import { driftedLifecycleDocs, renderLifecycleDocs } from "./docs.js";
import { END_REASONS, TIMERS } from "./machine.js";
import { listTransitions } from "./paths.js";

const root = resolve(import.meta.dirname, "../../..");
const committed = (path: string) => (existsSync(resolve(root, path)) ? readFileSync(resolve(root, path), "utf8") : undefined);

describe("generated lifecycle docs", () => {
  const docs = renderLifecycleDocs();

  it("are committed as generated (run `pnpm --filter @screenshare/machine draw` after changing the machine)", () => {
    expect(driftedLifecycleDocs(committed)).toEqual([]);
  });

  it("the drift check names a file that differs or is missing", () => {
    const edited = (path: string) => (path === "docs/lifecycle.md" ? `${docs[path]}edited by hand\n` : docs[path]);
    expect(driftedLifecycleDocs(edited)).toEqual(["docs/lifecycle.md"]);
    expect(driftedLifecycleDocs(() => undefined).sort()).toEqual(Object.keys(docs).sort());
  });

  it("list every transition, chart every edge with its delay or guard, and list every end reason with its origins", () => {
    const markdown = docs["docs/lifecycle.md"] ?? "";
    const transitions = listTransitions();
    expect(markdown).toContain(`## Every transition (${transitions.length})`);
    const section = markdown.split("## Every transition")[1]?.split("\n## ")[0] ?? "";
    const rows = section.split("\n").filter((line) => /^\| `(live|ended)/.test(line));
    expect(rows.length).toBe(transitions.length);
    for (const reason of END_REASONS) expect(markdown).toMatch(new RegExp(`\\| \`${reason}\` \\| \`.+`));
    const chart = /```mermaid\n([\s\S]*?)```/.exec(markdown)?.[1] ?? "";
    expect(chart.startsWith("stateDiagram-v2")).toBe(true);
    expect(chart).toContain("--"); // the parallel regions
    for (const delay of TIMERS) expect(chart).toContain(`after ${delay}`);
    for (const guard of ["isVoice", "noSharerGrace", "noViewerGrace"]) expect(chart).toContain(`[${guard}]`);
    for (const transition of transitions.filter((t) => t.event !== "always" && !t.event.startsWith("TIMEOUT:"))) {
      expect(chart, transition.id).toContain(transition.event);
    }
  });

  it("export the machine's configuration as JSON that builds the same machine (what Stately's import reads)", () => {
    const config = JSON.parse(docs["docs/lifecycle.stately.json"] ?? "{}");
    expect(config.id).toBe("session");
    const rebuilt = createMachine(config);
    const shape = ({ id, guard, targets, actions, reenter }: ReturnType<typeof listTransitions>[number]) => ({ id, guard, targets, actions, reenter });
    expect(listTransitions(rebuilt).map(shape)).toEqual(listTransitions().map(shape));
  });
});
