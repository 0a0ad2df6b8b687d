import type { ServiceImpl } from "@connectrpc/connect";
import { MediaTransport, type ServerInfoService } from "@screenshare/protocol";
import type { ServiceContext } from "./access.js";

/** ServerInfoService: the protocol version and this server's timeouts and limits. */
export function serverInfoService({ options }: ServiceContext): ServiceImpl<typeof ServerInfoService> {
  const seconds = (ms: number) => Math.round(ms / 1000);
  const { timeouts, limits } = options;
  return {
    async getServerInfo() {
      return {
        info: {
          protocolVersion: "screenshare.v1",
          implementation: "screenshare-reference/0.1.0",
          securityKeyLength: limits.securityKeyLength,
          securityKeyTtlSeconds: seconds(timeouts.securityKeyTtlMs),
          securityKeyMaxAttempts: limits.securityKeyMaxAttempts,
          redeemAttemptsPerClient: limits.redeemAttemptsPerClient,
          redeemAttemptsPerOrg: limits.redeemAttemptsPerOrg,
          redeemWindowSeconds: seconds(limits.redeemWindowMs),
          acceptanceTimeoutSeconds: seconds(timeouts.acceptanceTimeoutMs),
          screenSelectionTimeoutSeconds: seconds(timeouts.screenSelectionTimeoutMs),
          viewerReconnectGraceSeconds: seconds(timeouts.viewerReconnectGraceMs),
          sharerReconnectGraceSeconds: seconds(timeouts.sharerReconnectGraceMs),
          maxSessionDurationSeconds: seconds(timeouts.maxSessionDurationMs),
          idempotencyRetentionSeconds: seconds(limits.idempotencyRetentionMs),
          mediaTransports: [MediaTransport.LIVEKIT],
          pauseTimeoutSeconds: seconds(timeouts.pauseTimeoutMs),
          maxObserversPerSession: limits.maxObserversPerSession,
        },
      };
    },
  };
}
