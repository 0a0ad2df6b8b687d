import type { Case } from "../case.js";
import { allCases, selects } from "../runner.js";

/** Cases that wait on neither media nor long timers: each takes well under a second. */
const FAST = [
  "matrix/**",
  "rules/**",
  "auth/**",
  "keys/**",
  "idempotency/**",
  "transfer/**",
  "stream/**",
  "invitations/**",
  "screen-selection/**",
  "lifecycle/**",
];
const SLOW = [
  "rules/state/cancel-while-sharing-refused",
  "rules/media-plane/**",
  "keys/expiry",
  "keys/ttl-restarts-on-regenerate",
  "keys/unpredictable",
  "keys/key-space-exhausted",
];
/** Lifecycle paths with a step that needs a media peer or waits for a timer. */
const MEDIA_OR_TIMER = /^lifecycle\/.*(SCREEN_TRACK|SHARER_JOINED|SHARER_DISCONNECTED|VIEWER_JOINED|VIEWER_DISCONNECTED|MEDIA_FAILED|TIMEOUT)/;
/** Timer cases, against a server whose key TTL and acceptance timeout are 1 s: each waits about that long. */
const TIMED = ["keys/expiry", "lifecycle/chat/TIMEOUT:acceptanceTimeout"];
/** Store-independent cases (viewer tokens and the integration key are checked before any read), left to the memory run. */
const STORE_INDEPENDENT = ["matrix/*/auth/viewer/**", "matrix/*/auth/integration/**", "auth/**"];

/** The cases of the mutation run: fast ones (all, or those that depend on the store) or the timer ones. */
export function mutationCases(kind: "fast" | "store-dependent" | "timed"): Case[] {
  if (kind === "timed") return allCases().filter((item) => selects(item.name, TIMED));
  const fast = allCases().filter((item) => selects(item.name, FAST) && !selects(item.name, SLOW) && !MEDIA_OR_TIMER.test(item.name));
  return kind === "fast" ? fast : fast.filter((item) => !selects(item.name, STORE_INDEPENDENT));
}

/**
 * The test a case runs in: its first name segment (two in the matrix: the RPC). A group's cases run side by side,
 * so a surviving mutant costs the waits of the slowest cases, not of all of them one after the other.
 */
export const groupOf = (name: string) =>
  name
    .split("/")
    .slice(0, name.startsWith("matrix/") ? 2 : 1)
    .join("/");

/** Groups whose cases wait (streams, polling, lifecycle paths) run after the quick ones. */
const SLOW_GROUPS = ["auth", "stream", "screen-selection", "invitations", "lifecycle"];

/**
 * Cases by group: the matrix first, then rules, keys and idempotency, the waiting groups last. Stryker runs a
 * mutant's covering tests in this order and stops at the first failure, so most mutants die in the quick groups.
 */
export function grouped(cases: readonly Case[]): Map<string, Case[]> {
  const groups = new Map<string, Case[]>();
  const rank = (name: string) => (name.startsWith("matrix/") ? 0 : SLOW_GROUPS.includes(groupOf(name)) ? 2 : 1);
  const ordered = [...cases].sort((a, b) => rank(a.name) - rank(b.name));
  for (const item of ordered) groups.set(groupOf(item.name), [...(groups.get(groupOf(item.name)) ?? []), item]);
  return groups;
}
