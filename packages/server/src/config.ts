import { createHmac } from "node:crypto";
import { DEFAULT_TIMEOUTS, type LifecycleTimeouts } from "@screenshare/machine";
import { DEFAULT_RETENTION, type Retention } from "./store.js";

export { DEFAULT_RETENTION, type Retention } from "./store.js";

/** Limits the server enforces and advertises through ServerInfoService. */
export interface Limits {
  /** Digits in a security key. */
  securityKeyLength: number;
  /** Wrong redeem attempts in an org that a live key survives; each wrong attempt in the org costs every live key one. */
  securityKeyMaxAttempts: number;
  /** Wrong redeem attempts one client (remote address) may make per window. */
  redeemAttemptsPerClient: number;
  /** Wrong redeem attempts one org may receive per window. */
  redeemAttemptsPerOrg: number;
  redeemWindowMs: number;
  idempotencyRetentionMs: number;
  /** Lifetime of LiveKit participant tokens. */
  mediaTokenTtlMs: number;
  /** Lifetime of chat customer credentials. */
  customerCredentialTtlMs: number;
}

/** Defaults; see docs/security-keys.md for the arithmetic behind the key limits. */
export const DEFAULT_LIMITS: Limits = {
  securityKeyLength: 6,
  securityKeyMaxAttempts: 10,
  redeemAttemptsPerClient: 10,
  redeemAttemptsPerOrg: 100,
  redeemWindowMs: 10 * 60_000,
  idempotencyRetentionMs: 24 * 60 * 60_000,
  mediaTokenTtlMs: 10 * 60_000,
  customerCredentialTtlMs: 4 * 60 * 60_000,
};

/** How the server talks to, and watches, the media plane. */
export interface MediaOptions {
  /** Every LiveKit call gives up after this long; an RPC waiting for one answers UNAVAILABLE. Default 2 s. */
  requestTimeoutMs: number;
  /** How often live sessions are checked against LiveKit's rooms. Default 10 s. */
  reconcileIntervalMs: number;
  /** How long LiveKit may stay unreachable before every live session ends with MEDIA_FAILURE. Default 30 s. */
  outageMs: number;
}

/** See {@link MediaOptions}; docs/operations.md gives the detection bounds these make. */
export const DEFAULT_MEDIA_OPTIONS: MediaOptions = { requestTimeoutMs: 2_000, reconcileIntervalMs: 10_000, outageMs: 30_000 };

/** Faults that make the server wrong in exactly one way; they exist only to prove the conformance suite fails. */
export const FAULTS = [
  "survive-interaction-disconnect",
  "allow-second-session",
  "accept-used-key",
  "sharer-token-can-subscribe",
  "skip-event-sequence",
  /** On gRPC-Web only, a unary call refused as UNAUTHENTICATED answers an empty success instead. */
  "grpc-web-lets-unauthenticated-through",
] as const;

/** One fault switch. */
export type Fault = (typeof FAULTS)[number];

/** Everything {@link startServer} needs. */
export interface ServerOptions {
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  livekit: { url: string; apiKey: string; apiSecret: string };
  /** Secret (HS256) that viewer tokens are signed with. */
  viewerTokenSecret: string;
  /** Bearer key of the contact-center platform for InteractionService. */
  integrationApiKey: string;
  timeouts?: Partial<LifecycleTimeouts>;
  limits?: Partial<Limits>;
  /** How long the store keeps what is no longer in use; see docs/operations.md. */
  retention?: Partial<Retention>;
  media?: Partial<MediaOptions>;
  faults?: readonly Fault[];
  /** Allowed browser origins for CORS; `*` allows any. None by default. */
  corsOrigins?: readonly string[];
  /** Where state lives: embedded in this process (default) or in Redis, shared by every node. */
  store?: { kind: "memory" } | { kind: "redis"; url: string };
  /** Silence logs (tests). */
  quiet?: boolean;
}

/** Options with every default filled in. */
export interface ResolvedOptions extends Required<Omit<ServerOptions, "timeouts" | "limits" | "retention" | "media" | "faults" | "corsOrigins">> {
  /** Secret of the live-key index; derived from the viewer-token secret so every node of a deployment agrees. */
  keyIndexSecret: Buffer;
  timeouts: LifecycleTimeouts;
  limits: Limits;
  retention: Retention;
  media: MediaOptions;
  faults: ReadonlySet<Fault>;
  corsOrigins: readonly string[];
}

export function resolveOptions(options: ServerOptions): ResolvedOptions {
  for (const fault of options.faults ?? []) {
    if (!FAULTS.includes(fault)) throw new Error(`unknown fault "${fault}"; known: ${FAULTS.join(", ")}`);
  }
  if (options.viewerTokenSecret.length < 16) throw new Error("viewerTokenSecret must be at least 16 characters");
  if (options.integrationApiKey.length < 16) throw new Error("integrationApiKey must be at least 16 characters");
  const retention = { ...DEFAULT_RETENTION, ...options.retention };
  const media = { ...DEFAULT_MEDIA_OPTIONS, ...options.media };
  for (const [name, value] of [...Object.entries(retention), ...Object.entries(media)]) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of milliseconds, not ${value}`);
  }
  return {
    host: options.host ?? "127.0.0.1",
    port: options.port,
    livekit: options.livekit,
    viewerTokenSecret: options.viewerTokenSecret,
    integrationApiKey: options.integrationApiKey,
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    retention,
    media,
    faults: new Set(options.faults ?? []),
    corsOrigins: options.corsOrigins ?? [],
    store: options.store ?? { kind: "memory" },
    keyIndexSecret: createHmac("sha256", options.viewerTokenSecret).update("security-key-index").digest(),
    quiet: options.quiet ?? false,
  };
}
