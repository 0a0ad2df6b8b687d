/** The screenshare.v1 conformance suite, for programmatic runs; the CLI is `screenshare-conformance`. */
export { allCases, DEFAULT_RUN, matches, runConformance, type RunOptions, type RunReport } from "./runner.js";
export { deriveContract, documentedRules, type RpcContract } from "./contract.js";
export { ALL_WIRES, DEFAULT_WIRE, parseWire, type Wire } from "./wire.js";
export { checkVendorConfig, loadVendorConfig, type VendorConfig, type ViewerTokenSource } from "./config.js";
export { junit, summary } from "./report.js";
export type { Case, CaseResult } from "./case.js";
