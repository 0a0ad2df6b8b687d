// Run as a child process with --expose-gc: memory per live idle session in the embedded store, and the time to
// list one viewer's sessions among many. Sessions are created through the engine (the RPC layer adds nothing
// that stays in memory) with a media plane that does no I/O: 50k LiveKit rooms would measure LiveKit, not us.
// With IDLE_REDIS_URL set it measures Redis memory per session instead.

import { create } from "@bufbuild/protobuf";
import { Channel, InteractionSchema, InteractionStatus } from "@screenshare/protocol";
import { SessionEngine, viewerSessionToProto } from "@screenshare/server/engine";
import { MemoryStore } from "@screenshare/server/memory-store";
import { createMetrics } from "@screenshare/server/metrics";
import { RedisStore } from "@screenshare/server/redis-store";
import { engineOptions } from "@screenshare/testkit";
import { Redis } from "ioredis";
import { quantile } from "./stats.js";

const counts = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
// Rooms are not kept (their memory is LiveKit's), so media reconciliation is set not to run during a measurement.
const noMedia = {
  url: "ws://127.0.0.1:1",
  createRoom: async () => {},
  deleteRoom: async () => {},
  ping: async () => {},
  listRooms: async () => [],
  setScreenMuted: async () => {},
  token: async () => ({ token: "", identity: "", expiresAt: 0 }),
  observerToken: async () => ({ token: "", identity: "", expiresAt: 0 }),
  removeParticipant: async () => {},
};

/** Creates `count` sessions, each of its own agent, half voice and half chat. */
async function fill(engine: SessionEngine, count: number, from = 0): Promise<void> {
  for (let index = from; index < from + count; index++) {
    const interaction = create(InteractionSchema, {
      orgId: "org",
      interactionId: `i-${index}`,
      channel: index % 2 ? Channel.CHAT : Channel.VOICE,
      agentUserId: `agent-${index}`,
      status: InteractionStatus.CONNECTED,
    });
    await engine.interactions.register(interaction);
    await engine.start("org", `agent-${index}`, interaction.interactionId);
  }
}

const redisUrl = process.env.IDLE_REDIS_URL;
const results = [];
for (const count of counts) {
  const options = engineOptions({ media: { reconcileIntervalMs: 24 * 60 * 60_000 } });
  if (redisUrl) {
    // Redis: bytes of used_memory per session, from the growth while `count` sessions are added.
    const store = new RedisStore(redisUrl);
    const client = new Redis(redisUrl);
    await client.flushall();
    const engine = new SessionEngine(store, options, noMedia, createMetrics());
    const used = async () => Number(/used_memory:(\d+)/.exec(await client.info("memory"))?.[1]);
    const before = await used();
    await fill(engine, count);
    const redisBytesPerSession = Math.round(((await used()) - before) / count);
    // Where the bytes go: MEMORY USAGE of every key, summed by kind (the part of a key's name before its id), per
    // session. The rest of used_memory is Redis's own per-key bookkeeping (its key and expiry tables).
    const keys = await client.keys("ss:*");
    const usage = await client.pipeline(keys.map((key) => ["memory", "usage", key, "samples", "0"])).exec();
    const byKind: Record<string, number> = {};
    keys.forEach((key, index) => {
      const kind = /^ss:[a-z-]+/.exec(key)?.[0] ?? key;
      byKind[kind] = (byKind[kind] ?? 0) + Number(usage?.[index]?.[1] ?? 0);
    });
    for (const kind of Object.keys(byKind)) byKind[kind] = Math.round((byKind[kind] ?? 0) / count);
    const sampleKey = (await client.keys("ss:session:*"))[0];
    const sessionKeyBytes = sampleKey ? Number(await client.memory("USAGE", sampleKey)) : 0;
    results.push({ sessions: count, redisBytesPerSession, sessionKeyBytes, byKind });
    await engine.close();
    await store.close();
    client.disconnect();
    continue;
  }
  // Embedded: heap growth between `count` and `2 × count` sessions in one engine, after GC, so that fixed costs
  // (compiled code, lazily built tables) cancel out.
  const engine = new SessionEngine(new MemoryStore(), options, noMedia, createMetrics());
  await fill(engine, count, 0);
  gc();
  const before = process.memoryUsage();
  await fill(engine, count, count);
  gc();
  const after = process.memoryUsage();
  const bytesPerSession = (after.heapUsed - before.heapUsed) / count;
  // RSS is coarser (the heap keeps freed pages), so it is reported beside the heap figure, not instead of it.
  const rssBytesPerSession = (after.rss - before.rss) / count;
  // The median of 21 lookups of different viewers: one timed call also measured the JIT compiling the path.
  const listTimes: number[] = [];
  let listed = 0;
  for (let lookup = 0; lookup < 21; lookup++) {
    const started = performance.now();
    const ids = await engine.sessionsOfViewer("org", `agent-${count + lookup * Math.floor(count / 21)}`);
    const sessions = (await Promise.all(ids.map((id) => engine.getSession(id)))).flatMap((record) => (record ? [viewerSessionToProto(record)] : []));
    listTimes.push(performance.now() - started);
    listed += sessions.length;
  }
  const listMs = quantile(listTimes, 0.5);
  await engine.close();
  results.push({
    sessions: count,
    bytesPerSession: Math.round(bytesPerSession),
    rssBytesPerSession: Math.round(rssBytesPerSession),
    listOneViewerMs: Number(listMs.toFixed(3)),
    listed,
  });
}
console.log(JSON.stringify(results));
