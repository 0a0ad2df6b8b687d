import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";

/** How the suite talks to the server: an RPC protocol, a codec and an HTTP version. */
export interface Wire {
  protocol: "connect" | "grpc" | "grpc-web";
  codec: "json" | "binary";
  httpVersion: "1.1" | "2";
}

/** The default: Connect with JSON over HTTP/1.1, what a browser without a proxy speaks. */
export const DEFAULT_WIRE: Wire = { protocol: "connect", codec: "json", httpVersion: "1.1" };

/** Every combination a server may be asked to speak; gRPC needs HTTP/2. */
export const ALL_WIRES: readonly Wire[] = (["connect", "grpc-web", "grpc"] as const).flatMap((protocol) =>
  (["json", "binary"] as const).flatMap((codec) =>
    (["1.1", "2"] as const).filter((httpVersion) => protocol !== "grpc" || httpVersion === "2").map((httpVersion) => ({ protocol, codec, httpVersion })),
  ),
);

/** `connect+json/http1.1`, the wire's name in reports. */
export const wireName = (wire: Wire) => `${wire.protocol}+${wire.codec}/http${wire.httpVersion}`;

/** Checks flag values; every problem is named with the flag to fix. */
export function parseWire(values: { protocol?: string; codec?: string; http?: string }): Wire {
  const protocol = values.protocol ?? DEFAULT_WIRE.protocol;
  const codec = values.codec ?? DEFAULT_WIRE.codec;
  const httpVersion = values.http ?? (protocol === "grpc" ? "2" : DEFAULT_WIRE.httpVersion);
  const problems: string[] = [];
  if (!["connect", "grpc", "grpc-web"].includes(protocol)) problems.push(`--protocol must be connect, grpc or grpc-web, not "${protocol}"`);
  if (!["json", "binary"].includes(codec)) problems.push(`--codec must be json or binary, not "${codec}"`);
  if (!["1.1", "2"].includes(httpVersion)) problems.push(`--http must be 1.1 or 2, not "${httpVersion}"`);
  if (protocol === "grpc" && httpVersion !== "2") problems.push("--protocol grpc needs --http 2");
  if (problems.length > 0) throw new Error(problems.join("; "));
  return { protocol, codec, httpVersion } as Wire;
}

/** Makes transports for one server on one wire; HTTP/2 calls share one connection, closed by `close()`. */
export class TransportFactory {
  private readonly sessions: Http2SessionManager | undefined;

  constructor(
    readonly baseUrl: string,
    readonly wire: Wire,
  ) {
    this.sessions = wire.httpVersion === "2" ? new Http2SessionManager(baseUrl) : undefined;
  }

  create(interceptors: Interceptor[]): Transport {
    const { baseUrl, wire } = this;
    const useBinaryFormat = wire.codec === "binary";
    if (wire.protocol === "grpc")
      return createGrpcTransport({ baseUrl, useBinaryFormat, interceptors, ...(this.sessions && { sessionManager: this.sessions }) });
    const common = { baseUrl, useBinaryFormat, interceptors };
    const transport = wire.protocol === "grpc-web" ? createGrpcWebTransport : createConnectTransport;
    return this.sessions ? transport({ ...common, httpVersion: "2", sessionManager: this.sessions }) : transport({ ...common, httpVersion: "1.1" });
  }

  close(): void {
    this.sessions?.abort();
  }
}
