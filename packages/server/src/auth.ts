import { timingSafeEqual } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { jwtVerify, SignJWT } from "jose";

/** The permission every ViewerService call needs. */
export const VIEW_PERMISSION = "screenshare:session:view";

/** A verified viewer. */
export interface Viewer {
  orgId: string;
  userId: string;
}

/** The bearer token of a request, or UNAUTHENTICATED. */
export function bearer(header: Headers): string {
  const value = header.get("authorization") ?? "";
  const match = /^Bearer (\S+)$/i.exec(value);
  if (!match?.[1]) throw new ConnectError('send "Authorization: Bearer <token>"', Code.Unauthenticated);
  return match[1];
}

/** Verifies a viewer token (HS256; claims org, sub, permissions, exp) and its permission, at `now`. */
async function verifyViewerToken(token: string, secret: Uint8Array, now: number): Promise<{ value: Viewer; expiresAt: number }> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secret, { algorithms: ["HS256"], requiredClaims: ["exp"], currentDate: new Date(now) }));
  } catch (error) {
    throw new ConnectError(`viewer token rejected: ${(error as Error).message}`, Code.Unauthenticated);
  }
  const { org, sub, permissions, exp } = payload;
  if (typeof org !== "string" || typeof sub !== "string" || !org || !sub) {
    throw new ConnectError('viewer token needs the claims "org" and "sub"', Code.Unauthenticated);
  }
  if (!Array.isArray(permissions) || !permissions.includes(VIEW_PERMISSION)) {
    throw new ConnectError(`viewer token lacks the permission ${VIEW_PERMISSION}`, Code.PermissionDenied);
  }
  return { value: { orgId: org, userId: sub }, expiresAt: Number(exp) * 1000 };
}

/**
 * The viewer verifier of a server: it remembers tokens it accepted until they expire, because an agent's console
 * sends the same token on every call and checking its signature each time was a measurable share of a lifecycle.
 */
export function viewerVerifier(secret: Uint8Array, { capacity = 10_000, now = Date.now } = {}): (token: string) => Promise<Viewer> {
  return rememberAccepted((token) => verifyViewerToken(token, secret, now()), { capacity, now });
}

/**
 * Wraps a token check so that a token it accepted is accepted again without checking, until the expiry the check
 * returned. Only accepted tokens are kept, keyed by the whole token, so a failing token is checked every time;
 * at `capacity` the oldest is dropped, which bounds what a flood of distinct tokens can take.
 */
export function rememberAccepted<T>(
  check: (token: string) => Promise<{ value: T; expiresAt: number }>,
  { capacity, now }: { capacity: number; now: () => number },
): (token: string) => Promise<T> {
  const accepted = new Map<string, { value: T; expiresAt: number }>();
  return async (token) => {
    const known = accepted.get(token);
    if (known && known.expiresAt > now()) return known.value;
    accepted.delete(token);
    const checked = await check(token);
    if (accepted.size >= capacity) accepted.delete(accepted.keys().next().value as string);
    accepted.set(token, checked);
    return checked.value;
  };
}

/** Mints a viewer token the way the reference server verifies it; for tests, the demo and the conformance suite. */
export function mintViewerToken(options: {
  secret: string;
  org: string;
  sub: string;
  permissions: readonly string[];
  ttlSeconds?: number;
}): Promise<string> {
  return new SignJWT({ org: options.org, permissions: [...options.permissions] })
    .setProtectedHeader({ alg: "HS256" })
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
