import type { CaseContext } from "./context.js";

/** One conformance case. Its full name is a slash path, e.g. `rules/permission/missing-token`. */
export interface Case {
  name: string;
  /** Lifecycle machine transitions the case takes when it passes (lifecycle cases only). */
  transitions?: string[];
  /**
   * Contract rules (`Service.Method/rule`, see contract.ts) the case checks when it passes. An error rule counts
   * only if the server answered that RPC with that code during the case.
   */
  covers?: string[];
  /** Disturbs the server for everyone (a media outage): runs last, alone. */
  exclusive?: boolean;
  run(context: CaseContext): Promise<void>;
}

/** The outcome of one case. */
export interface CaseResult {
  name: string;
  status: "passed" | "failed" | "skipped";
  /** Listed as known failing. */
  knownFailing: boolean;
  durationMs: number;
  expected?: string;
  got?: string;
  message?: string;
}
