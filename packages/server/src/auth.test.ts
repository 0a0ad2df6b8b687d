import { Code, ConnectError } from "@connectrpc/connect";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { mintViewerToken, rememberAccepted, VIEW_PERMISSION, viewerVerifier } from "./auth.js";

const secret = "s".repeat(32);
const key = new TextEncoder().encode(secret);

describe("remembering accepted tokens", () => {
  const counting = (expiresAt: number) => {
    const checked: string[] = [];
    const check = async (token: string) => {
      checked.push(token);
      if (token.startsWith("bad")) throw new Error(`${token} rejected`);
      return { value: token.toUpperCase(), expiresAt };
    };
    return { checked, check };
  };

  it("checks an accepted token once until it expires, then again", async () => {
    let clock = 1_000;
    const { checked, check } = counting(2_000);
    const remembered = rememberAccepted(check, { capacity: 10, now: () => clock });
    expect(await remembered("a")).toBe("A");
    expect(await remembered("a")).toBe("A");
    expect(checked).toEqual(["a"]);
    clock = 2_000;
    expect(await remembered("a")).toBe("A");
    expect(checked).toEqual(["a", "a"]);
  });

  it("checks a rejected token every time", async () => {
    const { checked, check } = counting(2_000);
    const remembered = rememberAccepted(check, { capacity: 10, now: () => 1_000 });
    await expect(remembered("bad")).rejects.toThrow("bad rejected");
    await expect(remembered("bad")).rejects.toThrow("bad rejected");
    expect(checked).toEqual(["bad", "bad"]);
  });

  it("keeps at most `capacity` tokens, dropping the oldest", async () => {
    const { checked, check } = counting(2_000);
    const remembered = rememberAccepted(check, { capacity: 2, now: () => 1_000 });
    for (const token of ["a", "b", "c", "b", "a"]) await remembered(token);
    expect(checked).toEqual(["a", "b", "c", "a"]);
  });
});

describe("viewer tokens", () => {
  it("are accepted while valid and rejected once expired, even after being remembered", async () => {
    let clock = Date.now();
    const verify = viewerVerifier(key, { now: () => clock });
    const token = await mintViewerToken({ secret, org: "org", sub: "agent", permissions: [VIEW_PERMISSION], ttlSeconds: 60 });
    expect(await verify(token)).toEqual({ orgId: "org", userId: "agent" });
    clock += 61_000;
    const error = await verify(token).catch((reason: unknown) => ConnectError.from(reason));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unauthenticated);
  });

  it("must carry an expiry: a token that never expires is rejected, since it would be remembered for ever", async () => {
    const forever = await new SignJWT({ org: "org", permissions: [VIEW_PERMISSION] }).setProtectedHeader({ alg: "HS256" }).setSubject("agent").sign(key);
    const error = await viewerVerifier(key)(forever).catch((reason: unknown) => ConnectError.from(reason));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unauthenticated);
    expect((error as ConnectError).rawMessage).toMatch(/exp/);
  });
});
