// The browser tests' shared stage: one reference stack, the demo platform and Chromium per test file, fresh browser
// contexts per page, and the checks every page state must pass. Importing this module registers its hooks.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { createClient } from "@connectrpc/connect";
import { SessionState, ViewerService } from "@screenshare/protocol";
import { mintViewerToken, VIEW_PERMISSION } from "@screenshare/server";
import { bearerTransport, launchChromium, type ReferenceStack, startReferenceStack } from "@screenshare/testkit";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { build } from "vite";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type Platform, startPlatform } from "../platform/platform.js";

// The README's screenshots are refreshed with UPDATE_SCREENSHOTS=1; other runs take them too, into a temp folder.
export const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === "1" ? resolve(import.meta.dirname, "../../../docs/screenshots") : resolve(tmpdir(), "screenshare-screenshots");
export const GRACE_MS = 5_000;
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
export const PHONE = { width: 390, height: 844 };

export let stack: ReferenceStack;
export let platform: Platform;
let browser: Browser;

beforeAll(async () => {
  await build({ root: resolve(import.meta.dirname, ".."), logLevel: "error" });
  stack = await startReferenceStack({
    corsOrigins: ["*"],
    timeouts: { acceptanceTimeoutMs: 8_000, viewerReconnectGraceMs: GRACE_MS, sharerReconnectGraceMs: GRACE_MS, screenSelectionTimeoutMs: 30_000 },
  });
  platform = await startPlatform(stack);
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

const contexts: BrowserContext[] = [];
const added: string[] = [];

/** A new call or chat for the agent, moved off the agent's list after the test so the list stays short. */
export async function addInteraction(channel: "voice" | "chat", customerName?: string): Promise<string> {
  const interactionId = await platform.addInteraction(channel, customerName);
  added.push(interactionId);
  return interactionId;
}

/** The demo agent's ViewerService, as another console of the same agent would call it. */
export async function agentApi() {
  const token = await mintViewerToken({ ...stack.viewerTokens, org: platform.orgId, sub: platform.agentId, permissions: [VIEW_PERMISSION] });
  return createClient(ViewerService, bearerTransport(stack.server.url, token));
}

/** Each test starts with a free agent, whatever the previous one left behind. */
afterEach(async () => {
  await Promise.allSettled(contexts.splice(0).map((context) => context.close()));
  for (const interactionId of added.splice(0)) platform.transfer(interactionId);
  const viewer = await agentApi();
  for (const session of (await viewer.listSessions({ liveOnly: true })).sessions) {
    const sharing = [SessionState.SHARING, SessionState.PAUSED, SessionState.RECONNECTING_SHARER].includes(session.state);
    // It may have ended on its own meanwhile; anything else would show in the next test.
    await (sharing ? viewer.leaveSession({ sessionId: session.sessionId }) : viewer.cancelScreenShare({ sessionId: session.sessionId })).catch((error) =>
      console.warn("clean-up of a live session failed", error),
    );
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await stack?.stop();
});

export interface OpenOptions {
  viewport?: { width: number; height: number };
  /** A browser without getDisplayMedia, like a phone's. */
  noScreenSharing?: boolean;
  /** The first screen picker is closed without a choice. */
  closeFirstPicker?: boolean;
}

/** A fresh browser context (its own sessionStorage), with the captured screen kept where a test can end it. */
export async function open(path: string, options: OpenOptions = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 860 },
    ...(options.viewport === PHONE && { isMobile: true, hasTouch: true }),
  });
  contexts.push(context);
  await context.addInitScript(
    ({ noScreenSharing, closeFirstPicker }) => {
      if (noScreenSharing) {
        delete (MediaDevices.prototype as Partial<MediaDevices>).getDisplayMedia;
        return;
      }
      const original = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);
      let closeNext = closeFirstPicker;
      navigator.mediaDevices.getDisplayMedia = async (constraints) => {
        if (closeNext) {
          closeNext = false;
          throw new DOMException("Permission denied", "NotAllowedError");
        }
        const stream = await original(constraints);
        const page = window as unknown as { captured: MediaStream; pickerOpened?: number };
        page.captured = stream;
        // How often the screen picker opened: a resumed pause must not ask for a screen again.
        page.pickerOpened = (page.pickerOpened ?? 0) + 1;
        return stream;
      };
    },
    { noScreenSharing: !!options.noScreenSharing, closeFirstPicker: !!options.closeFirstPicker },
  );
  const page = await context.newPage();
  await page.goto(`${platform.url}${path}`);
  return page;
}

const status = (page: Page) => page.getByTestId("status");

export async function expectStatus(page: Page, expected: string | RegExp, timeout = 15_000): Promise<void> {
  await expect.poll(() => status(page).textContent(), { timeout }).toMatch(expected);
}

/**
 * What every page state must satisfy: words, not codes (no enum name, no raw Connect error on the page), the status in
 * a live region, and no axe-core violation. With `name`, a screenshot for docs/screenshots.
 */
export async function checkPage(page: Page, name?: string): Promise<void> {
  const text = await page.locator("body").textContent();
  expect(text).not.toMatch(/\b[A-Z]{2,}(?:_[A-Z]+)+\b/);
  expect(text).not.toMatch(/\[[a-z_]+\]|ConnectError|is not a function|State: /);
  expect(await page.locator('[role="status"][aria-live="polite"] [data-testid="status"]').count()).toBe(1);
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (context: Document) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> };
      }
    ).axe;
    const { violations } = await axe.run(document);
    return violations.map((violation) => `${violation.impact} ${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
  });
  expect(violations).toEqual([]);
  if (name) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
  }
}

/** The agent's video element is playing the sharer's screen: decoded frames keep increasing, at the captured size. */
export async function expectPlaying(agent: Page, customer: Page): Promise<void> {
  const frames = () => agent.getByTestId("screen").evaluate((video: HTMLVideoElement) => video.getVideoPlaybackQuality().totalVideoFrames);
  await expect.poll(frames, { timeout: 15_000 }).toBeGreaterThan(5);
  const before = await frames();
  await new Promise((done) => setTimeout(done, 1_000));
  expect(await frames()).toBeGreaterThan(before);
  const captured = await customer.evaluate(() => {
    const settings = (window as unknown as { captured: MediaStream }).captured.getVideoTracks()[0]?.getSettings();
    return [settings?.width, settings?.height];
  });
  expect(captured[0]).toBeGreaterThan(0);
  await expect
    .poll(() => agent.getByTestId("screen").evaluate((video: HTMLVideoElement) => [video.videoWidth, video.videoHeight]), { timeout: 15_000 })
    .toEqual(captured);
}

export const customerName = (agent: Page, interactionId: string) => agent.locator(`li[data-interaction="${interactionId}"] .name`).textContent();

export async function startOn(agent: Page, interactionId: string): Promise<string> {
  const start = agent.locator(`li[data-interaction="${interactionId}"]`).getByRole("button", { name: /Start Screen Share/ });
  await start.click();
  return (await customerName(agent, interactionId)) ?? "";
}

/** Voice flow up to the agent watching the customer's screen. */
export async function voiceSharing() {
  const interactionId = await addInteraction("voice");
  const agent = await open("/agent.html");
  const name = await startOn(agent, interactionId);
  await expect.poll(() => agent.getByTestId("key").textContent()).toMatch(/^\d{3} \d{3}$/);
  const key = (await agent.getByTestId("key").textContent()) ?? "";
  const customer = await open(`/customer.html?interaction=${interactionId}`);
  await customer.getByTestId("security-key").fill(key);
  await customer.getByRole("button", { name: "Share your screen" }).click();
  await expectStatus(agent, `You are seeing ${name}'s screen.`);
  await expectPlaying(agent, customer);
  return { agent, customer, interactionId, name };
}

/** Chat flow up to the agent watching the customer's screen: Accept opens the picker at once. */
export async function chatSharing(screenshots = false) {
  const interactionId = await addInteraction("chat");
  const agent = await open("/agent.html");
  const customer = await open(`/customer.html?interaction=${interactionId}`);
  const name = await startOn(agent, interactionId);
  await customer.getByRole("button", { name: "Accept" }).waitFor();
  await expectStatus(agent, `Waiting for ${name} to accept in the chat.`);
  if (screenshots) {
    await checkPage(customer, "customer-chat-invitation");
    await checkPage(agent, "agent-chat-waiting");
  }
  await customer.getByRole("button", { name: "Accept" }).click();
  await expectStatus(agent, `You are seeing ${name}'s screen.`);
  await expectPlaying(agent, customer);
  return { agent, customer, interactionId, name };
}

/** After every ending the agent can start a new share at once. */
export async function expectAgentFree(agent: Page): Promise<void> {
  const interactionId = await addInteraction("voice");
  await agent.locator(`li[data-interaction="${interactionId}"]`).waitFor();
  const name = await startOn(agent, interactionId);
  await expectStatus(agent, `Waiting for ${name} to enter the security key.`);
  await agent.getByRole("button", { name: "End screen share" }).click();
  await expectStatus(agent, "You ended the screen share before it started.");
}
