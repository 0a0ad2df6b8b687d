// Recovery a person feels, in the real web apps in Chromium: after an agent's refresh, a customer's refresh (the
// picker auto-accepted) and a 5 s network drop of the agent, how long until the agent sees the screen again;
// beside a fresh join (the customer clicks "Share your screen" until the agent sees the first frame).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { launchChromium, type ReferenceStack } from "@screenshare/testkit";
import { type Platform, startPlatform } from "@screenshare/web/platform/platform.js";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { build } from "vite";
import { udpPortOf } from "./legibility/legibility.js";
import { quantile, round } from "./stats.js";

const WEB = resolve(import.meta.dirname, "../../apps/web");

/**
 * Records when the agent's video presents each frame, on every load of the page: polled every 10 ms
 * from the presented-frame counter (requestVideoFrameCallback stayed silent for a srcObject set later).
 */
function recordFrames(): void {
  const frames: Array<{ at: number }> = [];
  (window as unknown as { frames_: typeof frames }).frames_ = frames;
  let presented = 0;
  setInterval(() => {
    const video = document.querySelector<HTMLVideoElement>("[data-testid=screen]");
    const count = video?.getVideoPlaybackQuality().totalVideoFrames ?? 0;
    if (!video || count === presented) return;
    presented = count;
    frames.push({ at: Date.now() });
    if (frames.length > 5_000) frames.splice(0, 1_000);
  }, 10);
}

type Frame = { at: number };
const framesOf = (page: Page): Promise<Frame[]> => page.evaluate(() => (window as unknown as { frames_: Frame[] }).frames_ ?? []);

/** Waits for the first frame on the agent's page that `accept`s, and returns its time. */
async function firstFrame(agent: Page, accept: (frame: Frame) => boolean, timeoutMs = 30_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const found = (await framesOf(agent)).find(accept);
    if (found) return found.at;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`recovery: the agent saw no frame within ${timeoutMs / 1000} s`);
}

/** The pids of a Chromium browser (found by a marker switch on its command line) and of all its children. */
function browserPids(marker: string): Set<number> {
  const processes = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        return [{ pid: Number(pid), parent: Number(/PPid:\s*(\d+)/.exec(status)?.[1]), command: readFileSync(`/proc/${pid}/cmdline`, "utf8") }];
      } catch {
        return []; // the process ended while listed
      }
    });
  const pids = new Set(processes.filter((entry) => entry.command.includes(marker)).map((entry) => entry.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const entry of processes) {
      if (pids.has(entry.parent) && !pids.has(entry.pid)) {
        pids.add(entry.pid);
        grew = true;
      }
    }
  }
  return pids;
}

/** Local ports of every TCP and UDP socket those processes hold. */
function portsOf(pids: Set<number>): number[] {
  const listing = execFileSync("ss", ["-tunapH"], { encoding: "utf8" });
  const ports = new Set<number>();
  for (const line of listing.split("\n")) {
    const pid = /pid=(\d+)/.exec(line)?.[1];
    const local = line.trim().split(/\s+/)[4];
    if (pid && pids.has(Number(pid)) && local) ports.add(Number(local.slice(local.lastIndexOf(":") + 1)));
  }
  return [...ports];
}

// tc's warnings (htb quantum hints) stay out of the output; a failure still throws with them.
const tc = (...args: string[]) => execFileSync("tc", args, { stdio: ["ignore", "ignore", "pipe"] });

/**
 * Cuts the agent off: every packet to or from LiveKit's ports and the server's port is dropped, except the
 * customer's (whose sockets stay up). Only the agent and the customer talk to those ports in this run.
 */
function dropAgent(customerPorts: number[], serverPorts: number[]): () => void {
  if (process.env.SCREENSHARE_IN_NETNS !== "1") throw new Error("the network drop changes the loopback interface: run inside scripts/loopback-netns.sh");
  tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10");
  tc("class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit");
  // A queue of length zero drops every packet sent to it (this kernel has neither tc actions nor netem).
  tc("class", "add", "dev", "lo", "parent", "1:", "classid", "1:30", "htb", "rate", "8bit");
  tc("qdisc", "add", "dev", "lo", "parent", "1:30", "handle", "30:", "pfifo", "limit", "0");
  const filter = (priority: number, match: string[], then: string[]) =>
    tc("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", String(priority), "u32", ...match, ...then);
  for (const port of customerPorts) {
    filter(1, ["match", "ip", "sport", String(port), "0xffff"], ["flowid", "1:10"]);
    filter(1, ["match", "ip", "dport", String(port), "0xffff"], ["flowid", "1:10"]);
  }
  for (const port of serverPorts) {
    filter(2, ["match", "ip", "sport", String(port), "0xffff"], ["flowid", "1:30"]);
    filter(2, ["match", "ip", "dport", String(port), "0xffff"], ["flowid", "1:30"]);
  }
  return () => tc("qdisc", "del", "dev", "lo", "root");
}

const launch = (marker: string) => launchChromium([`--${marker}`]);

export interface RecoveryFigures {
  runs: number;
  freshJoinMs: { p50: number; p95: number };
  agentRefreshMs: { p50: number; p95: number };
  customerRefreshMs: { p50: number; p95: number };
  agentDropMs: { p50: number; p95: number };
  dropSeconds: number;
  /** Rounds that failed, each with its reason; the figures are of the others. */
  failedRounds: string[];
}

/**
 * Runs `runs` rounds; each round is one voice session: a fresh join, then an agent refresh, a customer refresh
 * and an agent network drop, each measured until the agent's page presents a frame again.
 */
export async function recovery(stack: ReferenceStack, runs: number, dropSeconds = 5): Promise<RecoveryFigures> {
  const dist = mkdtempSync(join(tmpdir(), "bench-web-"));
  await build({ root: WEB, logLevel: "error", build: { outDir: dist, emptyOutDir: true } });
  const platform: Platform = await startPlatform(stack, { staticDir: dist });
  // Two browsers, so that the agent's sockets and the customer's are told apart by process.
  const agentMarker = `bench-agent-${process.pid}`;
  const customerMarker = `bench-customer-${process.pid}`;
  const [agentBrowser, customerBrowser]: [Browser, Browser] = await Promise.all([launch(agentMarker), launch(customerMarker)]);
  const serverPorts = [Number(new URL(stack.livekit.httpUrl).port), udpPortOf(stack.livekit), Number(new URL(stack.server.url).port)];
  const figures = { fresh: [] as number[], agentRefresh: [] as number[], customerRefresh: [] as number[], drop: [] as number[] };
  const contexts: BrowserContext[] = [];
  const failures: string[] = [];
  let interactionOfRound = "";
  /** One round: a voice session, a fresh join, then each recovery in turn; its figures are pushed as measured. */
  const oneRound = async (agentContext: BrowserContext, customerContext: BrowserContext) => {
    await agentContext.addInitScript(recordFrames);
    const agent = await agentContext.newPage();
    await agent.goto(`${platform.url}/agent.html`);
    const interactionId = await platform.addInteraction("voice");
    interactionOfRound = interactionId;
    await agent.reload();
    await agent
      .locator(`li[data-interaction="${interactionId}"]`)
      .getByRole("button", { name: /Start Screen Share/ })
      .click();
    const keyText = agent.getByTestId("key");
    await keyText.filter({ hasText: /^\d{3} \d{3}$/ }).waitFor();
    const customer = await customerContext.newPage();
    await customer.goto(`${platform.url}/customer.html?interaction=${interactionId}`);
    await customer.getByTestId("security-key").fill((await keyText.textContent()) ?? "");

    // Fresh join: the customer's click until the agent's first frame.
    let started = Date.now();
    await customer.getByRole("button", { name: "Share your screen" }).click();
    figures.fresh.push((await firstFrame(agent, (frame) => frame.at >= started)) - started);

    // Agent refresh: reload until the reloaded page's first frame.
    started = Date.now();
    await agent.reload();
    figures.agentRefresh.push((await firstFrame(agent, () => true)) - started);

    // Customer refresh: reload, "Share your screen" again (the picker answers at once), until the agent sees a frame again.
    // The old page is gone once the new one answers the click, so a frame presented after it is the new share's.
    started = Date.now();
    await customer.reload();
    // After a reload the page offers "Share your screen" again (#choose); the key form's button of the same name
    // shows until the page has resumed its session, so the button is named by id.
    await customer.locator("#choose").click();
    const clicked = Date.now();
    figures.customerRefresh.push((await firstFrame(agent, (frame) => frame.at > clicked)) - started);

    // Agent network drop: nothing reaches the agent for `dropSeconds`, then frames again.
    await firstFrame(agent, (frame) => frame.at > Date.now() - 500);
    const restore = dropAgent(portsOf(browserPids(customerMarker)), serverPorts);
    const droppedAt = Date.now();
    try {
      await new Promise((done) => setTimeout(done, dropSeconds * 1000));
    } finally {
      restore();
    }
    const restoredAt = Date.now();
    const during = (await framesOf(agent)).filter((frame) => frame.at > droppedAt + 1_000 && frame.at < restoredAt).length;
    if (during > 0) throw new Error(`recovery: the agent still got ${during} frames during the network drop`);
    figures.drop.push((await firstFrame(agent, (frame) => frame.at >= restoredAt)) - restoredAt);

    await customer.getByRole("button", { name: "Stop sharing" }).click();
  };
  try {
    for (let run = 0; run < runs; run++) {
      const agentContext = await agentBrowser.newContext();
      const customerContext = await customerBrowser.newContext();
      contexts.push(agentContext, customerContext);
      try {
        await oneRound(agentContext, customerContext);
        process.stderr.write(
          `recovery ${run + 1}/${runs}: fresh ${figures.fresh.at(-1)} ms, agent refresh ${figures.agentRefresh.at(-1)} ms, customer refresh ${figures.customerRefresh.at(-1)} ms, drop ${figures.drop.at(-1)} ms\n`,
        );
      } catch (error) {
        // One round's failure (a page that did not come back within 30 s on a loaded machine) is reported with the
        // figures, not allowed to lose the other rounds; the figures hold only the rounds that completed.
        failures.push(`round ${run + 1}: ${(error as Error).message.split("\n")[0]}`);
        process.stderr.write(`recovery ${run + 1}/${runs} failed: ${failures.at(-1)}\n`);
        for (const list of Object.values(figures)) list.length = Math.min(...Object.values(figures).map((values) => values.length));
        // The call ending ends the round's session, so that the agent can start the next round's share.
        await platform
          .disconnect(interactionOfRound)
          .catch((cause: Error) => process.stderr.write(`recovery: ending round ${run + 1}'s call failed: ${cause.message}\n`));
      } finally {
        await Promise.all([agentContext.close(), customerContext.close()]);
      }
    }
    if (failures.length > runs / 2) throw new Error(`recovery: ${failures.length} of ${runs} rounds failed (${failures.join("; ")})`);
  } finally {
    await Promise.allSettled(contexts.map((context) => context.close()));
    await Promise.allSettled([agentBrowser.close(), customerBrowser.close()]);
    await platform.stop();
    rmSync(dist, { recursive: true, force: true });
  }
  const summary = (values: number[]) => ({ p50: round(quantile(values, 0.5), 0), p95: round(quantile(values, 0.95), 0) });
  return {
    runs: figures.drop.length,
    freshJoinMs: summary(figures.fresh),
    agentRefreshMs: summary(figures.agentRefresh),
    customerRefreshMs: summary(figures.customerRefresh),
    agentDropMs: summary(figures.drop),
    dropSeconds,
    failedRounds: failures,
  };
}
