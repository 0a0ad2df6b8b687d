import { parseArgs } from "node:util";
import { MIN_SECRET_BYTES, type ServerOptions } from "./config.js";

/** Publicly known values `--dev` uses where a secret is missing; anyone can mint tokens with them. */
export const DEV_DEFAULTS = {
  "livekit-api-key": "devkey",
  "livekit-api-secret": "devsecret-devsecret-devsecret-devsecret",
  "viewer-token-secret": "dev-viewer-token-secret-known-to-everyone",
  "viewer-token-issuer": "screenshare-dev",
  "viewer-token-audience": "screenshare-dev",
  "integration-api-key": "dev-integration-api-key-known-to-everyone",
} as const;

/** Each flag and the environment variable it falls back to. */
const FLAGS = {
  port: { env: "PORT", help: "port to listen on (default 8080)" },
  host: { env: "HOST", help: "interface to listen on (default 127.0.0.1)" },
  "livekit-url": { env: "LIVEKIT_URL", help: "LiveKit URL (default ws://127.0.0.1:7880)" },
  "livekit-api-key": { env: "LIVEKIT_API_KEY", help: "LiveKit API key (required)" },
  "livekit-api-secret": { env: "LIVEKIT_API_SECRET", help: `LiveKit API secret, >= ${MIN_SECRET_BYTES} bytes; also checks webhooks (required)` },
  "redis-url": { env: "REDIS_URL", help: "keep state in Redis, shared by every node (default: in this process)" },
  "viewer-token-secret": { env: "VIEWER_TOKEN_SECRET", help: `HS256 secret of viewer tokens, >= ${MIN_SECRET_BYTES} bytes` },
  "viewer-token-jwks": { env: "VIEWER_TOKEN_JWKS", help: "JWKS (https URL or file) with the keys of RS256/ES256/EdDSA viewer tokens" },
  "viewer-token-issuer": { env: "VIEWER_TOKEN_ISSUER", help: "iss every viewer token must carry (required)" },
  "viewer-token-audience": { env: "VIEWER_TOKEN_AUDIENCE", help: "aud every viewer token must carry (required)" },
  "viewer-token-max-lifetime": { env: "VIEWER_TOKEN_MAX_LIFETIME_SECONDS", help: "longest viewer token lifetime in s (default 43200)" },
  "integration-api-key": { env: "INTEGRATION_API_KEY", help: `bearer key of the contact-center platform, >= ${MIN_SECRET_BYTES} bytes (required)` },
  "trusted-proxy": { env: "TRUSTED_PROXIES", help: "address of a load balancer whose client-address header is believed (repeatable)" },
  "client-address-header": { env: "CLIENT_ADDRESS_HEADER", help: "header the trusted proxies put the client address in (default x-forwarded-for)" },
  "idle-timeout": { env: "IDLE_TIMEOUT_SECONDS", help: "close connections idle this long (default 60)" },
  "key-ttl": { env: "KEY_TTL_SECONDS", help: "security key lifetime in s" },
  "acceptance-timeout": { env: "ACCEPTANCE_TIMEOUT_SECONDS", help: "chat invitation timeout in s" },
  "selection-timeout": { env: "SELECTION_TIMEOUT_SECONDS", help: "screen selection timeout in s" },
  "viewer-grace": { env: "VIEWER_GRACE_SECONDS", help: "viewer reconnect grace in s" },
  "sharer-grace": { env: "SHARER_GRACE_SECONDS", help: "sharer reconnect grace in s" },
  "max-duration": { env: "MAX_DURATION_SECONDS", help: "longest session in s" },
  "pause-timeout": { env: "PAUSE_TIMEOUT_SECONDS", help: "longest privacy pause in s (default 300)" },
  "session-retention": { env: "SESSION_RETENTION_SECONDS", help: "keep ended sessions this long in s (docs/operations.md)" },
  "interaction-retention": { env: "INTERACTION_RETENTION_SECONDS", help: "keep interactions this long in s" },
  "media-timeout": { env: "MEDIA_TIMEOUT_SECONDS", help: "give up on a LiveKit call after s" },
  "media-check-interval": { env: "MEDIA_CHECK_INTERVAL_SECONDS", help: "check live sessions against LiveKit's rooms every s" },
  "media-outage": { env: "MEDIA_OUTAGE_SECONDS", help: "end live sessions after LiveKit is unreachable this long in s" },
  "cors-origin": { env: "CORS_ORIGINS", help: "allowed browser origin (repeatable; * for any)" },
} as const;
type Flag = keyof typeof FLAGS;
const LISTS: readonly Flag[] = ["trusted-proxy", "cors-origin"];

/** A command line that cannot start a server; the message says what to change. */
export class UsageError extends Error {}

/** The usage text. */
export function usage(): string {
  const lines = Object.entries(FLAGS).map(([flag, { env, help }]) => `  --${flag.padEnd(26)} ${env.padEnd(34)} ${help}`);
  return [
    "usage: screenshare-server [--flag value]... (each flag may instead come from its environment variable)",
    ...lines,
    `  --dev${" ".repeat(23)}${" ".repeat(35)}development only: publicly known secrets fill in what is missing; loopback only`,
    "Viewer tokens need --viewer-token-secret or --viewer-token-jwks (or both, e.g. while moving from one to the other).",
  ].join("\n");
}

/**
 * Turns flags and environment variables into server options. Flags win over environment variables. There are no
 * secret defaults: a missing secret is a {@link UsageError} naming its flag and variable, unless `--dev` is given.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { options: ServerOptions; dev: boolean; help: boolean } {
  if (env.SCREENSHARE_FAULTS !== undefined) {
    throw new UsageError("SCREENSHARE_FAULTS is set: fault switches exist only in the test API, never in a server started from the command line; unset it");
  }
  let parsed: ReturnType<typeof parse>;
  try {
    // `pnpm start -- --help` passes the "--" through.
    parsed = parse(argv[0] === "--" ? argv.slice(1) : argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  const dev = values.dev === true;
  const value = (flag: Flag): string | undefined => {
    const given = values[flag] ?? env[FLAGS[flag].env];
    return typeof given === "string" ? given : undefined;
  };
  const list = (flag: Flag): string[] => {
    const given = values[flag];
    if (Array.isArray(given)) return given;
    return (env[FLAGS[flag].env] ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  };
  const missing: Flag[] = [];
  const secret = (flag: keyof typeof DEV_DEFAULTS, required = true): string | undefined => {
    const given = value(flag) ?? (dev ? DEV_DEFAULTS[flag] : undefined);
    if (given === undefined && required) missing.push(flag);
    return given;
  };
  const named = (flag: Flag) => `--${flag} (or ${FLAGS[flag].env})${flag === "viewer-token-secret" ? " or --viewer-token-jwks (or VIEWER_TOKEN_JWKS)" : ""}`;
  const jwks = value("viewer-token-jwks");
  const viewerTokenSecret = secret("viewer-token-secret", !jwks);
  const options = {
    port: number("port", value("port") ?? "8080"),
    host: value("host") ?? "127.0.0.1",
    livekit: {
      url: value("livekit-url") ?? "ws://127.0.0.1:7880",
      apiKey: secret("livekit-api-key") ?? "",
      apiSecret: secret("livekit-api-secret") ?? "",
    },
    viewerTokens: {
      ...(viewerTokenSecret !== undefined && { secret: viewerTokenSecret }),
      ...(jwks !== undefined && { jwks }),
      issuer: secret("viewer-token-issuer") ?? "",
      audience: secret("viewer-token-audience") ?? "",
      ...optionalNumber("viewer-token-max-lifetime", value("viewer-token-max-lifetime"), "maxLifetimeSeconds", 1),
    },
    integrationApiKey: secret("integration-api-key") ?? "",
    timeouts: Object.assign(
      {},
      ...(
        [
          ["key-ttl", "securityKeyTtlMs"],
          ["acceptance-timeout", "acceptanceTimeoutMs"],
          ["selection-timeout", "screenSelectionTimeoutMs"],
          ["viewer-grace", "viewerReconnectGraceMs"],
          ["sharer-grace", "sharerReconnectGraceMs"],
          ["max-duration", "maxSessionDurationMs"],
          ["pause-timeout", "pauseTimeoutMs"],
        ] as const
      ).map(([flag, name]) => optionalNumber(flag, value(flag), name, 1000)),
    ),
    retention: {
      ...optionalNumber("session-retention", value("session-retention"), "endedSessionMs", 1000),
      ...optionalNumber("interaction-retention", value("interaction-retention"), "interactionMs", 1000),
    },
    media: {
      ...optionalNumber("media-timeout", value("media-timeout"), "requestTimeoutMs", 1000),
      ...optionalNumber("media-check-interval", value("media-check-interval"), "reconcileIntervalMs", 1000),
      ...optionalNumber("media-outage", value("media-outage"), "outageMs", 1000),
    },
    network: optionalNumber("idle-timeout", value("idle-timeout"), "idleTimeoutMs", 1000),
    corsOrigins: list("cors-origin"),
    ...(list("trusted-proxy").length > 0 && {
      trustedProxy: { header: value("client-address-header") ?? "x-forwarded-for", proxies: list("trusted-proxy") },
    }),
    ...(value("redis-url") && { store: { kind: "redis" as const, url: value("redis-url") as string } }),
  } satisfies ServerOptions;
  if (missing.length > 0 && values.help !== true) {
    const order = Object.keys(FLAGS);
    missing.sort((a, b) => order.indexOf(a) - order.indexOf(b));
    throw new UsageError(`missing ${missing.map(named).join(", ")}. Pass them, or start with --dev for development on this machine (publicly known secrets).`);
  }
  for (const [flag, given] of [
    ["livekit-api-secret", options.livekit.apiSecret],
    ["viewer-token-secret", viewerTokenSecret],
    ["integration-api-key", options.integrationApiKey],
  ] as const) {
    if (given !== undefined && values.help !== true && Buffer.byteLength(given) < MIN_SECRET_BYTES) {
      throw new UsageError(`--${flag} (or ${FLAGS[flag].env}) must be at least ${MIN_SECRET_BYTES} bytes; generate one with: openssl rand -base64 32`);
    }
  }
  if (dev && !/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(options.host)) {
    throw new UsageError(`--dev serves publicly known secrets, so it listens on loopback only; --host ${options.host} is not loopback`);
  }
  return { options, dev, help: values.help === true };
}

/** The warning `--dev` prints before anything else. */
export const DEV_WARNING = `
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! DEVELOPMENT MODE (--dev): missing secrets were filled with values published in this repository.  !!
!! Anyone can mint agent tokens and call the platform API. Never use --dev outside your own machine. !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
`;

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: {
      ...(Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: "string", multiple: LISTS.includes(flag as Flag) }])) as Record<
        Flag,
        { type: "string"; multiple: boolean }
      >),
      dev: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
}

function number(flag: Flag, text: string): number {
  const parsed = Number(text);
  if (text.trim() === "" || !Number.isFinite(parsed) || parsed < 0)
    throw new UsageError(`--${flag} (or ${FLAGS[flag].env}) must be a number >= 0, not "${text}"`);
  return parsed;
}

function optionalNumber<Name extends string>(flag: Flag, text: string | undefined, name: Name, scale: number): Partial<Record<Name, number>> {
  return text === undefined ? {} : ({ [name]: number(flag, text) * scale } as Record<Name, number>);
}
