import { timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { type CompactJWSHeaderParameters, createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify, SignJWT } from "jose";
import { LRUCache } from "lru-cache";

/** The permission every ViewerService call needs. */
export const VIEW_PERMISSION = "screenshare:session:view";
/** The permission every MonitorService call needs; the view permission does not stand in for it. */
export const MONITOR_PERMISSION = "screenshare:session:monitor";

/** Signature algorithms a viewer token may use: HS256 with the shared secret, the others with a JWKS key. */
export const ASYMMETRIC_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;

/** A verified viewer. */
export interface Viewer {
  orgId: string;
  userId: string;
}

/** How the server checks viewer tokens; see docs/security.md ("Viewer tokens"). */
export interface ViewerTokenOptions {
  /** Shared HS256 secret, at least 32 bytes. */
  secret?: string;
  /**
   * Public keys for RS256, ES256 and EdDSA tokens, as a JWKS: an `https://` URL (plain `http://` only on loopback)
   * or a file path. Keys are picked by `kid`; a token with an unknown `kid` makes the server fetch (or re-read) the
   * set, so an issuer rotates keys by publishing the new one before signing with it.
   */
  jwks?: string;
  /** The `iss` every token must carry. */
  issuer: string;
  /** The `aud` every token must carry (one of its values, when `aud` is a list). */
  audience: string;
  /** Longest accepted token lifetime (`exp - iat`) and age; 12 hours by default. */
  maxLifetimeSeconds?: number;
  /** Clock difference tolerated on `iat`, `nbf` and `exp`; 60 s by default. */
  clockSkewSeconds?: number;
  /** Least time between two fetches of a JWKS URL (a flood of unknown `kid`s costs one fetch per period); 30 s. */
  jwksCooldownMs?: number;
}

export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 12 * 60 * 60;
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

/** The bearer token of a request, or UNAUTHENTICATED. */
export function bearer(header: Headers): string {
  const value = header.get("authorization") ?? "";
  const match = /^Bearer (\S+)$/i.exec(value);
  if (!match?.[1]) throw new ConnectError('send "Authorization: Bearer <token>"', Code.Unauthenticated);
  return match[1];
}

/** Checks the options a server is given; throws naming the first problem. */
export function checkViewerTokenOptions(options: ViewerTokenOptions): void {
  if (!options.secret && !options.jwks) throw new Error("viewer tokens need a secret (HS256) or a JWKS (RS256, ES256, EdDSA)");
  if (options.secret !== undefined && Buffer.byteLength(options.secret) < 32) throw new Error("the viewer token secret must be at least 32 bytes");
  if (!options.issuer) throw new Error("viewer tokens need an issuer (the iss every token must carry)");
  if (!options.audience) throw new Error("viewer tokens need an audience (the aud every token must carry)");
  if (options.jwks && /^[a-z]+:\/\//i.test(options.jwks)) {
    const url = new URL(options.jwks);
    const loopback = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(url.hostname);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
      throw new Error(`the JWKS URL must be https (plain http only on loopback): ${options.jwks}`);
    }
  }
  for (const [name, value] of [
    ["maxLifetimeSeconds", options.maxLifetimeSeconds],
    ["clockSkewSeconds", options.clockSkewSeconds],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new Error(`viewer token ${name} must be a number of seconds >= 0`);
  }
}

/** The keys of a JWKS file, re-read whenever the file changes, so rotating keys needs no restart. */
function jwksFile(path: string): JWTVerifyGetKey {
  let loaded: { mtimeMs: number; keys: JWTVerifyGetKey } | undefined;
  return async (header: CompactJWSHeaderParameters, token) => {
    const { mtimeMs } = await stat(path);
    if (loaded?.mtimeMs !== mtimeMs) loaded = { mtimeMs, keys: createLocalJWKSet(JSON.parse(await readFile(path, "utf8"))) };
    return loaded.keys(header, token);
  };
}

/** Verifies a viewer token (signature, iss, aud, exp, iat, lifetime; claims org, sub, permissions) at `now`. */
function tokenChecker(options: ViewerTokenOptions, now: () => number, permission: string) {
  checkViewerTokenOptions(options);
  const secret = options.secret === undefined ? undefined : new TextEncoder().encode(options.secret);
  const jwks =
    options.jwks === undefined
      ? undefined
      : /^https?:\/\//i.test(options.jwks)
        ? createRemoteJWKSet(new URL(options.jwks), { cooldownDuration: options.jwksCooldownMs ?? 30_000 })
        : jwksFile(options.jwks);
  const algorithms = [...(secret ? ["HS256"] : []), ...(jwks ? ASYMMETRIC_ALGORITHMS : [])];
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const key: JWTVerifyGetKey = (header, token) => (header.alg === "HS256" ? (secret as Uint8Array) : (jwks as JWTVerifyGetKey)(header, token));

  return async (token: string): Promise<{ value: Viewer; expiresAt: number }> => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ["exp", "iat"],
        maxTokenAge: maxLifetime,
        clockTolerance: skew,
        currentDate: new Date(now()),
      }));
    } catch (error) {
      throw new ConnectError(`viewer token rejected: ${(error as Error).message}`, Code.Unauthenticated, undefined, undefined, error);
    }
    const { org, sub, permissions, exp, iat } = payload as { org?: unknown; sub?: unknown; permissions?: unknown; exp: number; iat: number };
    if (exp - iat > maxLifetime) {
      throw new ConnectError(`viewer token rejected: it lives ${exp - iat} s, longer than the ${maxLifetime} s this server accepts`, Code.Unauthenticated);
    }
    if (typeof org !== "string" || typeof sub !== "string" || !org || !sub) {
      throw new ConnectError('viewer token needs the claims "org" and "sub"', Code.Unauthenticated);
    }
    if (!Array.isArray(permissions) || !permissions.includes(permission)) {
      throw new ConnectError(`token lacks the permission ${permission}`, Code.PermissionDenied);
    }
    return { value: { orgId: org, userId: sub }, expiresAt: exp * 1000 };
  };
}

/**
 * The viewer verifier of a server: it remembers tokens it accepted until they expire, because an agent's console
 * sends the same token on every call and checking its signature each time was a measurable share of a lifecycle.
 */
export function viewerVerifier(
  options: ViewerTokenOptions,
  { capacity = 10_000, now = Date.now, permission = VIEW_PERMISSION } = {},
): (token: string) => Promise<Viewer> {
  return rememberAccepted(tokenChecker(options, now, permission), { capacity, now });
}

/**
 * Wraps a token check so that a token it accepted is accepted again without checking, until the expiry the check
 * returned. Only accepted tokens are kept, keyed by the whole token, so a failing token is checked every time;
 * at `capacity` the least recently used is dropped, which bounds what a flood of distinct tokens can take.
 */
export function rememberAccepted<T extends {}>(
  check: (token: string) => Promise<{ value: T; expiresAt: number }>,
  { capacity, now }: { capacity: number; now: () => number },
): (token: string) => Promise<T> {
  // ttlResolution 0: staleness is decided by `now` on every read, never by a clock value cached for a millisecond.
  const accepted = new LRUCache<string, T>({ max: capacity, ttlResolution: 0, perf: { now } });
  return async (token) => {
    const known = accepted.get(token);
    if (known !== undefined) return known;
    const checked = await check(token);
    // A ttl of 0 would mean "never expires", so a token at its last millisecond is kept for one.
    accepted.set(token, checked.value, { ttl: Math.max(checked.expiresAt - now(), 1) });
    return checked.value;
  };
}

/** Mints an HS256 viewer token the way the reference server verifies it; for tests, the demo and the conformance suite. */
export function mintViewerToken(options: {
  secret: string;
  issuer: string;
  audience: string;
  org: string;
  sub: string;
  permissions: readonly string[];
  ttlSeconds?: number;
}): Promise<string> {
  return new SignJWT({ org: options.org, permissions: [...options.permissions] })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 3600}s`)
    .sign(new TextEncoder().encode(options.secret));
}

/** Constant-time string comparison. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
