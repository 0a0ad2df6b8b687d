import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AccessToken } from "livekit-server-sdk";
import { stringify } from "yaml";
import { freePort, freeUdpPort, retryPortRace, waitFor } from "./ports.js";
import { spawnLogged, stopChild, tail } from "./process.js";

/** The LiveKit server binary that `scripts/install-livekit.sh` builds from the Go module proxy. */
export const livekitServerBinary = process.env.LIVEKIT_SERVER_BIN ?? resolve(dirname(fileURLToPath(import.meta.url)), "../../../.cache/bin/server");

/** Options for {@link startLiveKit}. */
export interface LiveKitOptions {
  /** URLs LiveKit posts its webhooks to, signed with `apiKey`. */
  webhookUrls?: string[];
  /** Default `devkey`. */
  apiKey?: string;
  /**
   * At least 32 characters. Default a fresh random secret per server, so that a request signed for this server is
   * refused by any other LiveKit (nodes of one cluster share theirs: pass the same one).
   */
  apiSecret?: string;
  /** The signal/HTTP port; free by default. (Media uses one more free UDP port.) */
  port?: number;
  /** `debug` logs every signal message, ICE candidates included. Default `info`. */
  logLevel?: "debug" | "info" | "warn" | "error";
  /**
   * A Redis URL: the node joins LiveKit's multi-node mode, sharing rooms and routing signal connections with every
   * other node on that Redis (a room is hosted by one node; a client connected to another reaches it through Redis).
   */
  redisUrl?: string;
}

/** A running LiveKit server. */
export interface LiveKitHandle {
  /** WebSocket URL for clients, `ws://127.0.0.1:PORT`. */
  url: string;
  /** HTTP URL for `livekit-server-sdk` service clients. */
  httpUrl: string;
  /** The key the server accepts (and signs webhooks with). */
  apiKey: string;
  /** The secret for `apiKey`. */
  apiSecret: string;
  /** Path of the server's log (stdout and stderr), in a fresh temporary folder beside its `livekit.yaml`. */
  logFile: string;
  /** Stops the server: SIGTERM, then SIGKILL after 3 s. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Freezes the server (SIGSTOP): it holds its connections and answers nothing, as a hung process does. */
  pause(): { resume(): Promise<void> };
}

/**
 * The configuration that keeps LiveKit on loopback, checked against livekit-server 1.13.5 (and by the media smoke
 * test, which reads every signal message LiveKit sends):
 * - `bind_addresses` puts the HTTP/WebSocket listener on 127.0.0.1 only.
 * - `node_ip` with `use_external_ip: false` skips external-IP discovery; with `node_ip` set the server itself has
 *   no STUN server either.
 * - `ips.includes` limits the UDP media sockets and host candidates to 127.0.0.1 (without it the mux also binds
 *   the machine's other addresses); `enable_loopback_candidate` lets a loopback address be a candidate at all.
 * - `tcp_port: 0` turns ICE over TCP off (the default is 7881): its listener ignores `bind_addresses` and listens
 *   on every interface.
 * - `stun_servers` names a loopback address because LiveKit hands its clients Google's and Twilio's STUN servers
 *   whenever none is configured and TURN is off. It is the discard port, where nothing answers: clients gather no
 *   server-reflexive candidate. (Naming LiveKit's own media port instead made rtc-node's ICE over UDP fail.)
 * - `turn.enabled: false`: no TURN server.
 */
export function loopbackConfig(options: {
  port: number;
  udpPort: number;
  apiKey: string;
  apiSecret: string;
  webhookUrls: string[];
  logLevel: string;
  redisUrl?: string;
}): Record<string, unknown> {
  return {
    port: options.port,
    bind_addresses: ["127.0.0.1"],
    log_level: options.logLevel,
    rtc: {
      udp_port: options.udpPort,
      tcp_port: 0,
      use_external_ip: false,
      node_ip: "127.0.0.1",
      enable_loopback_candidate: true,
      ips: { includes: ["127.0.0.1/32"] },
      stun_servers: ["127.0.0.1:9"],
    },
    turn: { enabled: false },
    // Rooms exist only while a server keeps them: a token for a deleted room must not join a fresh one. The server
    // unmutes a paused screen itself (remote unmute), so a pause ends the same way whatever the sharer's client is.
    room: { auto_create: false, enable_remote_unmute: true },
    keys: { [options.apiKey]: options.apiSecret },
    ...(options.webhookUrls.length > 0 && { webhook: { api_key: options.apiKey, urls: options.webhookUrls } }),
    ...(options.redisUrl && { redis: { address: new URL(options.redisUrl).host } }),
  };
}

/**
 * Starts a real LiveKit server on loopback and resolves once it answers HTTP. A free port can be taken by another
 * process between choosing it and binding it (parallel test files), so a bind failure is retried with fresh ports.
 */
export async function startLiveKit(options: LiveKitOptions = {}): Promise<LiveKitHandle> {
  return retryPortRace(
    options.port,
    (error) => /address already in use/.test(error.message),
    () => startLiveKitOnce(options),
  );
}

async function startLiveKitOnce(options: LiveKitOptions): Promise<LiveKitHandle> {
  const dir = mkdtempSync(join(tmpdir(), "livekit-"));
  const apiKey = options.apiKey ?? "devkey";
  const apiSecret = options.apiSecret ?? randomBytes(24).toString("hex");
  const port = options.port ?? (await freePort());
  const config = loopbackConfig({
    port,
    udpPort: await freeUdpPort(),
    apiKey,
    apiSecret,
    webhookUrls: options.webhookUrls ?? [],
    logLevel: options.logLevel ?? "info",
    ...(options.redisUrl && { redisUrl: options.redisUrl }),
  });
  const configFile = join(dir, "livekit.yaml");
  writeFileSync(configFile, stringify(config));
  const logFile = join(dir, "livekit.log");
  const child = spawnLogged(livekitServerBinary, ["--config", configFile], logFile);
  const httpUrl = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`LiveKit exited with ${code}:\n${tail(logFile)}`))));
  // Only the start-up race below reads this rejection; after start-up an exit is the caller's to see (stop, kill).
  exited.catch(() => {});
  await Promise.race([
    // Ready means this server answers a call signed with its own secret. Another process may have taken the port
    // between choosing and binding it (parallel test files): then this LiveKit exits and another one answers, and an
    // unsigned probe would hand the caller a handle whose pause or kill misses the server its URL reaches.
    waitFor("LiveKit", async () => {
      const token = new AccessToken(apiKey, apiSecret, { ttl: 60 });
      token.addGrant({ roomList: true });
      const response = await fetch(`${httpUrl}/twirp/livekit.RoomService/ListRooms`, {
        method: "POST",
        headers: { authorization: `Bearer ${await token.toJwt()}`, "content-type": "application/json" },
        body: "{}",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    }),
    exited,
  ]).catch((error: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${error.message}\n--- ${logFile}\n${tail(logFile)}`);
  });
  return {
    url: `ws://127.0.0.1:${port}`,
    httpUrl,
    apiKey,
    apiSecret,
    logFile,
    stop: () => stopChild(child),
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
    pause() {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`LiveKit is not running (it exited with ${child.exitCode ?? child.signalCode})`);
      child.kill("SIGSTOP");
      return {
        resume: async () => {
          child.kill("SIGCONT");
        },
      };
    },
  };
}
