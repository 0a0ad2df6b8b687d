import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Asks the kernel for a free UDP port on 127.0.0.1 (for LiveKit's media port). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.unref();
    socket.on("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Resolves once `probe` succeeds, retrying every 50 ms; rejects after `timeoutMs` with the last error. */
export async function waitFor(what: string, probe: () => Promise<unknown>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms: ${String(lastError)}`);
}

/**
 * Runs `start` again, on fresh free ports, while it fails because another process took a port between choosing and
 * binding it (parallel test files): at most five tries, and never when the caller chose the port (`fixedPort`).
 * `raced` tells such a failure from any other, which is thrown at once.
 */
export async function retryPortRace<T>(fixedPort: number | undefined, raced: (error: Error) => boolean, start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= 5 || fixedPort !== undefined || !(error instanceof Error) || !raced(error)) throw error;
    }
  }
}
