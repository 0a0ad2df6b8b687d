import { describe, expect, it } from "vitest";
import { clientAddress } from "./client-address.js";

const proxy = { header: "x-forwarded-for", proxies: ["10.0.0.5", "10.0.0.6"] };

describe("the client address of a request", () => {
  it("is the peer's address, IPv4-mapped IPv6 counted as IPv4 and IPv6 by its /64", () => {
    expect(clientAddress("127.0.0.3", undefined, undefined)).toBe("127.0.0.3");
    expect(clientAddress("::ffff:127.0.0.3", undefined, undefined)).toBe("127.0.0.3");
    expect(clientAddress("2001:db8:1:2:aaaa::1", undefined, undefined)).toBe("2001:db8:1:2::/64");
    expect(clientAddress("2001:db8:1:2:bbbb::9", undefined, undefined)).toBe("2001:db8:1:2::/64");
    expect(clientAddress("::1", undefined, undefined)).toBe("0:0:0:0::/64");
    expect(clientAddress(undefined, undefined, undefined)).toBe("unknown");
  });

  it("ignores the forwarding header unless the peer is a trusted proxy", () => {
    expect(clientAddress("127.0.0.3", "203.0.113.7", undefined)).toBe("127.0.0.3");
    expect(clientAddress("127.0.0.3", "203.0.113.7", proxy)).toBe("127.0.0.3");
  });

  it("behind trusted proxies is the right-most hop that is not a proxy, whatever the client wrote to its left", () => {
    expect(clientAddress("10.0.0.5", "203.0.113.7", proxy)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.5", "1.1.1.1, 203.0.113.7, 10.0.0.6", proxy)).toBe("203.0.113.7");
    expect(clientAddress("::ffff:10.0.0.5", ["1.1.1.1", "203.0.113.7"], proxy)).toBe("203.0.113.7");
  });

  it("behind trusted proxies counts a request with a missing or malformed header against the proxy", () => {
    expect(clientAddress("10.0.0.5", undefined, proxy)).toBe("10.0.0.5");
    expect(clientAddress("10.0.0.5", "1.1.1.1, not-an-address", proxy)).toBe("10.0.0.5");
    expect(clientAddress("10.0.0.5", "10.0.0.6", proxy)).toBe("10.0.0.5");
  });
});
