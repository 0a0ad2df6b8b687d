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

/** Verifies a viewer token (HS256; claims org, sub, permissions, exp) and its permission. */
export async function verifyViewer(token: string, secret: Uint8Array): Promise<Viewer> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secret, { algorithms: ["HS256"] }));
  } catch (error) {
    throw new ConnectError(`viewer token rejected: ${(error as Error).message}`, Code.Unauthenticated);
  }
  const { org, sub, permissions } = payload;
  if (typeof org !== "string" || typeof sub !== "string" || !org || !sub) {
    throw new ConnectError('viewer token needs the claims "org" and "sub"', Code.Unauthenticated);
  }
  if (!Array.isArray(permissions) || !permissions.includes(VIEW_PERMISSION)) {
    throw new ConnectError(`viewer token lacks the permission ${VIEW_PERMISSION}`, Code.PermissionDenied);
  }
  return { orgId: org, userId: sub };
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
