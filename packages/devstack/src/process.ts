import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

// util-linux's setpriv asks the kernel to SIGKILL the server when the process that started it dies, even by
// SIGKILL or a crash, where no "exit" handler runs: no LiveKit or Redis outlives the test run that started it.
const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => existsSync(path));

/**
 * A child process whose output goes to `logFile`, killed when this process exits (also when it is killed, where
 * `setpriv` is installed). `setpriv` execs the command, so the child's pid is the command's own. `append` keeps an
 * earlier run's log (a restarted server).
 */
export function spawnLogged(command: string, args: string[], logFile: string, options: { append?: boolean } = {}): ChildProcess {
  const log = createWriteStream(logFile, { flags: options.append ? "a" : "w" });
  const child = setpriv
    ? spawn(setpriv, ["--pdeathsig", "SIGKILL", "--", command, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** Stops a child with SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The last lines of a log, for error messages. */
export function tail(logFile: string, lines = 20): string {
  try {
    return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
