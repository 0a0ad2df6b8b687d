// Run as a child process with --expose-gc: memory per live idle session in the embedded store, and the time to
// list one viewer's sessions among many. Sessions are created through the engine (the RPC layer adds nothing
// that stays in memory) with a media plane that does no I/O: 50k LiveKit rooms would measure LiveKit, not us.
import { Channel, InteractionSchema, InteractionStatus } from "@screenshare/protocol";
import { create } from "@bufbuild/protobuf";
import { resolveOptions } from "@screenshare/server/config";
import { SessionEngine } from "@screenshare/server/engine";
import { createMetrics } from "@screenshare/server/metrics";
import { MemoryStore } from "@screenshare/server/store";

const counts = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const noMedia = { url: "ws://127.0.0.1:1", createRoom: async () => {}, deleteRoom: async () => {}, token: async () => ({ token: "", identity: "", expiresAt: 0 }) };

const results = [];
for (const count of counts) {
  const options = resolveOptions({ port: 0, livekit: { url: "", apiKey: "", apiSecret: "" }, viewerTokenSecret: "x".repeat(16), integrationApiKey: "y".repeat(16), quiet: true });
  const engine = new SessionEngine(new MemoryStore(), options, noMedia, createMetrics());
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let index = 0; index < count; index++) {
    const interaction = create(InteractionSchema, { orgId: "org", interactionId: `i-${index}`, channel: index % 2 ? Channel.CHAT : Channel.VOICE, agentUserId: `agent-${index}`, status: InteractionStatus.CONNECTED });
    await engine.start("org", `agent-${index}`, interaction);
  }
  gc();
  const bytesPerSession = (process.memoryUsage().heapUsed - before) / count;
  const started = performance.now();
  const ids = await engine.sessionsOfViewer("org", `agent-${Math.floor(count / 2)}`);
  const listed = (await Promise.all(ids.map((id) => engine.getSession(id)))).flatMap((record) => (record ? [engine.toProto(record, { withKey: true })] : []));
  const listMs = performance.now() - started;
  await engine.close();
  results.push({ sessions: count, bytesPerSession: Math.round(bytesPerSession), listOneViewerMs: Number(listMs.toFixed(3)), listed: listed.length });
}
console.log(JSON.stringify(results));
