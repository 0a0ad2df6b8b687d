#!/usr/bin/env tsx
// screenshare-devstack: a real LiveKit on loopback to develop against, with its webhooks reaching the reference
// server, so that sessions get to SHARING. Ctrl-C stops everything it started.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { startLiveKit } from "./livekit.js";
import { freePort, waitFor } from "./ports.js";
import { stopChild } from "./process.js";
import { startRedis } from "./redis.js";

const USAGE = `usage: screenshare-devstack up [--webhook-url URL] [--livekit-port N]
         LiveKit and Redis on loopback. LiveKit posts its webhooks to --webhook-url (default
         http://127.0.0.1:8080/livekit/webhook, where screenshare-server listens by default); prints the flags to
         start screenshare-server with.
       screenshare-devstack server [--port N] [--livekit-port N]
         LiveKit, then screenshare-server on --port (default 8080) wired to it with fresh secrets; prints the URL,
         the integration API key, the viewer-token secret, a viewer token and how to run the examples.
       (pnpm devstack and pnpm dev:server run these from the repository root.)`;

// pnpm passes a literal "--" on to scripts (`pnpm devstack -- --help`); it separates nothing here.
const argv = process.argv.slice(2).filter((arg, index) => !(index <= 1 && arg === "--"));
let parsed: ReturnType<typeof parse>;
try {
  parsed = parse(argv);
} catch (error) {
  console.error(`screenshare-devstack: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
const [command = "up"] = positionals;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (positionals.length > 1 || !["up", "server"].includes(command)) {
  console.error(`screenshare-devstack: unknown command "${positionals.join(" ")}"\n\n${USAGE}`);
  process.exit(2);
}
const livekitPort = values["livekit-port"] === undefined ? undefined : port("livekit-port", values["livekit-port"]);
const stops: (() => Promise<void>)[] = [];
let stopping = false;
const stopAll = async () => {
  stopping = true;
  await Promise.all(stops.map((stop) => stop()));
  process.exit(0);
};
process.on("SIGINT", stopAll);
process.on("SIGTERM", stopAll);
const apiSecret = randomBytes(32).toString("base64url");

if (command === "up") {
  const webhookUrl = values["webhook-url"] ?? "http://127.0.0.1:8080/livekit/webhook";
  const livekit = await startLiveKit({ port: livekitPort ?? 7880, apiSecret, webhookUrls: [webhookUrl] });
  stops.push(livekit.stop);
  const redis = await startRedis();
  stops.push(redis.stop);
  console.log(`LiveKit ${livekit.url}, webhooks to ${webhookUrl}, log ${livekit.logFile}
Redis   ${redis.url}

Start the server with these flags, and its secrets as flags or environment variables (screenshare-server --help):
  screenshare-server --livekit-url ${livekit.url} --livekit-api-key ${livekit.apiKey} --livekit-api-secret ${livekit.apiSecret} --redis-url ${redis.url}`);
} else {
  const serverPort = values.port === undefined ? 8080 : port("port", values.port);
  const url = `http://127.0.0.1:${serverPort}`;
  const livekit = await startLiveKit({ port: livekitPort ?? (await freePort()), apiSecret, webhookUrls: [`${url}/livekit/webhook`] });
  stops.push(livekit.stop);
  // Fresh secrets, and the issuer and audience viewer tokens must carry; the server and the examples read the same
  // environment variables.
  const secrets = {
    VIEWER_TOKEN_SECRET: randomBytes(32).toString("base64url"),
    VIEWER_TOKEN_ISSUER: "screenshare-dev-server",
    VIEWER_TOKEN_AUDIENCE: "screenshare",
    INTEGRATION_API_KEY: randomBytes(32).toString("base64url"),
  };
  const server: ChildProcess = spawn(
    "screenshare-server",
    ["--port", String(serverPort), "--livekit-url", livekit.url, "--livekit-api-key", livekit.apiKey, "--livekit-api-secret", livekit.apiSecret],
    { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...secrets } },
  );
  stops.push(() => stopChild(server));
  const exited = new Promise<never>((_, reject) => {
    server.once("error", (error) => reject(new Error(`could not run screenshare-server (run pnpm install at the repository root): ${error.message}`)));
    server.once("exit", (code) => reject(new Error(`screenshare-server exited with ${code}`)));
  });
  try {
    await Promise.race([
      waitFor("screenshare-server", async () => {
        const response = await fetch(`${url}/healthz`);
        if (!response.ok) throw new Error(`/healthz answered HTTP ${response.status}`);
      }),
      exited,
    ]);
  } catch (error) {
    console.error(`screenshare-devstack: ${(error as Error).message}`);
    await Promise.all(stops.map((stop) => stop()));
    process.exit(1);
  }
  exited.catch(async (error: Error) => {
    if (stopping) return; // stopAll is stopping it
    console.error(`screenshare-devstack: ${error.message}; stopping LiveKit`);
    await livekit.stop();
    process.exit(1);
  });
  const viewerToken = await new SignJWT({ org: "example-org", permissions: ["screenshare:session:view"] })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(secrets.VIEWER_TOKEN_ISSUER)
    .setAudience(secrets.VIEWER_TOKEN_AUDIENCE)
    .setSubject("agent-1")
    .setIssuedAt()
    .setExpirationTime("12h")
    .sign(new TextEncoder().encode(secrets.VIEWER_TOKEN_SECRET));
  console.log(`
screenshare-server ${url} (Connect, gRPC and gRPC-Web), media on LiveKit ${livekit.url}, which posts its webhooks to it.

  export SCREENSHARE_URL=${url}
${Object.entries(secrets)
  .map(([name, value]) => `  export ${name}=${value}`)
  .join("\n")}

A viewer token of agent "agent-1" in org "example-org" (12 h; sign your own with VIEWER_TOKEN_SECRET, HS256, claims
iss VIEWER_TOKEN_ISSUER, aud VIEWER_TOKEN_AUDIENCE, org, sub, permissions ["screenshare:session:view"], iat, exp):
  ${viewerToken}

Run the examples against it (docs/integrators.md), in another shell after the exports above:
  (cd examples/go && go run . --protocol grpc)
  (cd examples/python && ../../.cache/examples-python/bin/python -m screenshare_example)
Ctrl-C stops the server and LiveKit.`);
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      "webhook-url": { type: "string" },
      "livekit-port": { type: "string" },
      port: { type: "string" },
      help: { type: "boolean" },
    },
  });
}

function port(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`screenshare-devstack: --${flag} must be a port number (1-65535), not "${text}"`);
    process.exit(2);
  }
  return value;
}
