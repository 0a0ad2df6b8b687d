// One server node in its own process, for the capacity benchmark: its options come as JSON in argv[2]; it prints
// its URL on the first line of stdout once it listens, and stops on SIGTERM.
import { startServer, type ServerOptions } from "@screenshare/server";

const server = await startServer(JSON.parse(process.argv[2] ?? "{}") as ServerOptions);
process.stdout.write(`${server.url}\n`);
process.once("SIGTERM", () => void server.stop().then(() => process.exit(0)));
