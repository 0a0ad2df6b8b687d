// The Go and Python examples, run as an integrator would run them, against a real reference server and LiveKit.
// The examples do the signalling; a headless LiveKit peer here stands in for the customer's screen, which a real
// app publishes with a LiveKit SDK.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Room } from "@livekit/rtc-node";
import { freePort, type PublishedScreen, publishScreen } from "@screenshare/devstack";
import { type ReferenceStack, startReferenceStack } from "@screenshare/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const here = fileURLToPath(new URL(".", import.meta.url));
/** The venv scripts/bootstrap.sh makes for the Python example. */
export const pythonVenv = join(here, "..", ".cache", "examples-python");

let stack: ReferenceStack;
let scratch: string;
let goExample: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "screenshare-examples-"));
  goExample = join(scratch, "screenshare-example");
  // Built once, then run per protocol; GOFLAGS=-mod=readonly fails instead of editing go.mod when it is stale.
  const [built] = await Promise.all([
    promisify(execFile)("go", ["build", "-o", goExample, "."], { cwd: join(here, "go"), env: { ...process.env, GOFLAGS: "-mod=readonly" } }),
    startReferenceStack().then((started) => (stack = started)),
  ]);
  expect(built.stderr).toBe("");
});

afterAll(async () => {
  await stack?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/**
 * Runs an example with `--screen external`: for each "publish-screen" line it prints, a headless peer joins the
 * room with the customer's token and publishes a synthetic screen. Resolves with the exit code and the output.
 */
async function runExample(
  command: string,
  args: string[],
  cwd: string,
  server: Record<string, string> = {
    SCREENSHARE_URL: stack.server.url,
    INTEGRATION_API_KEY: stack.integrationApiKey,
    VIEWER_TOKEN_SECRET: stack.viewerTokens.secret,
    VIEWER_TOKEN_ISSUER: stack.viewerTokens.issuer,
    VIEWER_TOKEN_AUDIENCE: stack.viewerTokens.audience,
  },
): Promise<{ code: number | null; stdout: string; stderr: string; screens: number }> {
  const env = { ...process.env, ...server };
  const child = spawn(command, [...args, "--screen", "external"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const peers: { room: Room; screen: PublishedScreen }[] = [];
  const publishing: Promise<void>[] = [];
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    stdout += `${line}\n`;
    if (!line.startsWith("publish-screen ")) return;
    const { url, token } = JSON.parse(line.slice("publish-screen ".length)) as { url: string; token: string };
    publishing.push(
      (async () => {
        const room = new Room();
        await room.connect(url, token, { autoSubscribe: false, dynacast: false });
        peers.push({ room, screen: await publishScreen(room) });
      })(),
    );
  });
  const code = await new Promise<number | null>((resolve, reject) => child.on("error", reject).on("close", resolve));
  await Promise.all(publishing);
  await Promise.all(
    peers.map(async ({ room, screen }) => {
      await screen.stop();
      await room.disconnect();
    }),
  );
  return { code, stdout, stderr, screens: peers.length };
}

describe("the Go example (connect-go)", () => {
  it.each(["connect", "grpc", "grpcweb"])("runs the voice and chat flows over %s, screen shown, error details decoded", async (protocol) => {
    const run = await runExample(goExample, ["--protocol", protocol], join(here, "go"));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("voice: a second start is refused: the agent already runs session");
    expect(run.stdout).toMatch(/voice: the customer typed "\d{3} \d{2}": security_key must be 6 digits/);
    expect(run.stdout).toContain(`voice over ${protocol}: ok, SESSION_STATE_ENDED with END_REASON_VIEWER_LEFT`);
    expect(run.stdout).toContain(`chat over ${protocol}: ok, SESSION_STATE_ENDED with END_REASON_SHARER_STOPPED`);
    expect(run.screens).toBe(2);
  });
});

describe("the Python example (grpcio)", () => {
  it("runs the voice and chat flows over gRPC, screen shown, error details decoded", async () => {
    const python = join(pythonVenv, "bin", "python");
    if (!existsSync(python)) throw new Error(`${python} is missing: run bash scripts/bootstrap.sh`);
    const run = await runExample(python, ["-m", "screenshare_example"], join(here, "python"));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("voice: a second start is refused: the agent already runs session");
    expect(run.stdout).toMatch(/voice: the customer typed '\d{3} \d{2}': security_key must be 6 digits/);
    expect(run.stdout).toContain("voice over grpc: ok, SESSION_STATE_ENDED with END_REASON_VIEWER_LEFT");
    expect(run.stdout).toContain("chat over grpc: ok, SESSION_STATE_ENDED with END_REASON_SHARER_STOPPED");
    expect(run.screens).toBe(2);
  });
});

/** Starts `command` in its own process group, so that Ctrl-C can reach it and its children as a terminal's would. */
function startGroup(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"], detached: true, env });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout });
  reader.on("line", (line) => lines.push(line));
  return {
    /** Resolves with every line printed so far once one matches `pattern`. */
    until: (pattern: RegExp) =>
      new Promise<string[]>((resolve, reject) => {
        child.once("exit", (code) => reject(new Error(`${command} exited with ${code}:\n${lines.join("\n")}`)));
        const check = () => lines.some((line) => pattern.test(line)) && resolve(lines);
        check();
        reader.on("line", check);
      }),
    async interrupt() {
      process.kill(-(child.pid as number), "SIGINT");
      await exited;
    },
  };
}

describe("pnpm devstack (screenshare-devstack up)", () => {
  it("points LiveKit's webhooks at a server started by hand with the flags it prints: a session reaches SHARING", async () => {
    const [port, livekitPort] = [await freePort(), await freePort()];
    const devstack = startGroup("screenshare-devstack", [
      "up",
      "--webhook-url",
      `http://127.0.0.1:${port}/livekit/webhook`,
      "--livekit-port",
      String(livekitPort),
    ]);
    let server: ReturnType<typeof startGroup> | undefined;
    try {
      const printed = await devstack.until(/^ {2}screenshare-server /);
      const flags =
        printed
          .find((line) => line.startsWith("  screenshare-server "))
          ?.trim()
          .split(" ")
          .slice(1) ?? [];
      const secrets = {
        VIEWER_TOKEN_SECRET: "hand-started-viewer-token-secret-0123456789",
        VIEWER_TOKEN_ISSUER: "hand-started",
        VIEWER_TOKEN_AUDIENCE: "screenshare",
        INTEGRATION_API_KEY: "hand-started-integration-api-key-0123456789",
      };
      server = startGroup("screenshare-server", [...flags, "--port", String(port)], { ...process.env, ...secrets });
      await server.until(/listening/);
      const run = await runExample(goExample, ["--protocol", "connect", "--flow", "chat"], join(here, "go"), {
        SCREENSHARE_URL: `http://127.0.0.1:${port}`,
        ...secrets,
      });
      expect(run.stderr).toBe("");
      expect(run.stdout).toContain("the agent sees the customer's screen: SESSION_STATE_SHARING");
      expect(run.stdout).toContain("chat over connect: ok, SESSION_STATE_ENDED with END_REASON_SHARER_STOPPED");
    } finally {
      await server?.interrupt();
      await devstack.interrupt();
    }
  });
});

describe("pnpm dev:server (screenshare-devstack server)", () => {
  it("starts screenshare-server from its command line, wired to LiveKit's webhooks: a session reaches SHARING", async () => {
    const port = await freePort();
    const devServer = startGroup("screenshare-devstack", ["server", "--port", String(port)]);
    try {
      const printed = await devServer.until(/^Ctrl-C stops/);
      const exports: Record<string, string> = Object.fromEntries(
        printed.flatMap((line) => {
          const [, name, value] = /^ {2}export (\w+)=(\S+)$/.exec(line) ?? [];
          return name && value ? [[name, value]] : [];
        }),
      );
      expect(Object.keys(exports).sort()).toEqual([
        "INTEGRATION_API_KEY",
        "SCREENSHARE_URL",
        "VIEWER_TOKEN_AUDIENCE",
        "VIEWER_TOKEN_ISSUER",
        "VIEWER_TOKEN_SECRET",
      ]);
      expect(exports.SCREENSHARE_URL).toBe(`http://127.0.0.1:${port}`);
      // The printed viewer token works as is (Connect protocol with JSON: what curl would send).
      const viewerToken = printed.map((line) => /^ {2}(eyJ\S+)$/.exec(line)?.[1]).find(Boolean);
      const listed = await fetch(`${exports.SCREENSHARE_URL}/screenshare.v1.ViewerService/ListSessions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${viewerToken}` },
        body: "{}",
      });
      expect(listed.status).toBe(200);
      const run = await runExample(goExample, ["--protocol", "grpc", "--flow", "voice"], join(here, "go"), exports);
      expect(run.stderr).toBe("");
      expect(run.stdout).toContain("the agent sees the customer's screen: SESSION_STATE_SHARING");
      expect(run.stdout).toContain("voice over grpc: ok, SESSION_STATE_ENDED with END_REASON_VIEWER_LEFT");
    } finally {
      await devServer.interrupt();
    }
  });
});
