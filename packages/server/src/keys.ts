import { createHmac, randomInt } from "node:crypto";

/** A fresh key of `length` random digits. */
export function generateKey(length: number): string {
  return String(randomInt(0, 10 ** length)).padStart(length, "0");
}

/**
 * The index of a live key: an HMAC of org and digits, so the raw digits are never a store key and a lookup's
 * timing says nothing about other keys. Every node of one deployment shares `secret`.
 */
export function hashKey(secret: Buffer, orgId: string, key: string): string {
  return createHmac("sha256", secret).update(`${orgId}\u0000${key}`).digest("base64url");
}

/** Removes the spaces and dashes people type; the rest must be the key's digits. */
export function normaliseKey(typed: string, length: number): string | undefined {
  const digits = typed.replace(/[\s-]/g, "");
  return new RegExp(`^\\d{${length}}$`).test(digits) ? digits : undefined;
}
