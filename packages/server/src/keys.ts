import { createHmac, randomBytes, randomInt } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ResolvedOptions } from "./config.js";

/**
 * The live security keys. Keys are indexed by an HMAC of org and digits under a per-process secret, so the raw
 * digits are never a map key and a lookup's timing says nothing about other keys.
 */
export class KeyRing {
  private readonly secret = randomBytes(32);
  private readonly byHash = new Map<string, { orgId: string; sessionId: string }>();
  private readonly byOrg = new Map<string, Set<string>>();

  constructor(private readonly options: ResolvedOptions) {}

  /** Issues a fresh key, unique among the org's live keys. */
  issue(orgId: string, sessionId: string, expiresAt: number): { key: string; expiresAt: number; attemptsRemaining: number } {
    const length = this.options.limits.securityKeyLength;
    for (let attempt = 0; attempt < 50; attempt++) {
      const key = String(randomInt(0, 10 ** length)).padStart(length, "0");
      const hash = this.hash(orgId, key);
      if (this.byHash.has(hash)) continue;
      this.byHash.set(hash, { orgId, sessionId });
      const sessions = this.byOrg.get(orgId) ?? new Set();
      sessions.add(sessionId);
      this.byOrg.set(orgId, sessions);
      return { key, expiresAt, attemptsRemaining: this.options.limits.securityKeyMaxAttempts };
    }
    throw new ConnectError("no free security key could be issued; retry later", Code.ResourceExhausted);
  }

  /** The session a typed key belongs to, if it is live. */
  find(orgId: string, key: string): string | undefined {
    const entry = this.byHash.get(this.hash(orgId, key));
    return entry?.orgId === orgId ? entry.sessionId : undefined;
  }

  revoke(orgId: string, key: string): void {
    const entry = this.byHash.get(this.hash(orgId, key));
    this.byHash.delete(this.hash(orgId, key));
    if (entry) this.byOrg.get(orgId)?.delete(entry.sessionId);
  }

  /** Sessions of an org that hold a live key. */
  liveKeySessions(orgId: string): string[] {
    return [...(this.byOrg.get(orgId) ?? [])];
  }

  private hash(orgId: string, key: string): string {
    return createHmac("sha256", this.secret).update(`${orgId}\u0000${key}`).digest("base64url");
  }
}

/** Removes the spaces and dashes people type; the rest must be the key's digits. */
export function normaliseKey(typed: string, length: number): string | undefined {
  const digits = typed.replace(/[\s-]/g, "");
  return new RegExp(`^\\d{${length}}$`).test(digits) ? digits : undefined;
}

/**
 * Counts wrong attempts per subject (a client address or an org) in fixed windows. Past the limit a subject is
 * blocked until the window ends, and each further block lasts twice as long as the one before.
 */
export class AttemptLimiter {
  private readonly subjects = new Map<string, { windowStart: number; failures: number; blockedUntil: number; strikes: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds until `subject` may try again; 0 when it may now. */
  retryAfter(subject: string, now = Date.now()): number {
    const state = this.subjects.get(subject);
    return state && state.blockedUntil > now ? state.blockedUntil - now : 0;
  }

  fail(subject: string, now = Date.now()): void {
    const state = this.subjects.get(subject) ?? { windowStart: now, failures: 0, blockedUntil: 0, strikes: 0 };
    if (now - state.windowStart >= this.windowMs) Object.assign(state, { windowStart: now, failures: 0 });
    state.failures++;
    if (state.failures >= this.limit) {
      state.strikes++;
      state.blockedUntil = now + this.windowMs * 2 ** (state.strikes - 1);
      state.windowStart = state.blockedUntil;
      state.failures = 0;
    }
    this.subjects.set(subject, state);
  }
}
