import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type Interceptor } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { pino } from "pino";
import { clientAddress } from "./client-address.js";
import { resolveOptions, type ServerOptions, type TestSwitches } from "./config.js";
import { SessionEngine } from "./engine.js";
import { httpRoutes } from "./http-routes.js";
import { listen } from "./listener.js";
import { liveKitMedia } from "./media.js";
import { MemoryStore } from "./memory-store.js";
import { createMetrics } from "./metrics.js";
import { RedisStore } from "./redis-store.js";
import { rpcLog } from "./rpc-log.js";
import { kRemoteAddress, registerServices } from "./services/index.js";
import { validateEnums } from "./validation.js";

/** A running reference server. */
export interface RunningServer {
  /** Base URL for Connect clients, e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the reference server. One port serves the Connect protocol, gRPC and gRPC-Web over HTTP/1.1 and
 * cleartext HTTP/2 (listener.ts), plus the plain HTTP routes of http-routes.ts (webhooks, health, metrics).
 */
export async function startServer(serverOptions: ServerOptions, switches: TestSwitches = {}): Promise<RunningServer> {
  const options = resolveOptions(serverOptions, switches);
  const log = pino({ level: options.quiet ? "silent" : "info", base: { service: "screenshare-server" } }, switches.log);
  const metrics = createMetrics();
  const media = liveKitMedia(options);
  const store = switches.store ?? (options.store.kind === "redis" ? new RedisStore(options.store.url, options.retention) : new MemoryStore(options.retention));
  if (store instanceof RedisStore) {
    let lastReported = "";
    // ioredis reconnects by itself; commands fail meanwhile and readiness says so. Each distinct error is logged once.
    store.onError((error) => {
      if (error.message !== lastReported) log.warn({ err: error }, "Redis connection failed; reconnecting");
      lastReported = error.message;
    });
  }
  const engine = new SessionEngine(store, options, media, metrics, log);
  await engine.run();
  const routes = httpRoutes(engine, media, metrics, options, log);

  const timing = rpcLog(metrics, log);

  // A server broken on one protocol only, to prove the conformance suite runs every case on every protocol.
  const grpcWebFault: Interceptor = (next) => async (request) => {
    try {
      return await next(request);
    } catch (error) {
      const grpcWeb = request.header.get("content-type")?.startsWith("application/grpc-web");
      if (!grpcWeb || request.stream || ConnectError.from(error).code !== Code.Unauthenticated) throw error;
      return {
        stream: false,
        service: request.service,
        method: request.method,
        header: new Headers(),
        trailer: new Headers(),
        message: create(request.method.output),
      };
    }
  };

  const enums: Interceptor = (next) => async (request) => {
    if (!request.stream) validateEnums(request.method.input, request.message);
    return next(request);
  };

  const rpc = connectNodeAdapter({
    routes: (router) => registerServices(router, engine, options),
    interceptors: options.faults.has("grpc-web-lets-unauthenticated-through") ? [timing, enums, grpcWebFault] : [timing, enums],
    contextValues: (request) =>
      createContextValues().set(
        kRemoteAddress,
        clientAddress(listener.peerOf(request), options.trustedProxy && request.headers[options.trustedProxy.header], options.trustedProxy),
      ),
    // Checked while reading and again after decompression, so a compression bomb is refused after 64 KiB of output.
    readMaxBytes: options.network.readMaxBytes,
    acceptCompression: [compressionGzip, compressionBrotli].map(clientFault),
    binaryOptions: { readUnknownFields: false },
  });

  function handle(request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) {
    const origin = String(request.headers.origin ?? "");
    if (origin && (options.corsOrigins.includes("*") || options.corsOrigins.includes(origin))) {
      response.setHeader("access-control-allow-origin", origin);
      response.setHeader("access-control-allow-methods", "POST, GET, OPTIONS");
      response.setHeader("access-control-allow-headers", String(request.headers["access-control-request-headers"] ?? "*"));
      response.setHeader("access-control-expose-headers", "grpc-status, grpc-message, grpc-status-details-bin");
      response.setHeader("access-control-max-age", "7200");
      if (request.method === "OPTIONS") {
        response.writeHead(204).end();
        return;
      }
    }
    if (routes(request, response)) return;
    rpc(request as IncomingMessage, response as ServerResponse);
  }

  const listener = await listen(options.port, options.host, options.network, handle).catch(async (error: unknown) => {
    await engine.close();
    await store.close();
    throw error;
  });
  const { port } = listener;
  const url = `http://${options.host}:${port}`;
  log.info({ url, livekit: options.livekit.url, faults: [...options.faults] }, "screenshare-server listening");
  return {
    url,
    port,
    async stop() {
      await engine.close();
      await store.close();
      await listener.close();
    },
  };
}

/** A compression whose failures blame the request: a body that does not decompress is the client's fault. */
function clientFault(compression: Compression): Compression {
  return {
    name: compression.name,
    compress: (bytes) => compression.compress(bytes),
    decompress: (bytes, readMaxBytes) =>
      compression.decompress(bytes, readMaxBytes).catch((error: unknown) => {
        const cause = ConnectError.from(error);
        if (cause.code === Code.ResourceExhausted) throw cause;
        throw new ConnectError(`the request body is not valid ${compression.name}: ${cause.rawMessage}`, Code.InvalidArgument, undefined, undefined, error);
      }),
  };
}
