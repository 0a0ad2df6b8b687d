import { afterEach, describe, expect, it, vi } from "vitest";
import { roomService } from "./media.js";

afterEach(() => vi.restoreAllMocks());

describe("the LiveKit room service client", () => {
  it("is reused with one signed token, and signed again at half the token's life", async () => {
    let now = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const rooms = roomService("http://127.0.0.1:1", "key", "s".repeat(32), 2_000);
    const first = rooms();
    expect(rooms()).toBe(first);
    const token = (client: unknown) => (client as { token: string }).token;
    const signed = token(await first);
    expect(JSON.parse(Buffer.from(signed.split(".")[1] ?? "", "base64url").toString())).toMatchObject({ video: { roomCreate: true } });
    now += 299_000;
    expect(rooms()).toBe(first);
    now += 1_000;
    const renewed = rooms();
    expect(renewed).not.toBe(first);
    expect(token(await renewed)).toMatch(/^eyJ/);
  });
});
