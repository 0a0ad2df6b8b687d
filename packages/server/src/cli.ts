#!/usr/bin/env -S npx tsx
// screenshare-server: the reference server. Flags override environment variables, which override defaults.
import { parseArgs } from "node:util";
import { FAULTS, type Fault } from "./config.js";
import { startServer } from "./server.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "8080" },
    host: { type: "string", default: process.env.HOST ?? "127.0.0.1" },
    "livekit-url": { type: "string", default: process.env.LIVEKIT_URL ?? "ws://127.0.0.1:7880" },
    "livekit-api-key": { type: "string", default: process.env.LIVEKIT_API_KEY ?? "devkey" },
    "livekit-api-secret": { type: "string", default: process.env.LIVEKIT_API_SECRET ?? "devsecret-devsecret-devsecret-devsecret" },
    "redis-url": { type: "string", default: process.env.REDIS_URL },
    "viewer-token-secret": { type: "string", default: process.env.VIEWER_TOKEN_SECRET ?? "reference-viewer-token-secret" },
    "integration-api-key": { type: "string", default: process.env.INTEGRATION_API_KEY ?? "reference-integration-api-key" },
    "key-ttl": { type: "string", default: process.env.KEY_TTL_SECONDS },
    "acceptance-timeout": { type: "string", default: process.env.ACCEPTANCE_TIMEOUT_SECONDS },
    "selection-timeout": { type: "string", default: process.env.SELECTION_TIMEOUT_SECONDS },
    "viewer-grace": { type: "string", default: process.env.VIEWER_GRACE_SECONDS },
    "sharer-grace": { type: "string", default: process.env.SHARER_GRACE_SECONDS },
    "max-duration": { type: "string", default: process.env.MAX_DURATION_SECONDS },
    "session-retention": { type: "string", default: process.env.SESSION_RETENTION_SECONDS },
    "interaction-retention": { type: "string", default: process.env.INTERACTION_RETENTION_SECONDS },
    "media-timeout": { type: "string", default: process.env.MEDIA_TIMEOUT_SECONDS },
    "media-check-interval": { type: "string", default: process.env.MEDIA_CHECK_INTERVAL_SECONDS },
    "media-outage": { type: "string", default: process.env.MEDIA_OUTAGE_SECONDS },
    "cors-origin": { type: "string", multiple: true, default: process.env.CORS_ORIGINS?.split(",") ?? [] },
    fault: { type: "string", multiple: true, default: process.env.SCREENSHARE_FAULTS?.split(",").filter(Boolean) ?? [] },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(`usage: screenshare-server [--port 8080] [--livekit-url ws://…] [--livekit-api-key K] [--livekit-api-secret S]
  [--redis-url redis://127.0.0.1:6379] [--viewer-token-secret S] [--integration-api-key K] [--key-ttl s] [--acceptance-timeout s] [--selection-timeout s]
  [--viewer-grace s] [--sharer-grace s] [--max-duration s] [--session-retention s] [--interaction-retention s]
  [--media-timeout s] [--media-check-interval s] [--media-outage s] [--cors-origin URL]... [--fault NAME]...
(docs/operations.md explains retention and media failure detection)
faults (conformance testing only): ${FAULTS.join(", ")}`);
  process.exit(0);
}
const ms = (seconds: string | undefined) => (seconds === undefined ? undefined : Number(seconds) * 1000);
/** Only the settings given, so the server's defaults fill the rest. */
const given = (settings: Record<string, number | undefined>) => Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
const retention = given({ endedSessionMs: ms(values["session-retention"]), interactionMs: ms(values["interaction-retention"]) });
const media = given({
  requestTimeoutMs: ms(values["media-timeout"]),
  reconcileIntervalMs: ms(values["media-check-interval"]),
  outageMs: ms(values["media-outage"]),
});
const timeouts = given({
    securityKeyTtlMs: ms(values["key-ttl"]),
    acceptanceTimeoutMs: ms(values["acceptance-timeout"]),
    screenSelectionTimeoutMs: ms(values["selection-timeout"]),
    viewerReconnectGraceMs: ms(values["viewer-grace"]),
    sharerReconnectGraceMs: ms(values["sharer-grace"]),
    maxSessionDurationMs: ms(values["max-duration"]),
});
try {
  const server = await startServer({
    host: values.host,
    port: Number(values.port),
    livekit: { url: values["livekit-url"], apiKey: values["livekit-api-key"], apiSecret: values["livekit-api-secret"] },
    viewerTokenSecret: values["viewer-token-secret"],
    integrationApiKey: values["integration-api-key"],
    timeouts,
    retention,
    media,
    corsOrigins: values["cors-origin"],
    faults: values.fault as Fault[],
    ...(values["redis-url"] && { store: { kind: "redis" as const, url: values["redis-url"] } }),
  });
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  console.error(`screenshare-server: ${(error as Error).message}`);
  process.exit(2);
}
