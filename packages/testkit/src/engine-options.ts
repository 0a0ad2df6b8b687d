import { type ResolvedOptions, resolveOptions, type ServerOptions } from "@screenshare/server/config";

/**
 * Options for a `SessionEngine` run without a server (no listener, no LiveKit: pair it with `memoryMedia()`), with
 * placeholder secrets that nothing checks; `overrides` sets timeouts, limits, media checks and the like.
 */
export function engineOptions(overrides: Partial<ServerOptions> = {}): ResolvedOptions {
  return resolveOptions({
    port: 0,
    livekit: { url: "", apiKey: "", apiSecret: "engine-only-livekit-secret".padEnd(32, "-") },
    viewerTokens: { secret: "engine-only-viewer-token-secret".padEnd(32, "-"), issuer: "engine-only", audience: "screenshare" },
    integrationApiKey: "engine-only-integration-api-key".padEnd(32, "-"),
    quiet: true,
    ...overrides,
  });
}
