// A StrykerJS ignorer (stryker.config.mjs `ignorers`): mutants inside a log call (`log.*`, `this.log.*`,
// `console.*`) or a metrics call (`*.metrics.*`) are not tested. No client of the protocol can observe an
// operator's log line or a Prometheus counter, so no conformance case could ever kill them.

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

export const strykerPlugins = [
  {
    kind: "Ignore",
    name: "unobservable",
    value: {
      shouldIgnore(path) {
        if (path.node.type !== "CallExpression") return undefined;
        const names = chain(path.node.callee);
        return names && unobservable(names) ? `${names.join(".")}: logs and metrics are invisible to every client` : undefined;
      },
    },
  },
];
