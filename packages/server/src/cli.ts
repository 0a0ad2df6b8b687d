#!/usr/bin/env tsx
// screenshare-server: the reference server. Flags override environment variables; secrets have no defaults.
import { DEV_WARNING, parseCommandLine, UsageError, usage } from "./command-line.js";
import { startServer } from "./server.js";

let command: ReturnType<typeof parseCommandLine>;
try {
  command = parseCommandLine(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`screenshare-server: ${error.message}\n\n${usage()}`);
  process.exit(2);
}
if (command.help) {
  console.log(usage());
  process.exit(0);
}
if (command.dev) console.error(DEV_WARNING);
try {
  const server = await startServer(command.options);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  console.error(`screenshare-server: ${(error as Error).message}`);
  process.exit(2);
}
