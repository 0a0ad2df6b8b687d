import { createHmac } from "node:crypto";
import { isIP } from "node:net";
import { DEFAULT_TIMEOUTS, type LifecycleTimeouts } from "@screenshare/machine";
import type { DestinationStream } from "pino";
import { DEFAULT_RETENTION, type Retention, type Store } from "./store.js";

export { DEFAULT_RETENTION, type Retention } from "./store.js";

import { checkViewerTokenOptions, type ViewerTokenOptions } from "./auth.js";

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
  /** Different supervisors that may observe one session; the media room holds the two parties and this many more. */
  maxObserversPerSession: number;
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
  maxObserversPerSession: 5,
};

/**
 * Whether a sharer is told that a supervisor watches (Session.observers_announced): `announced` for every org, except
 * the orgs listed in `byOrg`. Announced by default: an org has to choose silent monitoring, the customer never has
 * to find out about it.
 */
export interface ObserverPolicy {
  announced: boolean;
  byOrg: Readonly<Record<string, boolean>>;
}

/** A media room's size is fixed when it is created: this bounds what one session may take of the media plane. */
const MAX_OBSERVERS = 50;

export const DEFAULT_OBSERVER_POLICY: ObserverPolicy = { announced: true, byOrg: {} };

/** The observer policy of `orgId`. */
export const observersAnnouncedIn = (policy: ObserverPolicy, orgId: string): boolean => policy.byOrg[orgId] ?? policy.announced;

/** How the server talks to, and watches, the media plane. */
export interface MediaOptions {
  /**
   * Every LiveKit call gives up after this long; an RPC waiting for one answers UNAVAILABLE. Default 5 s (2 s
   * was too short for a LiveKit on a loaded 2-core machine; docs/operations.md).
   */
  requestTimeoutMs: number;
  /** How often live sessions are checked against LiveKit's rooms. Default 10 s. */
  reconcileIntervalMs: number;
  /** How long LiveKit may stay unreachable before every live session ends with MEDIA_FAILURE. Default 30 s. */
  outageMs: number;
}

/** See {@link MediaOptions}; docs/operations.md gives the detection bounds these make. */
export const DEFAULT_MEDIA_OPTIONS: MediaOptions = { requestTimeoutMs: 5_000, reconcileIntervalMs: 10_000, outageMs: 30_000 };

/** Bounds on what one connection or request may cost; see docs/security.md ("Limits"). */
export interface NetworkLimits {
  /** Largest request message in bytes, after decompression; larger ones answer RESOURCE_EXHAUSTED unread. */
  readMaxBytes: number;
  /** A connection with no request in flight (and one that never sends a byte) is closed after this long. */
  idleTimeoutMs: number;
  /** A request's headers must arrive within this long of its first byte (slow-header attacks). */
  headersTimeoutMs: number;
  /** A whole request, headers and body, must arrive within this long (slow-body attacks). */
  requestTimeoutMs: number;
}

/** Defaults: every request of screenshare.v1 is far below 64 KiB. */
export const DEFAULT_NETWORK_LIMITS: NetworkLimits = {
  readMaxBytes: 64 * 1024,
  idleTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

/**
 * Where the client address of a request comes from behind a load balancer. Off by default: the address is then the
 * connection's peer. When the peer is one of `proxies`, the address is the right-most entry of `header` that is not
 * itself a listed proxy (an entry a client wrote lies to the left of what the proxies appended).
 */
export interface TrustedProxy {
  /** e.g. `x-forwarded-for`. */
  header: string;
  /** Addresses of the load balancers, exactly as they connect (e.g. `10.0.0.5`, `::1`). */
  proxies: readonly string[];
}

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

/**
 * Switches for the programmatic test API only (`startServer`'s second argument, `startReferenceStack`): no flag or
 * environment variable reaches them.
 */
export interface TestSwitches {
  faults?: readonly Fault[];
  /** A store to use instead of the one `store` names (tests inject store failures). */
  store?: Store;
  /** Where log lines go instead of stdout (tests read them). */
  log?: DestinationStream;
}

/** Everything {@link startServer} needs. */
export interface ServerOptions {
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** LiveKit's URL and API key; the secret (at least 32 bytes) also checks LiveKit's webhook signatures. */
  livekit: { url: string; apiKey: string; apiSecret: string };
  /** How viewer tokens are checked: keys, issuer, audience, lifetime. */
  viewerTokens: ViewerTokenOptions;
  /** Bearer key of the contact-center platform for InteractionService; at least 32 bytes. */
  integrationApiKey: string;
  timeouts?: Partial<LifecycleTimeouts>;
  limits?: Partial<Limits>;
  /** How long the store keeps what is no longer in use; see docs/operations.md. */
  retention?: Partial<Retention>;
  media?: Partial<MediaOptions>;
  network?: Partial<NetworkLimits>;
  /** Take client addresses (for rate limits) from a header set by these load balancers; off by default. */
  trustedProxy?: TrustedProxy;
  /** Allowed browser origins for CORS; `*` allows any. None by default. */
  corsOrigins?: readonly string[];
  /** Whether sharers are told that supervisors watch; see {@link ObserverPolicy}. */
  observerPolicy?: Partial<ObserverPolicy>;
  /** Where state lives: embedded in this process (default) or in Redis, shared by every node. */
  store?: { kind: "memory" } | { kind: "redis"; url: string };
  /** Silence logs (tests). */
  quiet?: boolean;
}

/** Options with every default filled in. */
export interface ResolvedOptions
  extends Required<Omit<ServerOptions, "timeouts" | "limits" | "retention" | "media" | "network" | "corsOrigins" | "trustedProxy" | "observerPolicy">> {
  /** Secret of the live-key index; derived from the integration API key so every node of a deployment agrees. */
  keyIndexSecret: Buffer;
  timeouts: LifecycleTimeouts;
  limits: Limits;
  retention: Retention;
  media: MediaOptions;
  network: NetworkLimits;
  trustedProxy: TrustedProxy | undefined;
  faults: ReadonlySet<Fault>;
  corsOrigins: readonly string[];
  observerPolicy: ObserverPolicy;
}

/** Secrets shorter than this are refused: 32 bytes is 256 bits, the strength of the HMACs they key. */
export const MIN_SECRET_BYTES = 32;

/** Fills in defaults and checks everything; throws naming the first option to fix. */
export function resolveOptions(options: ServerOptions, switches: TestSwitches = {}): ResolvedOptions {
  for (const fault of switches.faults ?? []) {
    if (!FAULTS.includes(fault)) throw new Error(`unknown fault "${fault}"; known: ${FAULTS.join(", ")}`);
  }
  checkViewerTokenOptions(options.viewerTokens);
  if (Buffer.byteLength(options.integrationApiKey) < MIN_SECRET_BYTES) throw new Error(`the integration API key must be at least ${MIN_SECRET_BYTES} bytes`);
  if (Buffer.byteLength(options.livekit.apiSecret) < MIN_SECRET_BYTES) throw new Error(`the LiveKit API secret must be at least ${MIN_SECRET_BYTES} bytes`);
  for (const proxy of options.trustedProxy?.proxies ?? []) {
    if (!isIP(proxy)) throw new Error(`trusted proxy "${proxy}" is not an IP address`);
  }
  if (options.trustedProxy && !/^[A-Za-z0-9-]+$/.test(options.trustedProxy.header)) throw new Error(`"${options.trustedProxy.header}" is not a header name`);
  const network = { ...DEFAULT_NETWORK_LIMITS, ...options.network };
  for (const [name, value] of Object.entries(network)) {
    if (!(Number.isSafeInteger(value) && value > 0)) throw new Error(`network limit ${name} must be a positive whole number`);
  }
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  if (!(Number.isSafeInteger(limits.maxObserversPerSession) && limits.maxObserversPerSession >= 0 && limits.maxObserversPerSession <= MAX_OBSERVERS)) {
    throw new Error(`maxObserversPerSession must be a whole number from 0 to ${MAX_OBSERVERS}`);
  }
  const retention = { ...DEFAULT_RETENTION, ...options.retention };
  const media = { ...DEFAULT_MEDIA_OPTIONS, ...options.media };
  for (const [name, value] of [...Object.entries(retention), ...Object.entries(media)]) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of milliseconds, not ${value}`);
  }
  return {
    host: options.host ?? "127.0.0.1",
    port: options.port,
    livekit: options.livekit,
    viewerTokens: options.viewerTokens,
    integrationApiKey: options.integrationApiKey,
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    limits,
    retention,
    media,
    network,
    trustedProxy: options.trustedProxy && { header: options.trustedProxy.header.toLowerCase(), proxies: options.trustedProxy.proxies },
    faults: new Set(switches.faults ?? []),
    corsOrigins: options.corsOrigins ?? [],
    observerPolicy: { ...DEFAULT_OBSERVER_POLICY, ...options.observerPolicy },
    store: options.store ?? { kind: "memory" },
    keyIndexSecret: createHmac("sha256", options.integrationApiKey).update("security-key-index").digest(),
    quiet: options.quiet ?? false,
  };
}
