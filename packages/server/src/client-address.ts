import { isIP } from "node:net";
import type { TrustedProxy } from "./config.js";

/**
 * The identity a client's redeem attempts are counted under: its IPv4 address, or the /64 of its IPv6 address (one
 * subscriber commonly holds a whole /64, so single IPv6 addresses would be free to rotate). IPv4-mapped IPv6
 * addresses count as the IPv4 address, so one client gets one budget over every protocol and HTTP version.
 *
 * With `trusted`, a connection from one of its proxies is attributed to the right-most address of its header that
 * is not itself a trusted proxy; entries to the left of that may have been written by the client and are ignored.
 */
export function clientAddress(peer: string | undefined, header: string | string[] | undefined, trusted: TrustedProxy | undefined): string {
  const connection = normalise(peer ?? "");
  if (!connection) return "unknown";
  if (!trusted?.proxies.some((proxy) => normalise(proxy) === connection) || header === undefined) return identity(connection);
  const hops = (Array.isArray(header) ? header.join(",") : header).split(",").map((hop) => normalise(hop.trim()));
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = hops[index] as string;
    // A malformed hop cannot be attributed to anyone: the request counts against the proxy itself.
    if (!hop) return identity(connection);
    if (!trusted.proxies.some((proxy) => normalise(proxy) === hop)) return identity(hop);
  }
  return identity(connection);
}

function normalise(address: string): string {
  const unbracketed = address.replace(/^\[(.*)\]$/, "$1");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(unbracketed);
  const plain = mapped?.[1] ?? unbracketed;
  return isIP(plain) ? plain.toLowerCase() : "";
}

function identity(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${expand(address).slice(0, 4).join(":")}::/64`;
}

/** The eight groups of an IPv6 address. */
function expand(address: string): string[] {
  const [head = "", tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  if (right.at(-1)?.includes(".") || left.at(-1)?.includes(".")) {
    // An embedded IPv4 tail only matters past the first four groups; keep its place.
    const side = right.length > 0 ? right : left;
    side.splice(-1, 1, "0", "0");
  }
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill("0"), ...right].map((group) => group.replace(/^0+(?=.)/, ""));
}
