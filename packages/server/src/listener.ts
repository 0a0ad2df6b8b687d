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
import type { NetworkLimits } from "./config.js";

/** A request handler for both HTTP versions. */
export type HttpHandler = (request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) => void;

/** A bound port serving HTTP/1.1 and cleartext HTTP/2. */
export interface Listener {
  port: number;
  /** The TCP peer of a request (HTTP/2 requests run over a stream that has none of its own). */
  peerOf(request: IncomingMessage | Http2ServerRequest): string | undefined;
  /** Closes every connection and the port. */
  close(): Promise<void>;
}

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0");

/**
 * Serves `handle` on one port for both HTTP versions: the first bytes of each connection are peeked at for the
 * HTTP/2 preface. Every connection is bounded by `network` (headers, request and idle timeouts).
 */
export async function listen(port: number, host: string, network: NetworkLimits, handle: HttpHandler): Promise<Listener> {
  // The peer address of each HTTP/2 session: node:http2 runs sessions over the sniffing stream, which has none.
  const sessionPeers = new WeakMap<ServerHttp2Session, string | undefined>();
  let connectingPeer: string | undefined;
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
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    // Stops the timer of the "listening" emitted above; the server was never bound, so the callback's error is expected.
    http1.close(() => undefined);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
  } catch (error) {
    // Stops the "listening" check timer started above before the failure reaches the caller.
    http1.close(() => undefined);
    throw error;
  }
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    peerOf: (request) => ("stream" in request ? sessionPeers.get(request.stream.session as ServerHttp2Session) : request.socket.remoteAddress),
    close,
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
