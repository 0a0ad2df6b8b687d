import { readFileSync } from "node:fs";
import { parse } from "yaml";

/**
 * The short timeouts and limits the suite asks vendors to run with (docs/conformance.md), in the reference
 * server's option names: the suite waits for real timers, so these make its timer cases quick and deterministic.
 */
export const SUGGESTED_SERVER_SETTINGS = {
  timeouts: {
    securityKeyTtlMs: 2_000,
    acceptanceTimeoutMs: 2_000,
    screenSelectionTimeoutMs: 6_000,
    viewerReconnectGraceMs: 2_000,
    sharerReconnectGraceMs: 2_000,
    maxSessionDurationMs: 15_000,
    pauseTimeoutMs: 8_000,
  },
  limits: { securityKeyMaxAttempts: 3, redeemAttemptsPerClient: 60, redeemAttemptsPerOrg: 20 },
} as const;

/** How the suite obtains viewer tokens for its test users. */
export type ViewerTokenSource =
  /**
   * Mint HS256 JWTs with the claims org, sub, permissions, iat and exp (and iss and aud when given), as the
   * reference server verifies them.
   */
  | { kind: "hs256"; secret: string; issuer?: string; audience?: string }
  /**
   * Run a command with ORG, USER, PERMISSIONS (comma-separated) and TIMING in its environment; it prints the
   * token. TIMING is empty for a valid token, "expired" for one that expired an hour ago, "not-yet-valid" for one
   * valid only from an hour on, "foreign-issuer" or "foreign-audience" for an otherwise valid token whose iss or
   * aud is one the server is not configured to accept.
   */
  | { kind: "command"; command: string };

/** The vendor's configuration file (YAML or JSON). */
export interface VendorConfig {
  /** Bearer key for InteractionService. */
  integrationApiKey: string;
  viewerTokens: ViewerTokenSource;
  /** Two orgs the suite may create interactions in; sessions of one must be invisible from the other. */
  orgs: [string, string];
  /**
   * The LiveKit server the vendor's server uses. `apiKey`/`apiSecret` are optional: with them the suite can
   * delete a room to provoke MEDIA_FAILED; without them those paths are skipped.
   */
  livekit?: { apiKey?: string; apiSecret?: string };
  /**
   * Optional: how to take the server's media plane down and bring it back (shell commands, or functions in
   * programmatic runs), for the case that StartScreenShare answers UNAVAILABLE then. It runs last and alone.
   */
  mediaOutage?: { start: string | (() => Promise<void>); stop: string | (() => Promise<void>) };
  /** Case-name patterns known to fail; a listed case that passes fails the run, so the list never goes stale. */
  knownFailing: string[];
}

/** Reads and checks a vendor config; every problem is named with the field to fix. */
export function loadVendorConfig(path: string): VendorConfig {
  const text = readFileSync(path, "utf8");
  return checkVendorConfig(path.endsWith(".json") ? JSON.parse(text) : parse(text), path);
}

export function checkVendorConfig(raw: unknown, source = "config"): VendorConfig {
  const problems: string[] = [];
  const value = (raw ?? {}) as Record<string, unknown>;
  if (typeof value.integrationApiKey !== "string" || !value.integrationApiKey) problems.push("integrationApiKey: a non-empty string is required");
  const tokens = value.viewerTokens as Record<string, unknown> | undefined;
  if (!tokens || (tokens.kind === "hs256" ? typeof tokens.secret !== "string" : tokens.kind === "command" ? typeof tokens.command !== "string" : true)) {
    problems.push('viewerTokens: use { kind: hs256, secret: "…" } or { kind: command, command: "…" }');
  }
  for (const claim of ["issuer", "audience"] as const) {
    if (tokens?.kind === "hs256" && tokens[claim] !== undefined && typeof tokens[claim] !== "string")
      problems.push(`viewerTokens.${claim}: a string, or leave it out`);
  }
  const orgs = value.orgs ?? ["conformance-org-a", "conformance-org-b"];
  if (!Array.isArray(orgs) || orgs.length !== 2 || orgs.some((org) => typeof org !== "string") || orgs[0] === orgs[1]) {
    problems.push("orgs: two different org ids are required");
  }
  const knownFailing = value.knownFailing ?? [];
  if (!Array.isArray(knownFailing) || knownFailing.some((pattern) => typeof pattern !== "string")) problems.push("knownFailing: a list of case-name patterns");
  const outage = value.mediaOutage as Record<string, unknown> | undefined;
  if (outage !== undefined && (["start", "stop"] as const).some((key) => !["string", "function"].includes(typeof outage?.[key]))) {
    problems.push("mediaOutage: { start: <command>, stop: <command> }, or leave it out");
  }
  if (problems.length > 0) throw new Error(`${source} is not a valid vendor config:\n  ${problems.join("\n  ")}`);
  return {
    integrationApiKey: value.integrationApiKey as string,
    viewerTokens: tokens as unknown as ViewerTokenSource,
    orgs: orgs as [string, string],
    ...(value.livekit ? { livekit: value.livekit as VendorConfig["livekit"] } : {}),
    ...(outage ? { mediaOutage: outage as VendorConfig["mediaOutage"] } : {}),
    knownFailing: knownFailing as string[],
  };
}
