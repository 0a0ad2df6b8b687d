import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { mintViewerToken, rememberAccepted, VIEW_PERMISSION, type ViewerTokenOptions, viewerVerifier } from "./auth.js";

const secret = "s".repeat(32);
const key = new TextEncoder().encode(secret);
const issuer = "https://idp.example/";
const audience = "screenshare";
const hs256: ViewerTokenOptions = { secret, issuer, audience };

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
    clock = 2_000;
    expect(await remembered("a")).toBe("A");
    expect(checked).toEqual(["a"]);
    // Past the expiry (the cache's last millisecond is its own; the verifier tolerates 60 s of skew anyway).
    clock = 2_001;
    expect(await remembered("a")).toBe("A");
    expect(checked).toEqual(["a", "a"]);
  });

  it("does not keep a token accepted at the very millisecond it expires", async () => {
    let clock = 1_000;
    const { checked, check } = counting(1_000);
    const remembered = rememberAccepted(check, { capacity: 10, now: () => clock });
    await remembered("a");
    clock = 1_002;
    await remembered("a");
    expect(checked).toEqual(["a", "a"]);
  });

  it("checks a rejected token every time", async () => {
    const { checked, check } = counting(2_000);
    const remembered = rememberAccepted(check, { capacity: 10, now: () => 1_000 });
    await expect(remembered("bad")).rejects.toThrow("bad rejected");
    await expect(remembered("bad")).rejects.toThrow("bad rejected");
    expect(checked).toEqual(["bad", "bad"]);
  });

  it("keeps at most `capacity` tokens, dropping the least recently used", async () => {
    const { checked, check } = counting(2_000);
    const remembered = rememberAccepted(check, { capacity: 2, now: () => 1_000 });
    for (const token of ["a", "b", "c", "b", "a"]) await remembered(token);
    expect(checked).toEqual(["a", "b", "c", "a"]);
  });
});

const claims = { org: "org", permissions: [VIEW_PERMISSION] };
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (reason: unknown) => ConnectError.from(reason),
  );
const seconds = () => Math.floor(Date.now() / 1000);

/** A token with iss, aud and sub but only the times in `times`. */
const bare = (times: { iat?: number; exp?: number }) =>
  new SignJWT({ ...claims, ...times }).setProtectedHeader({ alg: "HS256" }).setIssuer(issuer).setAudience(audience).setSubject("agent");

/** A token of `claims` with iss, aud, sub, iat and a one-hour exp unless `change` says otherwise. */
function token(change: (jwt: SignJWT) => SignJWT = (jwt) => jwt, payload: Record<string, unknown> = claims) {
  const now = seconds();
  return change(
    new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject("agent")
      .setIssuedAt(now)
      .setExpirationTime(now + 3600),
  ).sign(key);
}

describe("viewer tokens (HS256)", () => {
  it("are accepted while valid and rejected once expired, even after being remembered", async () => {
    let clock = Date.now();
    const verify = viewerVerifier(hs256, { now: () => clock });
    const minted = await mintViewerToken({ secret, issuer, audience, org: "org", sub: "agent", permissions: [VIEW_PERMISSION], ttlSeconds: 60 });
    expect(await verify(minted)).toEqual({ orgId: "org", userId: "agent" });
    clock += 61_000 + 60_000;
    const error = await rejection(verify(minted));
    expect(error?.code).toBe(Code.Unauthenticated);
  });

  it.each([
    ["without exp (it would be remembered for ever)", () => bare({ iat: seconds() }), /exp/],
    ["without iat", () => bare({ exp: seconds() + 60 }), /iat/],
    ["from a foreign issuer", (jwt: SignJWT) => jwt.setIssuer("https://evil.example/"), /iss/],
    ["for a foreign audience", (jwt: SignJWT) => jwt.setAudience("another-service"), /aud/],
    ["without an audience", (jwt: SignJWT) => jwt.setAudience([]), /aud/],
    ["issued in the future beyond the clock skew", (jwt: SignJWT) => jwt.setIssuedAt(seconds() + 120).setExpirationTime(seconds() + 600), /iat/],
    ["expiring in the year 9999", (jwt: SignJWT) => jwt.setExpirationTime(253_402_300_799), /lives/],
    ["living longer than the maximum lifetime", (jwt: SignJWT) => jwt.setExpirationTime(seconds() + 13 * 3600), /lives/],
  ])("are rejected %s", async (_name, change, message) => {
    const error = await rejection(viewerVerifier(hs256)(await token(change as (jwt: SignJWT) => SignJWT)));
    expect(error?.code).toBe(Code.Unauthenticated);
    expect(error?.rawMessage).toMatch(message);
  });

  it("tolerate an iat up to the clock skew ahead", async () => {
    expect(await viewerVerifier(hs256)(await token((jwt) => jwt.setIssuedAt(seconds() + 30)))).toEqual({ orgId: "org", userId: "agent" });
    const strict = await rejection(viewerVerifier({ ...hs256, clockSkewSeconds: 0 })(await token((jwt) => jwt.setIssuedAt(seconds() + 30))));
    expect(strict?.code).toBe(Code.Unauthenticated);
  });

  it("are rejected unsigned, with another secret, or without the permission (PERMISSION_DENIED)", async () => {
    const verify = viewerVerifier(hs256);
    const [header, payload] = (await token()).split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${payload}.`;
    expect((await rejection(verify(none)))?.code).toBe(Code.Unauthenticated);
    expect((await rejection(verify(`${header}.${payload}.${"A".repeat(43)}`)))?.code).toBe(Code.Unauthenticated);
    expect((await rejection(verify(await token(undefined, { org: "org", permissions: ["other"] }))))?.code).toBe(Code.PermissionDenied);
  });

  it("need an issuer, an audience and a secret of at least 32 bytes", () => {
    expect(() => viewerVerifier({ ...hs256, secret: "short" })).toThrow(/32 bytes/);
    expect(() => viewerVerifier({ ...hs256, issuer: "" })).toThrow(/issuer/);
    expect(() => viewerVerifier({ ...hs256, audience: "" })).toThrow(/audience/);
    expect(() => viewerVerifier({ issuer, audience })).toThrow(/secret .* or a JWKS/);
    expect(() => viewerVerifier({ issuer, audience, jwks: "http://idp.example/jwks.json" })).toThrow(/https/);
  });
});

describe.each(["RS256", "ES256", "EdDSA"] as const)("viewer tokens (%s, from a JWKS)", (alg) => {
  const keyPair = async (kid: string) => {
    const pair = await generateKeyPair(alg, { extractable: true });
    return { kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: "sig" } as JWK };
  };
  const signed = (signer: Awaited<ReturnType<typeof keyPair>>, payload = claims) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg, kid: signer.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject("agent")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(signer.privateKey);

  it("are verified with a JWKS file, which is re-read when the issuer rotates keys", async () => {
    const [first, second] = [await keyPair("k1"), await keyPair("k2")];
    const path = join(await mkdtemp(join(tmpdir(), "jwks-")), "jwks.json");
    await writeFile(path, JSON.stringify({ keys: [first.jwk] }));
    const verify = viewerVerifier({ jwks: path, issuer, audience });
    expect(await verify(await signed(first))).toEqual({ orgId: "org", userId: "agent" });
    expect((await rejection(verify(await signed(second))))?.code).toBe(Code.Unauthenticated);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeFile(path, JSON.stringify({ keys: [second.jwk] }));
    expect(await verify(await signed(second))).toEqual({ orgId: "org", userId: "agent" });
    // The retired key no longer verifies new tokens.
    expect((await rejection(verify(await signed(first, { ...claims, org: "org2" }))))?.code).toBe(Code.Unauthenticated);
  });

  it("are verified with a JWKS URL, fetched again when a token names a new key", async () => {
    const [first, second] = [await keyPair("k1"), await keyPair("k2")];
    let published = [first.jwk];
    let fetches = 0;
    const server = createServer((_request, response) => {
      fetches++;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      const verify = viewerVerifier({ jwks: url, issuer, audience, jwksCooldownMs: 0 });
      expect(await verify(await signed(first))).toEqual({ orgId: "org", userId: "agent" });
      published = [first.jwk, second.jwk];
      expect(await verify(await signed(second))).toEqual({ orgId: "org", userId: "agent" });
      expect(fetches).toBe(2);
      // An HS256 token signed with the public key's bytes (algorithm confusion) is refused: HS256 is not configured.
      const confused = await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", kid: "k1" })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject("agent")
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(new TextEncoder().encode(JSON.stringify(first.jwk)));
      expect((await rejection(verify(confused)))?.rawMessage).toMatch(/alg/);
    } finally {
      server.close();
    }
  });
});
