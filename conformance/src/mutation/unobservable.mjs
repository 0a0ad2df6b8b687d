// A StrykerJS ignorer (stryker.config.mjs `ignorers`): mutants inside a log call (`log.*`, `this.log.*`,
// `console.*`) or a metrics call (`*.metrics.*`) are not tested. No client of the protocol can observe an
// operator's log line or a Prometheus counter, so no conformance case could ever kill them. Nor are mutants of a
// fault switch's check (`*.faults.has(...)`): every switch is off in a server the suite runs against, so the check
// mutated to false, or to another switch's name, is that server itself; the switches themselves are tested by the
// self-test that runs the suite against a server with each one on (docs/conformance.md).

/** `this.metrics.keyFailures.inc` -> ["this", "metrics", "keyFailures", "inc"]; undefined for computed callees. */
function chain(node) {
  if (node.type === "ThisExpression") return ["this"];
  if (node.type === "Identifier") return [node.name];
  if (node.type === "MemberExpression" && !node.computed && node.property.type === "Identifier") {
    const object = chain(node.object);
    return object && [...object, node.property.name];
  }
  return undefined;
}

const unobservable = (names) => names.length > 1 && (names.includes("metrics") || names.includes("console") || names.at(-2) === "log");
const faultSwitch = (names) => names.length > 1 && names.at(-2) === "faults" && names.at(-1) === "has";

export const strykerPlugins = [
  {
    kind: "Ignore",
    name: "unobservable",
    value: {
      shouldIgnore(path) {
        if (path.node.type !== "CallExpression") return undefined;
        const names = chain(path.node.callee);
        if (!names) return undefined;
        if (unobservable(names)) return `${names.join(".")}: logs and metrics are invisible to every client`;
        if (faultSwitch(names)) return "a fault switch's check: off in every server the suite runs against; the switches have their own self-test";
        return undefined;
      },
    },
  },
];
