import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { SessionState } from "@screenshare/protocol";
import { decodeJwt } from "jose";
import { type WebhookEvent, WebhookReceiver } from "livekit-server-sdk";
import type { Logger } from "pino";
import type { ResolvedOptions } from "./config.js";
import type { SessionEngine } from "./engine.js";
import type { MediaPlane } from "./media.js";
import type { Metrics } from "./metrics.js";

/** What livekit-server-sdk allows a webhook signature's times to be off by. */
const WEBHOOK_CLOCK_TOLERANCE_MS = 10_000;
/** LiveKit signs webhooks for 5 minutes; a longer-lived signature would make replay memory grow. */
const MAX_WEBHOOK_SIGNATURE_MS = 60 * 60_000;

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/**
 * The server's plain HTTP routes beside the RPCs: `POST /livekit/webhook`, `GET /healthz`, `GET /readyz` and
 * `GET /metrics`. The returned handler answers one of them and returns true, or returns false for any other path.
 */
export function httpRoutes(
  engine: SessionEngine,
  media: MediaPlane,
  metrics: Metrics,
  options: ResolvedOptions,
  log: Logger,
): (request: Request, response: Response) => boolean {
  const webhooks = new WebhookReceiver(options.livekit.apiKey, options.livekit.apiSecret);

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

  return (request, response) => {
    const path = request.url?.split("?")[0];
    if (path === "/healthz") {
      // Liveness: the process serves HTTP. Whether it can serve sessions is readiness.
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return true;
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
      return true;
    }
    if (path === "/metrics") {
      void scrape().then(
        (body) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
        (error: unknown) => {
          log.error({ err: error }, "metrics not rendered");
          if (!response.headersSent) response.writeHead(500).end("metrics not rendered\n");
        },
      );
      return true;
    }
    if (path === "/livekit/webhook" && request.method === "POST") {
      void handleWebhook(request, response).catch((error) => {
        log.error({ err: error }, "webhook failed");
        if (!response.headersSent) response.writeHead(500).end("webhook not applied; deliver it again\n");
      });
      return true;
    }
    return false;
  };
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
