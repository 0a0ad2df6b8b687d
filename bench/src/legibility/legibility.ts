// Legibility by reading: a sharer in real Chromium shows a known screen (canvas, published through the SDK's own
// screen-share publish), a viewer in the same browser decodes it, and tesseract reads both the source and the
// received frame. Run per bandwidth cap for our SDK, our SDK before tuning, and livekit-client's default.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { dirname, join, resolve } from "node:path";
import type { LiveKitHandle } from "@screenshare/devstack";
import { launchChromium } from "@screenshare/testkit";
import { build } from "esbuild";
import { AccessToken, RoomServiceClient } from "livekit-server-sdk";
import type { Browser, Page } from "playwright-core";
import { round } from "../stats.js";
import type { BenchPage, Profile } from "./page.js";
import { characterAccuracy, type GrayImage, grayImage, ocr, structuralSimilarity } from "./read.js";
import type { Block, Rect } from "./screen.js";
import { SCREEN, scrollBlock } from "./screen.js";
import { cap, uncap } from "./shape.js";

export const PROFILES: Profile[] = ["anchor", "before", "ours"];

/** One profile at one cap. */
export interface LegibilityResult {
  profile: Profile;
  capKbps: number | null;
  /** OCR character accuracy of the received frame ÷ that of the source frame, over every block. */
  accuracyRatio: number;
  /** Per block: received ÷ source accuracy. */
  blocks: Record<string, number>;
  sourceAccuracy: number;
  ssim: number;
  staticKbps: number;
  /** From the text change on the sharer's screen until the viewer's frame reads at ≥ 0.95 of the source. */
  changeToLegibleMs: number | null;
  /** The same after a 2 s scroll of a long page stops (left out when the scroll is). */
  scrollToLegibleMs?: number | null;
  sent: { codec: string; contentHint: string; width: number; height: number; fps: number; keyFrames: number; limitation: string };
}

const LEGIBLE = 0.95;

/** Serves the bundled benchmark page on loopback (a secure context, as the customer's page is). */
async function servePage(): Promise<{ url: string; server: Server }> {
  const bundle = await build({
    entryPoints: [resolve(import.meta.dirname, "page.ts")],
    bundle: true,
    format: "esm",
    write: false,
    logLevel: "error",
    target: "chrome120",
  });
  const script = bundle.outputFiles[0]?.text ?? "";
  const server = createServer((request, response) => {
    if (request.url === "/page.js") response.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else
      response
        .writeHead(200, { "content-type": "text/html" })
        .end('<!doctype html><body style="margin:0"><script type="module" src="/page.js"></script></body>');
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`, server };
}

/** LiveKit's UDP media port, from the configuration devstack wrote beside its log. */
export function udpPortOf(livekit: LiveKitHandle): number {
  const port = /udp_port:\s*(\d+)/.exec(readFileSync(join(dirname(livekit.logFile), "livekit.yaml"), "utf8"))?.[1];
  if (!port) throw new Error("LiveKit's configuration names no udp_port");
  return Number(port);
}

type Bench = { [K in keyof BenchPage]: (...args: Parameters<BenchPage[K]>) => Promise<Awaited<ReturnType<BenchPage[K]>>> };
const driver = (page: Page): Bench =>
  new Proxy({} as Bench, {
    get:
      (_, name: string) =>
      (...args: unknown[]) =>
        page.evaluate(
          ([method, params]) =>
            (window as unknown as { bench: Record<string, (...a: unknown[]) => unknown> }).bench[method as string]?.(...(params as unknown[])),
          [name, args] as const,
        ),
  });

const crop = (pixels: string, rect: Rect): GrayImage => grayImage(pixels, rect.width, rect.height);

/** Reads `blocks` in the source and received screens (full-screen gray images). */
async function readBlocks(source: GrayImage, received: GrayImage, blocks: Block[]) {
  const cut = (image: GrayImage, rect: Rect): GrayImage => {
    const pixels = new Uint8Array(rect.width * rect.height);
    for (let y = 0; y < rect.height; y++)
      pixels.set(image.pixels.subarray((rect.y + y) * image.width + rect.x, (rect.y + y) * image.width + rect.x + rect.width), y * rect.width);
    return { width: rect.width, height: rect.height, pixels };
  };
  const perBlock: Record<string, number> = {};
  let sourceCorrect = 0;
  let receivedCorrect = 0;
  let total = 0;
  for (const block of blocks) {
    const [fromSource, fromReceived] = (await Promise.all([ocr(cut(source, block.rect)), ocr(cut(received, block.rect))])).map((read) =>
      characterAccuracy(read, block.text),
    ) as [ReturnType<typeof characterAccuracy>, ReturnType<typeof characterAccuracy>];
    perBlock[block.name] = round(fromReceived.correct / Math.max(1, fromSource.correct), 3);
    sourceCorrect += fromSource.correct;
    receivedCorrect += fromReceived.correct;
    total += fromSource.total;
  }
  return { perBlock, ratio: receivedCorrect / Math.max(1, sourceCorrect), sourceAccuracy: sourceCorrect / Math.max(1, total) };
}

/**
 * The first recorded frame that reads at ≥ {@link LEGIBLE} of the source, by bisection (once a frame is legible,
 * later ones stay so while the screen holds still); milliseconds after `changedAt`, or null if none is.
 */
async function timeToLegible(frames: Array<{ at: number; pixels: string }>, block: Block, sourceCorrect: number, changedAt: number): Promise<number | null> {
  const after = frames.filter((frame) => frame.at >= changedAt);
  const legible = async (index: number) => {
    const frame = after[index];
    if (!frame) return false;
    return characterAccuracy(await ocr(crop(frame.pixels, block.rect)), block.text).correct >= LEGIBLE * sourceCorrect;
  };
  if (after.length === 0 || !(await legible(after.length - 1))) return null;
  let low = 0;
  let high = after.length - 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (await legible(middle)) high = middle;
    else low = middle + 1;
  }
  return (after[low]?.at ?? changedAt) - changedAt;
}

/** Measures one profile at one cap in fresh pages and a fresh room. */
async function measure(
  browser: Browser,
  pageUrl: string,
  livekit: LiveKitHandle,
  profile: Profile,
  capKbps: number | null,
  timing: Timing,
): Promise<LegibilityResult> {
  const roomName = `legibility-${profile}-${capKbps ?? "free"}-${Date.now()}`;
  const rooms = new RoomServiceClient(livekit.httpUrl, livekit.apiKey, livekit.apiSecret);
  await rooms.createRoom({ name: roomName });
  const token = (identity: string, publish: boolean) => {
    const accessToken = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity });
    accessToken.addGrant({ room: roomName, roomJoin: true, canPublish: publish, canSubscribe: !publish });
    return accessToken.toJwt();
  };
  const context = await browser.newContext({ viewport: { width: SCREEN.width + 20, height: SCREEN.height + 20 } });
  try {
    const [sharerPage, viewerPage] = [await context.newPage(), await context.newPage()];
    await Promise.all([sharerPage.goto(pageUrl), viewerPage.goto(pageUrl)]);
    await Promise.all([sharerPage.waitForFunction(() => "bench" in window), viewerPage.waitForFunction(() => "bench" in window)]);
    const sharer = driver(sharerPage);
    const viewer = driver(viewerPage);
    const viewing = viewer.view(livekit.url, await token("viewer", false));
    await sharer.share(livekit.url, await token("sharer", true), profile);
    await viewing;

    // Static screen: let it settle, then read both sides and measure the bitrate while nothing moves.
    await new Promise((done) => setTimeout(done, timing.settleMs));
    const blocks = (await sharer.blocks()).filter((block) => !timing.blocks || timing.blocks.includes(block.name));
    const [sourcePixels, receivedPixels] = await Promise.all([sharer.source(), viewer.received()]);
    const source = grayImage(sourcePixels, SCREEN.width, SCREEN.height);
    const received = grayImage(receivedPixels, SCREEN.width, SCREEN.height);
    const readout = await readBlocks(source, received, blocks);
    const ssim = structuralSimilarity(source, received);
    const before = await sharer.senderStats();
    const bitrateStarted = performance.now();
    await new Promise((done) => setTimeout(done, timing.bitrateMs));
    const after = await sharer.senderStats();
    const seconds = (performance.now() - bitrateStarted) / 1000;
    const staticKbps = ((after.bytesSent - before.bytesSent) * 8) / 1000 / seconds;
    const fps = (after.framesEncoded - before.framesEncoded) / seconds;

    // A text change: the step text is replaced; the viewer's frames of that block are read until legible.
    const changing = (await sharer.blocks()).find((block) => block.name === "changing-13px");
    if (!changing) throw new Error("the screen has no changing block");
    const { recordMs } = timing;
    const changeRecording = viewer.record(changing.rect, recordMs);
    await new Promise((done) => setTimeout(done, 200));
    const changedAt = await sharer.show("changed");
    const changedBlock = (await sharer.blocks()).find((block) => block.name === "changing-13px") ?? changing;
    const changedSource = characterAccuracy(await ocr(crop(await sharer.source(changedBlock.rect), changedBlock.rect)), changedBlock.text).correct;
    const changeToLegibleMs = await timeToLegible(await changeRecording, { ...changedBlock, rect: { ...changing.rect, x: 0, y: 0 } }, changedSource, changedAt);

    // A scroll: the long page scrolls for 2 s and stops; its block is read until legible.
    let scrollToLegibleMs: number | null | undefined;
    if (timing.scrollMs > 0) {
      const scrolled = scrollBlock();
      const scrollRecording = viewer.record(scrolled.rect, timing.scrollMs + recordMs);
      const scrollStoppedAt = await sharer.show("scroll", timing.scrollMs);
      const scrolledSource = characterAccuracy(await ocr(crop(await sharer.source(scrolled.rect), scrolled.rect)), scrolled.text).correct;
      scrollToLegibleMs = await timeToLegible(await scrollRecording, { ...scrolled, rect: { ...scrolled.rect, x: 0, y: 0 } }, scrolledSource, scrollStoppedAt);
    }

    const sentFinal = await sharer.senderStats();
    await Promise.all([sharer.leave(), viewer.leave()]);
    return {
      profile,
      capKbps,
      accuracyRatio: round(readout.ratio, 3),
      blocks: readout.perBlock,
      sourceAccuracy: round(readout.sourceAccuracy, 3),
      ssim: round(ssim, 3),
      staticKbps: round(staticKbps, 1),
      changeToLegibleMs: changeToLegibleMs === null ? null : Math.round(changeToLegibleMs),
      ...(scrollToLegibleMs !== undefined && { scrollToLegibleMs: scrollToLegibleMs === null ? null : Math.round(scrollToLegibleMs) }),
      sent: {
        codec: after.codec,
        contentHint: after.contentHint,
        width: after.frameWidth,
        height: after.frameHeight,
        fps: round(fps, 1),
        keyFrames: sentFinal.keyFramesEncoded,
        limitation: after.limitation,
      },
    };
  } finally {
    await context.close();
    await rooms.deleteRoom(roomName).catch((error: Error) => console.error(`legibility: room ${roomName} not deleted: ${error.message}`));
  }
}

/** How long each phase of a measurement lasts. */
export interface Timing {
  /** From publishing until the static screen is read. */
  settleMs: number;
  /** The static screen's bitrate is measured over this long. */
  bitrateMs: number;
  /** The viewer's frames are recorded this long after a text change or a scroll's stop. */
  recordMs: number;
  /** How long the long page scrolls; 0 leaves the scroll out. */
  scrollMs: number;
  /** Names of the blocks read on the static screen; all by default. */
  blocks?: string[];
}

export const FULL_TIMING: Timing = { settleMs: 8_000, bitrateMs: 4_000, recordMs: 8_000, scrollMs: 2_000 };

/** Every profile at every cap (null = no cap), profiles interleaved per cap so drift hits them alike. */
export async function legibility(
  livekit: LiveKitHandle,
  options: { capsKbps: Array<number | null>; profiles?: Profile[]; timing?: Timing; onResult?: (result: LegibilityResult) => void },
): Promise<LegibilityResult[]> {
  const { url, server } = await servePage();
  const browser = await launchChromium();
  const udpPort = udpPortOf(livekit);
  const results: LegibilityResult[] = [];
  try {
    for (const capKbps of options.capsKbps) {
      if (capKbps === null) uncap();
      else cap(udpPort, capKbps);
      for (const profile of options.profiles ?? PROFILES) {
        const result = await measure(browser, url, livekit, profile, capKbps, options.timing ?? FULL_TIMING);
        options.onResult?.(result);
        results.push(result);
      }
    }
  } finally {
    uncap();
    await browser.close();
    server.close();
  }
  return results;
}
