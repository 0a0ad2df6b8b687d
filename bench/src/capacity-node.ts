// One server node in its own process, for the capacity and steady-state benchmarks: its options come as JSON in
// argv[2]; it prints its URL on the first line of stdout once it listens, and stops on SIGTERM. Started with an
// IPC channel and --expose-gc, it answers a "memory" message with its heap after a full collection.
import { type ServerOptions, startServer } from "@screenshare/server";

const server = await startServer(JSON.parse(process.argv[2] ?? "{}") as ServerOptions);
process.stdout.write(`${server.url}\n`);
process.once("SIGTERM", () => void server.stop().then(() => process.exit(0)));
process.on("message", (message) => {
  if (message !== "memory") return;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("the memory figure needs --expose-gc");
  gc();
  process.send?.({ heapUsed: process.memoryUsage().heapUsed });
});
