/** The screenshare.v1 conformance suite, for programmatic runs; the CLI is `screenshare-conformance`. */

export type { Case, CaseResult } from "./case.js";
export { checkVendorConfig, loadVendorConfig, SUGGESTED_SERVER_SETTINGS, type VendorConfig, type ViewerTokenSource } from "./config.js";
export { deriveContract, documentedRules, type RpcContract } from "./contract.js";
export { junit, summary } from "./report.js";
export { allCases, DEFAULT_RUN, matches, type RunOptions, type RunReport, runConformance } from "./runner.js";
export { ALL_WIRES, DEFAULT_WIRE, parseWire, type Wire } from "./wire.js";
