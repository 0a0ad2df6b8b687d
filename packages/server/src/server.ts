import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  constants as http2Constants,
  type ServerHttp2Session,
} from "node:http2";
import { createServer as createNetServer, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type Interceptor } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { SessionState } from "@screenshare/protocol";
import { decodeJwt } from "jose";
import { type WebhookEvent, WebhookReceiver } from "livekit-server-sdk";
import { pino } from "pino";
import { clientAddress } from "./client-address.js";
import { type NetworkLimits, resolveOptions, type ServerOptions, type TestSwitches } from "./config.js";
import { SessionEngine } from "./engine.js";
import { liveKitMedia } from "./media.js";
import { createMetrics } from "./metrics.js";
import { RedisStore } from "./redis-store.js";
import { kRemoteAddress, registerServices } from "./services/index.js";
import { MemoryStore } from "./store.js";
import { validateEnums } from "./validation.js";

/** A running reference server. */
export interface RunningServer {
  /** Base URL for Connect clients, e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0");
/** What livekit-server-sdk allows a webhook signature's times to be off by. */
const WEBHOOK_CLOCK_TOLERANCE_MS = 10_000;
/** LiveKit signs webhooks for 5 minutes; a longer-lived signature would make replay memory grow. */
const MAX_WEBHOOK_SIGNATURE_MS = 60 * 60_000;

/**
 * Starts the reference server. One port serves the Connect protocol, gRPC and gRPC-Web over HTTP/1.1 and
 * cleartext HTTP/2, plus `POST /livekit/webhook`, `GET /healthz` and `GET /metrics`.
 */
export async function startServer(serverOptions: ServerOptions, switches: TestSwitches = {}): Promise<RunningServer> {
  const options = resolveOptions(serverOptions, switches);
  const log = pino({ level: options.quiet ? "silent" : "info", base: { service: "screenshare-server" } });
  const metrics = createMetrics();
  const media = liveKitMedia(options);
  const store = options.store.kind === "redis" ? new RedisStore(options.store.url, options.retention) : new MemoryStore(options.retention);
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
  const webhooks = new WebhookReceiver(options.livekit.apiKey, options.livekit.apiSecret);

  const timing: Interceptor = (next) => async (request) => {
    const stop = metrics.rpcDuration.startTimer({ method: request.method.name });
    try {
      const response = await next(request);
      stop({ code: "ok" });
      return response;
    } catch (error) {
      const code = ConnectError.from(error).code;
      stop({ code: Code[code] });
      // Session ids and codes only: keys and credentials never reach the log.
      log.info({ method: request.method.name, code: Code[code] }, "rpc failed");
      throw error;
    }
  };

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

  // The peer address of each HTTP/2 session: node:http2 runs sessions over the sniffing stream, which has none.
  const sessionPeers = new WeakMap<ServerHttp2Session, string | undefined>();
  let connectingPeer: string | undefined;

  const rpc = connectNodeAdapter({
    routes: (router) => registerServices(router, engine, options),
    interceptors: options.faults.has("grpc-web-lets-unauthenticated-through") ? [timing, enums, grpcWebFault] : [timing, enums],
    contextValues: (request) =>
      createContextValues().set(
        kRemoteAddress,
        clientAddress(
          "stream" in request ? sessionPeers.get(request.stream.session as ServerHttp2Session) : request.socket.remoteAddress,
          options.trustedProxy && request.headers[options.trustedProxy.header],
          options.trustedProxy,
        ),
      ),
    // Checked while reading and again after decompression, so a compression bomb is refused after 64 KiB of output.
    readMaxBytes: options.network.readMaxBytes,
    acceptCompression: [compressionGzip, compressionBrotli].map(clientFault),
    binaryOptions: { readUnknownFields: false },
  });

  async function handleWebhook(request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) {
    const body = await readBody(request, options.network.readMaxBytes);
    if (body === undefined) {
      response.writeHead(413).end(`webhook body larger than ${options.network.readMaxBytes} bytes\n`);
      return;
    }
    const signature = String(request.headers.authorization ?? "");
    let event: WebhookEvent;
    try {
      event = await webhooks.receive(body, signature);
    } catch (error) {
      log.info({ err: error }, "webhook signature rejected");
      response.writeHead(401).end("webhook signature rejected\n");
      return;
    }
    // An event is applied once: its id is remembered while its signature is valid (LiveKit signs for 5 minutes), so
    // the signature must expire, soon enough for the ids to fit in memory, and every event must have an id.
    const { exp } = decodeJwt(signature);
    const rememberMs = (exp ?? 0) * 1000 - Date.now() + WEBHOOK_CLOCK_TOLERANCE_MS;
    if (exp === undefined || rememberMs > MAX_WEBHOOK_SIGNATURE_MS) {
      response.writeHead(401).end(`webhook signature must expire within ${MAX_WEBHOOK_SIGNATURE_MS / 60_000} minutes\n`);
      return;
    }
    if (!event.id) {
      response.writeHead(400).end("webhook event without an id\n");
      return;
    }
    // Applied before answering: a failure answers 500, and LiveKit delivers the event again.
    const outcome = await engine.mediaEvent(event, rememberMs);
    if (outcome === "replayed") log.info({ webhook: event.id, event: event.event }, "webhook delivered again; not applied twice");
    response.writeHead(200).end();
  }

  /** What keeps this node from serving sessions: an unreachable store or media plane. Empty when ready. */
  async function readiness(): Promise<string[]> {
    const probe = async (what: string, check: () => Promise<void>) => {
      try {
        await withTimeout(check(), options.media.requestTimeoutMs, `${what} did not answer within ${options.media.requestTimeoutMs} ms`);
        return undefined;
      } catch (error) {
        return `${what} unreachable (${(error as Error).message})`;
      }
    };
    const problems = await Promise.all([probe("store", () => engine.pingStore()), probe("LiveKit", () => media.ping())]);
    return problems.filter((problem): problem is string => problem !== undefined);
  }

  /**
   * The registry's text. Live sessions by state come from counts the store keeps as sessions change (one read);
   * while the store is unreachable that gauge is left out and the rest is served.
   */
  async function scrape(): Promise<string> {
    try {
      const counts = await withTimeout(engine.liveCountsByState(), options.media.requestTimeoutMs, "the store did not answer");
      for (const state of Object.values(SessionState).filter(
        (value): value is SessionState => typeof value === "number" && value !== 0 && value !== SessionState.ENDED,
      )) {
        metrics.sessions.set({ state: SessionState[state] }, counts.get(state) ?? 0);
      }
    } catch (error) {
      metrics.sessions.reset();
      log.warn({ err: error }, "live session counts not read; metrics served without them");
    }
    return metrics.registry.metrics();
  }

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
    const path = request.url?.split("?")[0];
    if (path === "/healthz") {
      // Liveness: the process serves HTTP. Whether it can serve sessions is readiness.
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path === "/readyz") {
      void readiness().then(
        (problems) => {
          const body = problems.length === 0 ? "ready\n" : `not ready: ${problems.join("; ")}\n`;
          response.writeHead(problems.length === 0 ? 200 : 503, { "content-type": "text/plain" }).end(body);
        },
        (error: unknown) => {
          log.error({ err: error }, "readiness check failed");
          if (!response.headersSent) response.writeHead(500).end("readiness check failed\n");
        },
      );
      return;
    }
    if (path === "/metrics") {
      void scrape().then(
        (body) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
        (error: unknown) => {
          log.error({ err: error }, "metrics not rendered");
          if (!response.headersSent) response.writeHead(500).end("metrics not rendered\n");
        },
      );
      return;
    }
    if (path === "/livekit/webhook" && request.method === "POST") {
      void handleWebhook(request, response).catch((error) => {
        log.error({ err: error }, "webhook failed");
        if (!response.headersSent) response.writeHead(500).end("webhook not applied; deliver it again\n");
      });
      return;
    }
    rpc(request as IncomingMessage, response as ServerResponse);
  }

  // One port for both HTTP versions: peek at the first bytes for the HTTP/2 preface.
  const { network } = options;
  const http1 = createHttpServer(
    {
      headersTimeout: network.headersTimeoutMs,
      requestTimeout: network.requestTimeoutMs,
      keepAliveTimeout: network.idleTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(network.headersTimeoutMs / 4))),
    },
    handle,
  );
  // Node checks headersTimeout and requestTimeout from a timer it starts on "listening"; this server never listens
  // itself (the sniffing server hands it connections), so start that check here.
  http1.emit("listening");
  const http2 = createHttp2Server({ settings: { maxConcurrentStreams: 100, maxHeaderListSize: 16 * 1024 } }, handle);
  http2.on("session", (session: ServerHttp2Session) => {
    // Emitted synchronously from the "connection" below, so connectingPeer is this session's peer.
    sessionPeers.set(session, connectingPeer);
    closeWhenIdle(session, network.idleTimeoutMs);
  });
  http2.on("stream", (stream) => {
    // A request must arrive whole in time; a stream that dribbles its body is cancelled.
    const timer = setTimeout(() => stream.close(http2Constants.NGHTTP2_CANCEL), network.requestTimeoutMs);
    timer.unref();
    stream.once("end", () => clearTimeout(timer));
    stream.once("close", () => clearTimeout(timer));
  });
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // A peer that vanished without a FIN is found by TCP keep-alive probes.
    socket.setKeepAlive(true, network.idleTimeoutMs);
    sniff(socket, network, (http2Preface, head) => {
      if (http2Preface) {
        connectingPeer = socket.remoteAddress;
        http2.emit("connection", replaying(socket, head));
        connectingPeer = undefined;
      } else {
        socket.unshift(head);
        http1.emit("connection", socket);
        socket.resume();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  }).catch(async (error: unknown) => {
    await engine.close();
    await store.close();
    throw error;
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const url = `http://${options.host}:${port}`;
  log.info({ url, livekit: options.livekit.url, faults: [...options.faults] }, "screenshare-server listening");
  return {
    url,
    port,
    async stop() {
      await engine.close();
      await store.close();
      for (const socket of sockets) socket.destroy();
      // Stops the timer of the "listening" emitted above; the server was never bound, so the callback's error is expected.
      http1.close(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Reads a connection's first bytes until they show whether it speaks HTTP/2 (the preface) or HTTP/1.1; a connection
 * that sends nothing within the headers timeout is closed.
 */
function sniff(socket: Socket, network: NetworkLimits, decided: (http2: boolean, head: Buffer) => void): void {
  let head = Buffer.alloc(0);
  const silent = () => socket.destroy();
  socket.setTimeout(network.headersTimeoutMs);
  socket.once("timeout", silent);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const prefix = head.subarray(0, HTTP2_PREFACE.length);
    if (prefix.length < HTTP2_PREFACE.length && prefix.equals(HTTP2_PREFACE.subarray(0, prefix.length))) return;
    socket.off("data", onData);
    socket.off("timeout", silent);
    socket.setTimeout(0);
    socket.pause();
    decided(prefix.equals(HTTP2_PREFACE), head);
  };
  socket.on("data", onData);
}

/**
 * Closes an HTTP/2 session that has had no open stream for `idleMs`, counted from its last stream's end whatever
 * else it sends (pings, settings and header fragments do not keep a session alive).
 */
function closeWhenIdle(session: ServerHttp2Session, idleMs: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      session.close();
      // A peer that never answers the GOAWAY is cut off.
      setTimeout(() => session.destroy(), 1_000).unref();
    }, idleMs);
    timer.unref();
  };
  arm();
  session.on("stream", (stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      if (--open === 0 && !session.closed && !session.destroyed) arm();
    });
  });
  session.once("close", () => clearTimeout(timer));
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

/**
 * The socket as a stream that first yields `head`: node:http2 reads a socket's native handle directly, so bytes
 * read to sniff the protocol cannot be put back with `unshift` there.
 */
function replaying(socket: Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read: () => socket.resume(),
    write: (chunk, encoding, callback) => socket.write(chunk, encoding, callback),
    final: (callback) => socket.end(callback),
    destroy: (error, callback) => {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  stream.push(head);
  socket.on("data", (data: Buffer) => {
    if (!stream.push(data)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("close", () => stream.destroy());
  socket.on("error", (error) => stream.destroy(error));
  return stream;
}

/** `promise`, or a rejection with `message` after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The body as text, or undefined (and the rest unread) once it passes `maxBytes`. */
function readBody(request: IncomingMessage | Http2ServerRequest, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.off("data", onData);
        request.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    request.on("data", onData);
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
