// Long because it holds the malformed-request generators for every RPC and protocol; nothing else uses them.
// Malformed requests for every RPC over every protocol, for a few seconds: no INTERNAL, no crash, a stable heap.
// The seed is printed; FUZZ_SEED=<n> replays a run, FUZZ_MS=<ms> runs longer.
import { randomBytes } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { type ClientHttp2Session, connect as http2Connect } from "node:http2";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { type DescMessage, type DescMethod, ScalarType, toBinary, toJsonString } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { InteractionService, ServerInfoService, SharerService, ViewerService, WatchService } from "@screenshare/protocol";
import { afterAll, beforeAll, expect, it } from "vitest";
import { mintViewerToken, VIEW_PERMISSION } from "./auth.js";
import { type RunningServer, startServer } from "./server.js";

const METHODS: DescMethod[] = [ViewerService, SharerService, InteractionService, WatchService, ServerInfoService].flatMap((service) => service.methods);
const PROTOCOLS = [
  "connect-proto-h1",
  "connect-json-h1",
  "connect-proto-h2",
  "connect-json-h2",
  "connect-get-h1",
  "grpc-h2",
  "grpc-web-h1",
  "grpc-web-h2",
] as const;
type Protocol = (typeof PROTOCOLS)[number];
const FUZZ_MS = Number(process.env.FUZZ_MS ?? 4_000);
const seed = Number(process.env.FUZZ_SEED ?? randomBytes(4).readUInt32LE());

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function generator(state: number) {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const random = generator(seed);
const below = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[below(items.length)] as T;
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => below(256)));

/** A plausible request: every field set (ids, first enum value, 1 for numbers), nested messages two deep. */
function plausible(schema: DescMessage, depth = 0) {
  const message = reflect(schema);
  for (const field of message.fields) {
    if (field.oneof && field.oneof.fields[0] !== field) continue;
    if (field.fieldKind === "scalar") {
      const wide = [ScalarType.INT64, ScalarType.UINT64, ScalarType.FIXED64, ScalarType.SFIXED64, ScalarType.SINT64].includes(field.scalar);
      const value = { [ScalarType.STRING]: "fuzz-id", [ScalarType.BOOL]: true, [ScalarType.BYTES]: new Uint8Array([1]) }[field.scalar as number];
      message.set(field, (value ?? (wide ? 1n : 1)) as never);
    } else if (field.fieldKind === "enum") {
      message.set(field, (field.enum.values[1] ?? field.enum.values[0])?.number ?? 0);
    } else if (field.fieldKind === "message" && depth < 2) {
      message.set(field, plausible(field.message, depth + 1) as never);
    }
  }
  return message.message;
}

/** One malformed (or occasionally valid) body for `method`, binary. */
function binaryBody(method: DescMethod): Buffer {
  const valid = Buffer.from(toBinary(method.input, plausible(method.input)));
  const tag = (field: number, wire: number) => Buffer.from([(field << 3) | wire]);
  switch (below(10)) {
    case 0:
      return bytes(below(64));
    case 1:
      return valid.subarray(0, below(valid.length + 1));
    case 2: {
      const copy = Buffer.from(valid);
      for (let flips = 0; flips < 1 + below(3) && copy.length > 0; flips++) copy[below(copy.length)] = below(256);
      return copy;
    }
    case 3:
      return Buffer.concat([tag(1 + below(6), 2), Buffer.from([3, 0xff, 0xfe, 0xc0])]);
    case 4:
      return Buffer.concat([tag(1 + below(6), 0), Buffer.alloc(11, 0xff)]);
    case 5:
      return Buffer.concat([tag(1 + below(8), pick([3, 4, 5, 6, 7])), bytes(below(9))]);
    case 6:
      return Buffer.concat([tag(1 + below(6), 2), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07]), bytes(4)]);
    case 7:
      // Every varint field set to an out-of-range value: enums get 99, -1 or 2^31-1.
      return Buffer.concat([
        valid,
        ...[1, 2, 3, 4, 5, 6].map((field) =>
          Buffer.concat([
            tag(field, 0),
            Buffer.from(pick([[99], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0xff, 0xff, 0xff, 0xff, 0x07]])),
          ]),
        ),
      ]);
    case 8:
      return Buffer.alloc(0);
    default:
      return valid;
  }
}

/** One malformed JSON body for `method`. */
function jsonBody(method: DescMethod): Buffer {
  const valid = toJsonString(method.input, plausible(method.input));
  switch (below(8)) {
    case 0:
      return bytes(below(48));
    case 1:
      return Buffer.from(valid.slice(0, below(valid.length)));
    case 2:
      return Buffer.from(valid.replace(/"fuzz-id"/, pick(["5", "null", "[]", "{}", '"\\ud800"', `"${"x".repeat(300)}"`])));
    case 3:
      return Buffer.from(valid.replace(/"[A-Z_]+"/, pick(['"NOT_A_VALUE"', "99", "-1", "1e400", "true"])));
    case 4:
      return Buffer.from(`${"[".repeat(5_000)}${"]".repeat(5_000)}`);
    case 5:
      return Buffer.concat([Buffer.from('{"orgId":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    case 6:
      return Buffer.from(
        JSON.stringify({ [pick(["unknownField", "sessionId", "pageSize", "afterSequence"])]: pick([1.5, -1, "9".repeat(40), { a: 1 }, null]) }),
      );
    default:
      return Buffer.from(valid);
  }
}

/** An envelope (gRPC, gRPC-Web, Connect streaming): flag byte, 4-byte length, payload; sometimes lying or cut. */
function envelope(payload: Buffer, compressed: boolean): Buffer {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(payload.length, 1);
  switch (below(8)) {
    case 0:
      head.writeUInt32BE(payload.length + 1 + below(1 << 20), 1);
      return Buffer.concat([head, payload]);
    case 1:
      return Buffer.concat([head, payload]).subarray(0, below(5 + payload.length));
    case 2:
      head[0] = pick([1, 2, 0x80, 0xff]);
      return Buffer.concat([head, payload]);
    case 3:
      return Buffer.concat([head, payload, head, payload]);
    default:
      return Buffer.concat([head, payload]);
  }
}

/** Compresses sometimes, and sometimes lies about it. */
function maybeCompressed(body: Buffer): { body: Buffer; encoding?: string } {
  switch (below(6)) {
    case 0:
      return { body: gzipSync(body), encoding: "gzip" };
    case 1:
      return { body: gzipSync(body).subarray(0, below(20)), encoding: "gzip" };
    case 2:
      return { body: brotliCompressSync(body).subarray(0, 1 + below(8)), encoding: "br" };
    case 3:
      return { body, encoding: pick(["gzip", "br", "identity", "zstd", "gzip, br"]) };
    default:
      return { body };
  }
}

interface Request {
  http2: boolean;
  method: "POST" | "GET";
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

function fuzzRequest(protocol: Protocol, method: DescMethod, credentials: string[]): Request {
  const path = `/${method.parent.typeName}/${method.name}`;
  const streaming = method.methodKind === "server_streaming";
  const headers: Record<string, string> = {};
  const credential = pick(credentials);
  if (credential) headers.authorization = `Bearer ${credential}`;
  if (below(8) === 0) headers[pick(["connect-timeout-ms", "grpc-timeout"])] = pick(["-1", "99999999999", "1n", "abc", "0"]);
  const http2 = protocol.endsWith("h2");
  if (protocol === "connect-get-h1") {
    const message = pick([binaryBody(method).toString("base64url"), "!!not-base64!!", encodeURIComponent(jsonBody(method).toString())]);
    const query = `connect=v1&encoding=${pick(["proto", "json", "xml"])}&base64=${pick(["1", "0", "x"])}&message=${message}${below(3) === 0 ? "&compression=gzip" : ""}`;
    return { http2, method: "GET", path: `${path}?${query}`, headers, body: Buffer.alloc(0) };
  }
  if (protocol.startsWith("connect")) {
    const json = protocol.startsWith("connect-json");
    const raw = json ? jsonBody(method) : binaryBody(method);
    const { body, encoding } = maybeCompressed(raw);
    if (streaming) {
      headers["content-type"] = json ? "application/connect+json" : "application/connect+proto";
      if (encoding) headers["connect-content-encoding"] = encoding;
      return { http2, method: "POST", path, headers, body: envelope(body, encoding !== undefined && below(2) === 0) };
    }
    headers["content-type"] = json ? "application/json" : pick(["application/proto", "application/proto", "application/x-protobuf", "text/plain"]);
    if (encoding) headers["content-encoding"] = encoding;
    if (below(4) === 0) headers["connect-protocol-version"] = pick(["1", "2", ""]);
    return { http2, method: "POST", path, headers, body };
  }
  const { body, encoding } = maybeCompressed(binaryBody(method));
  headers["content-type"] = protocol.startsWith("grpc-web")
    ? pick(["application/grpc-web+proto", "application/grpc-web"])
    : pick(["application/grpc+proto", "application/grpc"]);
  if (!protocol.startsWith("grpc-web")) headers.te = "trailers";
  if (encoding) headers["grpc-encoding"] = encoding;
  return { http2, method: "POST", path, headers, body: envelope(body, encoding !== undefined ? below(4) !== 0 : below(6) === 0) };
}

/** A webhook without a valid signature: random or JSON body, missing, garbage or unsigned-JWT authorization. */
function forgedWebhook(): Request {
  const body = below(2) === 0 ? bytes(below(200)) : Buffer.from(JSON.stringify({ id: "EV_x", event: "participant_left", room: { name: "ss-x" } }));
  const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sha256":"x"}').toString("base64url")}.`;
  const authorization = pick(["", "garbage", unsigned, `Bearer ${unsigned}`]);
  return {
    http2: below(2) === 0,
    method: "POST",
    path: "/livekit/webhook",
    headers: { "content-type": "application/webhook+json", ...(authorization && { authorization }) },
    body,
  };
}

interface Answer {
  status: number;
  text: string;
  grpcStatus: string | undefined;
}

/** What a response said, in the words of its protocol: the Connect code, or the gRPC status. */
function verdict(answer: Answer): string {
  const fromBody = /"code"\s*:\s*"([a-z_]+)"/.exec(answer.text)?.[1];
  const grpc = answer.grpcStatus ?? /grpc-status:\s*(\d+)/i.exec(answer.text)?.[1];
  if (grpc !== undefined && grpc !== "0") return `grpc-${grpc}`;
  if (fromBody) return fromBody;
  return `http-${answer.status}`;
}
const isInternal = (said: string) => said === "internal" || said === "grpc-13" || said === "http-500" || said === "unknown" || said === "grpc-2";

let server: RunningServer;
let session: ClientHttp2Session;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const integrationApiKey = randomBytes(32).toString("base64url");
const viewerTokens = { secret: randomBytes(32).toString("base64url"), issuer: "fuzz", audience: "screenshare" };

beforeAll(async () => {
  server = await startServer({
    port: 0,
    livekit: { url: "ws://127.0.0.1:9", apiKey: "unused", apiSecret: randomBytes(32).toString("base64url") },
    viewerTokens,
    integrationApiKey,
    quiet: true,
  });
  session = http2Connect(server.url);
  session.on("error", () => undefined);
});
afterAll(async () => {
  session?.close();
  agent.destroy();
  await server?.stop();
});

function send(request: Request): Promise<Answer> {
  const signal = AbortSignal.timeout(3_000);
  if (request.http2) {
    if (session.destroyed || session.closed) {
      session = http2Connect(server.url);
      session.on("error", () => undefined);
    }
    return new Promise((resolve, reject) => {
      const stream = session.request({ ":method": request.method, ":path": request.path, ...request.headers }, { signal });
      let status = 0;
      let grpcStatus: string | undefined;
      const chunks: Buffer[] = [];
      stream.on("response", (head) => {
        status = Number(head[":status"]);
        if (head["grpc-status"] !== undefined) grpcStatus = String(head["grpc-status"]);
      });
      stream.on("trailers", (trailers) => {
        if (trailers["grpc-status"] !== undefined) grpcStatus = String(trailers["grpc-status"]);
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("close", () => resolve({ status, text: Buffer.concat(chunks).toString("latin1"), grpcStatus }));
      stream.end(request.body);
    });
  }
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `${server.url}${request.path}`,
      {
        method: request.method,
        agent,
        signal,
        headers: { ...request.headers, ...(request.method === "POST" && { "content-length": String(request.body.length) }) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const header = response.headers["grpc-status"];
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString("latin1"),
            grpcStatus: header === undefined ? undefined : String(header),
          });
        });
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(request.method === "POST" ? request.body : undefined);
  });
}

function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  return process.memoryUsage().heapUsed;
}

it(`answers ${FUZZ_MS / 1000} s of malformed requests for all ${METHODS.length} RPCs over ${PROTOCOLS.length} protocol variants without INTERNAL, crash or heap growth`, async () => {
  const credentials = [
    "",
    integrationApiKey,
    await mintViewerToken({ ...viewerTokens, org: "fuzz-org", sub: "fuzz-agent", permissions: [VIEW_PERMISSION] }),
    "garbage.token.value",
    `cus_${"A".repeat(32)}`,
  ];
  const tally = new Map<string, number>();
  const internal: string[] = [];
  let tried = 0;
  let internals = 0;
  const run = async (until: number) => {
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < until) {
          const protocol = pick(PROTOCOLS);
          const method = pick(METHODS);
          // One request in 16 is a forged LiveKit webhook instead.
          const request = below(16) === 0 ? forgedWebhook() : fuzzRequest(protocol, method, credentials);
          const answer = await send(request).then(verdict, (error: Error) => `transport-${error.name}`);
          tried++;
          tally.set(answer, (tally.get(answer) ?? 0) + 1);
          if (isInternal(answer)) internals++;
          if (isInternal(answer) && internal.length < 5)
            internal.push(`${protocol} ${method.name} ${JSON.stringify(request.headers)} ${request.body.toString("base64")} -> ${answer}`);
        }
      }),
    );
  };
  await run(Date.now() + 500);
  const heapBefore = heapAfterGc();
  await run(Date.now() + FUZZ_MS);
  const heapGrowth = heapAfterGc() - heapBefore;
  const health = await fetch(`${server.url}/healthz`);
  const summary = [...tally]
    .sort((a, b) => b[1] - a[1])
    .map(([said, count]) => `${said} ${count}`)
    .join(", ");
  console.log(`fuzz: ${tried} requests (seed ${seed}), ${internals} INTERNAL, heap ${(heapGrowth / 1024 / 1024).toFixed(1)} MiB after GC; answers: ${summary}`);
  expect(internal).toEqual([]);
  expect(tally.get("transport-AbortError") ?? 0).toBe(0);
  expect(health.status).toBe(200);
  expect(heapGrowth).toBeLessThan(16 * 1024 * 1024);
}, 60_000);
