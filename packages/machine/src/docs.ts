import type { AnyStateNode } from "xstate";
import { END_REASONS, sessionMachine, timerOf } from "./machine.js";
import { definitionOf, listTransitions, type TransitionInfo } from "./paths.js";

/** The generated documentation files, by path relative to the repository root. */
export type LifecycleDocs = Record<string, string>;

const short = (id: string) => id.split(".").at(-1) ?? id;

/** `TIMEOUT:securityKeyTtl` -> `after securityKeyTtl`. */
function eventLabel(event: string): string {
  const timer = timerOf(event);
  return timer ? `after ${timer}` : event;
}

function endReasonOf(transition: TransitionInfo): string | undefined {
  return transition.actions.includes("recordEnd") ? findEndReason(transition) : undefined;
}

/** The end reason a transition records, read from the machine definition's parameterized action. */
function findEndReason(transition: TransitionInfo): string | undefined {
  for (const action of definitionOf(transition)?.actions ?? []) {
    const params = (action as { params?: { reason?: string } }).params;
    if (params?.reason) return params.reason;
  }
  return undefined;
}

function nodeById(id: string, node: AnyStateNode = sessionMachine.root): AnyStateNode | undefined {
  if (node.id === id) return node;
  for (const child of Object.values(node.states)) {
    const found = nodeById(id, child);
    if (found) return found;
  }
  return undefined;
}

/** One chart edge per (source, target): its transitions' labels stacked, so the chart stays narrow. */
function mermaid(transitions: TransitionInfo[]): string {
  const lines = ["stateDiagram-v2", "  [*] --> live"];
  const label = (transition: TransitionInfo) => {
    const guard = transition.guard ? ` [${transition.guard}]` : "";
    if (transition.event === "always") return guard.trim();
    const note = transition.targets.length === 0 ? " (stays)" : transition.reenter ? " (re-enters)" : "";
    // An ending shows its end reason where the event does not already say it.
    const reason = endReasonOf(transition);
    const ending = reason && reason !== transition.event ? ` / ${reason}` : "";
    return `${eventLabel(transition.event)}${guard}${note}${ending}`;
  };
  const nodeName = (id: string) => (id === "session.live" ? "live" : short(id));
  const edges = (group: TransitionInfo[]) => {
    const byEnds = new Map<string, string[]>();
    for (const transition of group) {
      const ends = `${nodeName(transition.source)} --> ${nodeName(transition.targets[0] ?? transition.source)}`;
      byEnds.set(ends, [...(byEnds.get(ends) ?? []), label(transition)].filter(Boolean));
    }
    return [...byEnds].map(([ends, labels]) => (labels.length ? `${ends}: ${labels.join("<br/>")}` : ends));
  };
  const inside = (region: string) =>
    transitions.filter(
      (transition) =>
        transition.source.startsWith(`session.live.${region}.`) && transition.targets.every((target) => target.startsWith(`session.live.${region}.`)),
    );
  lines.push("  state live {");
  for (const [index, region] of ["lifecycle", "viewer"].entries()) {
    if (index > 0) lines.push("    --");
    const initial = short(String(nodeById(`session.live.${region}`)?.config.initial));
    lines.push(`    state ${region} {`, `      [*] --> ${initial}`);
    for (const line of edges(inside(region))) lines.push(`      ${line}`);
    lines.push("    }");
  }
  lines.push("  }");
  const internal = new Set([...inside("lifecycle"), ...inside("viewer")]);
  for (const line of edges(transitions.filter((transition) => !internal.has(transition)))) lines.push(`  ${line}`);
  lines.push("  ended --> [*]");
  return lines.join("\n");
}

function table(transitions: TransitionInfo[]): string {
  const rows = transitions.map((transition) =>
    [
      `\`${transition.source.replace(/^session\./, "")}\``,
      `\`${eventLabel(transition.event)}\``,
      transition.guard ? `\`${transition.guard}\`` : "",
      transition.targets.length ? transition.targets.map((target) => `\`${target.replace(/^session\./, "")}\``).join(", ") : "(stays)",
      [...transition.actions, ...(endReasonOf(transition) ? [`end: ${endReasonOf(transition)}`] : [])].filter((action) => action !== "recordEnd").join(", "),
    ].join(" | "),
  );
  return ["| state | event | guard | target | actions |", "| --- | --- | --- | --- | --- |", ...rows.map((row) => `| ${row} |`)].join("\n");
}

function endReasons(transitions: TransitionInfo[]): string {
  const lines = ["| end reason | from states (event) |", "| --- | --- |"];
  for (const reason of END_REASONS) {
    const origins = transitions
      .filter((transition) => endReasonOf(transition) === reason)
      .map((transition) => {
        const guard = transition.guard ? ` [${transition.guard}]` : "";
        return `\`${transition.source.replace(/^session\./, "")}\` (${eventLabel(transition.event)}${guard})`;
      });
    lines.push(`| \`${reason}\` | ${origins.join(", ")} |`);
  }
  return lines.join("\n");
}

function entryExit(): string {
  const lines = ["| state | on entry | on exit |", "| --- | --- | --- |"];
  const visit = (node: AnyStateNode) => {
    const names = (actions: readonly unknown[]) =>
      actions.map((action) => (typeof action === "string" ? action : ((action as { type?: string }).type ?? "inline"))).join(", ");
    if (node.entry.length || node.exit.length) {
      lines.push(`| \`${node.id.replace(/^session\.?/, "") || "session"}\` | ${names(node.entry)} | ${names(node.exit)} |`);
    }
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(sessionMachine.root);
  return lines.join("\n");
}

/**
 * The generated files whose committed text differs from what the machine generates now (missing ones included).
 * `read` returns a file's committed text by repository-relative path, or undefined when there is none.
 */
export function driftedLifecycleDocs(read: (path: string) => string | undefined): string[] {
  return Object.entries(renderLifecycleDocs())
    .filter(([path, content]) => read(path) !== content)
    .map(([path]) => path);
}

/** Renders docs/lifecycle.md and docs/lifecycle.stately.json from the machine definition. */
export function renderLifecycleDocs(): LifecycleDocs {
  const transitions = listTransitions();
  const markdown = `# The session lifecycle

Generated from \`packages/machine/src/machine.ts\` by \`pnpm --filter @screenshare/machine draw\`; do not edit.
A test fails when this file drifts from the machine. \`docs/lifecycle.svg\` is the chart for offline readers
(\`pnpm --filter @screenshare/machine draw:svg\`). \`docs/lifecycle.stately.json\` is the machine's configuration as
JSON: to open it in Stately's editor, choose Import from code and paste \`createMachine(\` + the file + \`)\`.

A session is \`live\` with two parallel regions, the lifecycle and the viewer's connection, until it is \`ended\`.
The protocol's single \`SessionState\` flattens them: a reconnecting sharer outranks a reconnecting viewer, which
outranks the lifecycle state. Timers (\`after …\`) take their delays from configuration; each deadline is also kept
in the machine's context so that a host can re-arm it after a restart, and a timer that fires before the deadline its
state holds now (armed for an earlier visit, its cancellation lost in a race) is ignored.

\`\`\`mermaid
${mermaid(transitions)}
\`\`\`

## Every transition (${transitions.length})

${table(transitions)}

## Entry and exit effects

Effects are carried out by the host (the server); the machine only names them.

${entryExit()}

## Every end reason and where it comes from

Besides these, \`live\` ends from every state on \`INTERACTION_DISCONNECTED\`, \`ADMINISTRATOR_TERMINATED\`,
\`MEDIA_FAILED\` and \`after maxSessionDuration\`.

${endReasons(transitions)}
`;
  const stately = JSON.stringify(sessionMachine.config, (_key, value) => (typeof value === "function" ? undefined : value), 2);
  return { "docs/lifecycle.md": markdown, "docs/lifecycle.stately.json": `${stately}\n` };
}
