import { randomBytes } from "node:crypto";
import { freePort, type LiveKitHandle, type RedisHandle, retryPortRace, startLiveKit, startRedis } from "@screenshare/devstack";
import type { LifecycleTimeouts } from "@screenshare/machine";
import { type Fault, type Limits, type RunningServer, type ServerOptions, startServer } from "@screenshare/server";

/** Options for {@link startReferenceStack}. */
export interface StackOptions {
  timeouts?: Partial<LifecycleTimeouts>;
  limits?: Partial<Limits>;
  retention?: ServerOptions["retention"];
  media?: ServerOptions["media"];
  /** Faults that make the server wrong on purpose (conformance self-test); reachable only here. */
  faults?: readonly Fault[];
  corsOrigins?: readonly string[];
  network?: ServerOptions["network"];
  trustedProxy?: ServerOptions["trustedProxy"];
  observerPolicy?: ServerOptions["observerPolicy"];
  /** Start Redis and keep the server's state there instead of the embedded store. */
  redis?: boolean;
  /** Fixed server port; free by default. */
  port?: number;
  quiet?: boolean;
}

/** A real LiveKit and the reference server wired to it, all on loopback. */
export interface ReferenceStack {
  server: RunningServer;
  livekit: LiveKitHandle;
  redis?: RedisHandle;
  /** What the server checks viewer tokens with; spread it into `mintViewerToken`. */
  viewerTokens: { secret: string; issuer: string; audience: string };
  integrationApiKey: string;
  stop(): Promise<void>;
}

/**
 * Starts LiveKit with its webhooks pointed at the server's port, then the server; for tests, the demo, the
 * conformance suite's own CI and benchmarks.
 */
export async function startReferenceStack(options: StackOptions = {}): Promise<ReferenceStack> {
  return retryPortRace(
    options.port,
    (error) => (error as NodeJS.ErrnoException).code === "EADDRINUSE",
    () => startOnce(options),
  );
}

async function startOnce(options: StackOptions): Promise<ReferenceStack> {
  const port = options.port ?? (await freePort());
  const livekit = await startLiveKit({ webhookUrls: [`http://127.0.0.1:${port}/livekit/webhook`] });
  const redis = options.redis ? await startRedis() : undefined;
  // Fresh secrets per stack: nothing a test, the demo or a benchmark uses is written in this repository.
  const viewerTokens = { secret: randomBytes(32).toString("base64url"), issuer: "reference-stack", audience: "screenshare" };
  const integrationApiKey = randomBytes(32).toString("base64url");
  const server = await startServer(
    {
      port,
      livekit: { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
      viewerTokens,
      integrationApiKey,
      quiet: options.quiet ?? true,
      ...(redis && { store: { kind: "redis" as const, url: redis.url } }),
      ...(options.timeouts && { timeouts: options.timeouts }),
      ...(options.limits && { limits: options.limits }),
      ...(options.retention && { retention: options.retention }),
      ...(options.media && { media: options.media }),
      ...(options.corsOrigins && { corsOrigins: options.corsOrigins }),
      ...(options.network && { network: options.network }),
      ...(options.trustedProxy && { trustedProxy: options.trustedProxy }),
      ...(options.observerPolicy && { observerPolicy: options.observerPolicy }),
    },
    { faults: options.faults ?? [] },
  ).catch(async (error: unknown) => {
    await Promise.all([livekit.stop(), redis?.stop()]);
    throw error;
  });
  return {
    server,
    livekit,
    ...(redis && { redis }),
    viewerTokens,
    integrationApiKey,
    async stop() {
      await server.stop();
      await Promise.all([livekit.stop(), redis?.stop()]);
    },
  };
}
