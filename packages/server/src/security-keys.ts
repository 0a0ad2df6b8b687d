import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type RedeemSecurityKeyResponse, RedeemSecurityKeyResponseSchema, RetryDelaySchema } from "@screenshare/protocol";
import type { ResolvedOptions } from "./config.js";
import { once } from "./idempotency.js";
import { generateKey, hashKey, normaliseKey } from "./keys.js";
import type { Metrics } from "./metrics.js";
import type { SessionRecord, Store } from "./store.js";
import { invalidArgument } from "./validation.js";

type LiveKey = NonNullable<SessionRecord["securityKey"]>;

/** What the key rules need of the engine's sessions: a read, and a compare-and-set change. */
export interface KeyedSessions {
  get(sessionId: string): Promise<SessionRecord | undefined>;
  /** Applies `change` with the engine's compare-and-set; the stored record afterwards (undefined if gone). */
  update(sessionId: string, change: (record: SessionRecord) => boolean): Promise<SessionRecord | undefined>;
}

/**
 * Every rule about security keys: issuing (unique among an org's live keys), the index by HMAC, redeeming
 * (rate limits per client and per org, a constant-time comparison) and each key's attempt budget.
 */
export class SecurityKeys {
  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly metrics: Metrics,
    private readonly sessions: KeyedSessions,
  ) {}

  /** Issues a fresh key for a session and indexes it; undo with {@link unissue} if the session is not written. */
  async issue(orgId: string, sessionId: string, expiresAt: number): Promise<LiveKey> {
    const { securityKeyLength, securityKeyMaxAttempts } = this.options.limits;
    for (let attempt = 0; attempt < 50; attempt++) {
      const key = generateKey(securityKeyLength);
      const hash = hashKey(this.options.keyIndexSecret, orgId, key);
      if (await this.store.putKey(orgId, hash, sessionId)) return { key, hash, expiresAt, attemptsRemaining: securityKeyMaxAttempts };
    }
    throw new ConnectError("no free security key could be issued; retry later", Code.ResourceExhausted);
  }

  /**
   * Takes a revoked key out of the index, once the session without it is written. Redemption does not rely on it
   * ({@link matches} checks the session itself): it keeps the index as small as the live keys, so a used key
   * neither holds memory nor blocks its digits from being issued again.
   */
  async release(orgId: string, key: LiveKey, sessionId: string): Promise<void> {
    if (this.options.faults.has("accept-used-key")) return;
    await this.store.deleteKey(orgId, key.hash, sessionId);
  }

  /** Undoes {@link issue} for a session that was never written with the key. */
  async unissue(orgId: string, key: LiveKey, sessionId: string): Promise<void> {
    await this.store.deleteKey(orgId, key.hash, sessionId);
  }

  /**
   * Finds the session whose live key `typed` is and hands it to `redeemed`; a wrong key is counted against the
   * client, the org and every live key of the org. A retry with the same idempotency key gets the first answer.
   */
  async redeem(
    orgId: string,
    typed: string,
    clientAddress: string,
    idempotencyKey: string,
    redeemed: (record: SessionRecord) => Promise<RedeemSecurityKeyResponse>,
  ): Promise<RedeemSecurityKeyResponse> {
    const length = this.options.limits.securityKeyLength;
    const key = normaliseKey(typed, length);
    if (!key) throw invalidArgument([{ field: "security_key", description: `must be ${length} digits (spaces and dashes are ignored)` }]);
    const client = `client:${clientAddress}`;
    const org = `org:${orgId}`;
    // One redeem at a time per org: every guess is counted before the next is checked, so a burst of parallel
    // guesses cannot overshoot a rate limit or a key's attempt budget.
    return this.store.withLock(`redeem:${orgId}`, async () => {
      const now = Date.now();
      const wait = Math.max(await this.store.retryAfter(client, now), await this.store.retryAfter(org, now));
      if (wait > 0) {
        this.metrics.keyFailures.inc({ reason: "rate_limited" });
        throw new ConnectError(`too many wrong security keys; retry in ${Math.ceil(wait / 1000)} s`, Code.ResourceExhausted, undefined, [
          { desc: RetryDelaySchema, value: create(RetryDelaySchema, { retryAfterMs: BigInt(wait) }) },
        ]);
      }
      const hash = hashKey(this.options.keyIndexSecret, orgId, key);
      const retention = this.options.limits.idempotencyRetentionMs;
      return once(this.store, retention, `redeem/${hash}/${idempotencyKey}`, idempotencyKey, RedeemSecurityKeyResponseSchema, async () => {
        const sessionId = await this.store.getKey(hash);
        const record = sessionId ? await this.sessions.get(sessionId) : undefined;
        if (!record || !this.matches(record, hash)) {
          await this.wrongKey(orgId, client, org);
          throw new ConnectError("no live session has this security key: check the digits, or ask the agent for a new key", Code.NotFound);
        }
        return redeemed(record);
      });
    });
  }

  /**
   * Whether the session's live key is the one typed: the only guard against a stale index entry, which the index
   * can be for a moment (it is cleaned after the session is written, see {@link release}) or for longer if that
   * clean-up failed. The hash covers org and digits, so one comparison checks both; comparing HMACs, which a
   * guesser cannot compute, leaks nothing through its timing.
   */
  private matches(record: SessionRecord, hash: string): boolean {
    return (record.securityKey?.hash ?? (this.options.faults.has("accept-used-key") ? hash : undefined)) === hash;
  }

  private async wrongKey(orgId: string, client: string, org: string): Promise<void> {
    this.metrics.keyFailures.inc({ reason: "wrong_key" });
    const { limits } = this.options;
    await this.store.failAttempt(client, limits.redeemAttemptsPerClient, limits.redeemWindowMs, Date.now());
    await this.store.failAttempt(org, limits.redeemAttemptsPerOrg, limits.redeemWindowMs, Date.now());
    // A wrong guess cannot be pinned on one key, so it costs every live key of the org an attempt.
    for (const sessionId of await this.store.orgKeySessions(orgId)) {
      const after = await this.sessions.update(sessionId, (record) => {
        const key = record.securityKey;
        // No key (the index entry is stale) or none of its attempts left: nothing to take.
        if (!key?.attemptsRemaining) return false;
        key.attemptsRemaining--;
        return true;
      });
      // An effect of the write, so only once it won: a spent key leaves the index.
      const key = after?.securityKey;
      if (key && key.attemptsRemaining === 0) await this.store.deleteKey(orgId, key.hash, sessionId);
    }
  }
}
