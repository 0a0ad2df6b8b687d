import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, waitFor } from "./ports.js";
import { spawnLogged, stopChild, tail } from "./process.js";

/** Options for {@link startRedis}. */
export interface RedisOptions {
  /** Free by default; pass the previous port to restart an instance. */
  port?: number;
  /** Persist with an append-only file in this folder, so a restarted instance keeps its data. */
  dataDir?: string;
}

/** A running Redis server. */
export interface RedisHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
}

/** Starts Debian's `redis-server` on 127.0.0.1; resolves once it answers PING. Bind races are retried. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOnce(options);
    } catch (error) {
      if (attempt >= 5 || options.port !== undefined || !/already in use|did not come up/.test((error as Error).message)) throw error;
    }
  }
}

async function startRedisOnce(options: RedisOptions): Promise<RedisHandle> {
  const port = options.port ?? (await freePort());
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), "redis-"));
  const persistence = options.dataDir
    ? ["--appendonly", "yes", "--appendfsync", "always"]
    : ["--appendonly", "no", "--save", ""];
  const logFile = join(dir, "redis.log");
  const args = ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--protected-mode", "yes", ...persistence];
  const child = spawnLogged("redis-server", args, logFile);
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitFor("Redis", async () => {
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on("error", () => {}); // refused while starting: waitFor retries
      try {
        await client.connect();
        await client.ping();
      } finally {
        client.disconnect();
      }
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${tail(logFile)}`);
  }
  return {
    url,
    port,
    stop: () => stopChild(child),
    kill: async () => {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}
