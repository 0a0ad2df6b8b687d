import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, retryPortRace, waitFor } from "./ports.js";
import { spawnLogged, stopChild, tail } from "./process.js";

/** Options for {@link startRedis}. */
export interface RedisOptions {
  /** Free by default; pass the previous port to restart an instance. */
  port?: number;
  /** Where the append-only file lives; a fresh temporary folder by default. Reuse it to keep the data. */
  dataDir?: string;
}

/** A running Redis server. */
export interface RedisHandle {
  url: string;
  port: number;
  /** The folder holding the append-only file. */
  dataDir: string;
  /** Stops the server: SIGTERM (Redis writes its append-only file out and exits), then SIGKILL after 3 s. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /**
   * Stops the server (`kill` for SIGKILL, as a crash would) and starts it again on the same port and data;
   * resolves once it answers PING again.
   */
  restart(options?: { kill?: boolean }): Promise<void>;
}

/**
 * Persistence as production runs it: an append-only file fsynced once a second, so a crash loses at most the last
 * second of writes and a clean stop loses nothing. No RDB snapshots: the AOF alone is the record.
 */
export const REDIS_PERSISTENCE = ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""] as const;

/** Starts Debian's `redis-server` on 127.0.0.1; resolves once it answers PING. Bind races are retried. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisHandle> {
  return retryPortRace(
    options.port,
    (error) => /already in use|did not come up/.test(error.message),
    () => startRedisOnce(options),
  );
}

async function startRedisOnce(options: RedisOptions): Promise<RedisHandle> {
  const port = options.port ?? (await freePort());
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), "redis-"));
  const url = `redis://127.0.0.1:${port}`;
  let child = await spawnRedis(port, dir, url);
  const kill = async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };
  return {
    url,
    port,
    dataDir: dir,
    stop: () => stopChild(child),
    kill,
    async restart(restartOptions = {}) {
      await (restartOptions.kill ? kill() : stopChild(child));
      child = await spawnRedis(port, dir, url);
    },
  };
}

async function spawnRedis(port: number, dir: string, url: string) {
  const logFile = join(dir, "redis.log");
  const args = ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--protected-mode", "yes", ...REDIS_PERSISTENCE];
  const child = spawnLogged("redis-server", args, logFile, { append: true });
  try {
    await waitFor("Redis", async () => {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on("error", () => {}); // refused while starting: waitFor retries
      try {
        await client.connect();
        // While Redis replays its append-only file it answers LOADING: not up yet.
        await client.ping();
      } finally {
        client.disconnect();
      }
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${tail(logFile)}`);
  }
  return child;
}
