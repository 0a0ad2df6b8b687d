// The capacity benchmark's anchor in its own process, as the server nodes are: a bare connect-node echo server that
// prints its URL on the first line of stdout and stops on SIGTERM.
import { startEchoServer } from "./throughput.js";

const { url, server } = await startEchoServer();
process.stdout.write(`${url}\n`);
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
