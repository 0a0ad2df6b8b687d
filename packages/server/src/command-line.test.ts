import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { freePort, waitFor } from "@screenshare/devstack";
import { describe, expect, it } from "vitest";
import { DEV_DEFAULTS, parseCommandLine } from "./command-line.js";

const secret = (name: string) => `${name}-`.padEnd(40, "x");
const complete = [
  "--livekit-api-key",
  "lk",
  "--livekit-api-secret",
  secret("livekit"),
  "--viewer-token-secret",
  secret("viewer"),
  "--viewer-token-issuer",
  "https://idp.example/",
  "--viewer-token-audience",
  "screenshare",
  "--integration-api-key",
  secret("platform"),
];

describe("the command line", () => {
  it("refuses to start without secrets, naming every missing flag and its environment variable", () => {
    expect(() => parseCommandLine([], {})).toThrow(
      "missing --livekit-api-key (or LIVEKIT_API_KEY), --livekit-api-secret (or LIVEKIT_API_SECRET), --viewer-token-secret (or VIEWER_TOKEN_SECRET) or --viewer-token-jwks (or VIEWER_TOKEN_JWKS), --viewer-token-issuer (or VIEWER_TOKEN_ISSUER), --viewer-token-audience (or VIEWER_TOKEN_AUDIENCE), --integration-api-key (or INTEGRATION_API_KEY)",
    );
    expect(() =>
      parseCommandLine(
        complete.filter((_value, index) => index < 10),
        {},
      ),
    ).toThrow(/^missing --integration-api-key \(or INTEGRATION_API_KEY\)\./);
  });

  it("takes every secret from the environment as well, flags winning", () => {
    const { options, dev } = parseCommandLine(["--viewer-token-audience", "from-flag"], {
      LIVEKIT_API_KEY: "lk",
      LIVEKIT_API_SECRET: secret("livekit"),
      VIEWER_TOKEN_SECRET: secret("viewer"),
      VIEWER_TOKEN_ISSUER: "iss",
      VIEWER_TOKEN_AUDIENCE: "from-env",
      INTEGRATION_API_KEY: secret("platform"),
    });
    expect(dev).toBe(false);
    expect(options.viewerTokens).toEqual({ secret: secret("viewer"), issuer: "iss", audience: "from-flag" });
    expect(options.integrationApiKey).toBe(secret("platform"));
  });

  it.each(["--livekit-api-secret", "--viewer-token-secret", "--integration-api-key"])("refuses %s shorter than 32 bytes", (flag) => {
    const argv = [...complete];
    argv[argv.indexOf(flag) + 1] = "x".repeat(31);
    expect(() => parseCommandLine(argv, {})).toThrow(new RegExp(`^${flag} \\(or [A-Z_]+\\) must be at least 32 bytes`));
  });

  it("needs no HS256 secret when a JWKS is given", () => {
    const argv = complete.filter((_value, index) => index !== 4 && index !== 5);
    const { options } = parseCommandLine([...argv, "--viewer-token-jwks", "/etc/screenshare/jwks.json"], {});
    expect(options.viewerTokens).toEqual({ jwks: "/etc/screenshare/jwks.json", issuer: "https://idp.example/", audience: "screenshare" });
  });

  it("fills missing secrets with the published development values only with --dev, and only on loopback", () => {
    const { options, dev } = parseCommandLine(["--dev"], {});
    expect(dev).toBe(true);
    expect(options.integrationApiKey).toBe(DEV_DEFAULTS["integration-api-key"]);
    expect(options.viewerTokens.secret).toBe(DEV_DEFAULTS["viewer-token-secret"]);
    expect(parseCommandLine(["--dev", "--integration-api-key", secret("mine")], {}).options.integrationApiKey).toBe(secret("mine"));
    expect(() => parseCommandLine(["--dev", "--host", "0.0.0.0"], {})).toThrow(/loopback only/);
  });

  it("has no fault switch: neither a flag nor the SCREENSHARE_FAULTS environment variable", () => {
    expect(() => parseCommandLine([...complete, "--fault", "accept-used-key"], {})).toThrow(/Unknown option '--fault'/);
    expect(() => parseCommandLine(complete, { SCREENSHARE_FAULTS: "accept-used-key" })).toThrow(
      /SCREENSHARE_FAULTS is set: fault switches exist only in the test API/,
    );
    expect(Object.keys(parseCommandLine(complete, {}).options)).not.toContain("faults");
  });

  it("ignores a leading -- (as pnpm passes it through)", () => {
    expect(parseCommandLine(["--", ...complete, "--port", "9000"], {}).options.port).toBe(9000);
  });

  it("opts in to a trusted proxy's client-address header, and reads numbers strictly", () => {
    const { options } = parseCommandLine([...complete, "--trusted-proxy", "10.0.0.5", "--trusted-proxy", "10.0.0.6", "--idle-timeout", "5"], {});
    expect(options.trustedProxy).toEqual({ header: "x-forwarded-for", proxies: ["10.0.0.5", "10.0.0.6"] });
    expect(options.network).toEqual({ idleTimeoutMs: 5000 });
    expect(parseCommandLine([...complete, "--session-retention", "60", "--media-outage", "30"], {}).options).toMatchObject({
      retention: { endedSessionMs: 60_000 },
      media: { outageMs: 30_000 },
    });
    expect(parseCommandLine(complete, {}).options.trustedProxy).toBeUndefined();
    expect(() => parseCommandLine([...complete, "--key-ttl", "soon"], {})).toThrow('--key-ttl (or KEY_TTL_SECONDS) must be a number >= 0, not "soon"');
  });
});

describe("screenshare-server", () => {
  const run = (args: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, ["--import", "tsx", resolve(import.meta.dirname, "cli.ts"), ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((done) => child.once("exit", done));
    return { child, exited, stderr: () => stderr };
  };

  it("exits 2 without secrets, saying what is missing", async () => {
    const { exited, stderr } = run([]);
    expect(await exited).toBe(2);
    expect(stderr()).toMatch(/missing --livekit-api-key \(or LIVEKIT_API_KEY\)/);
  });

  it("with --dev prints a loud warning, then serves", async () => {
    const port = await freePort();
    const { child, exited, stderr } = run(["--dev", "--port", String(port)]);
    try {
      await waitFor("dev server", async () => {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status !== 200) throw new Error("not healthy");
      });
      expect(stderr()).toMatch(/DEVELOPMENT MODE \(--dev\)/);
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });
});
