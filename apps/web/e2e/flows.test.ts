import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { type ReferenceStack, startReferenceStack } from "@screenshare/server/stack";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { SessionState, ViewerService } from "@screenshare/protocol";
import { mintViewerToken, VIEW_PERMISSION } from "@screenshare/server";
import type { BrowserContext } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform } from "../platform/platform.js";

// The README's screenshots are refreshed with UPDATE_SCREENSHOTS=1; other runs take them too, into a temp folder.
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1" ? resolve(import.meta.dirname, "../../../docs/screenshots") : resolve(tmpdir(), "screenshare-screenshots");
const GRACE_MS = 5_000;

let stack: ReferenceStack;
let platform: Platform;
let browser: Browser;

beforeAll(async () => {
  await build({ root: resolve(import.meta.dirname, ".."), logLevel: "error" });
  stack = await startReferenceStack({
    corsOrigins: ["*"],
    timeouts: { acceptanceTimeoutMs: 4_000, viewerReconnectGraceMs: GRACE_MS, sharerReconnectGraceMs: GRACE_MS, screenSelectionTimeoutMs: 30_000 },
  });
  platform = await startPlatform(stack);
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      "--auto-select-desktop-capture-source=Entire screen",
    ],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

const contexts: BrowserContext[] = [];

/** Each test starts with a free agent, whatever the previous one left behind. */
afterEach(async () => {
  await Promise.allSettled(contexts.splice(0).map((context) => context.close()));
  const token = await mintViewerToken({ secret: stack.viewerTokenSecret, org: platform.orgId, sub: platform.agentId, permissions: [VIEW_PERMISSION] });
  const viewer = createClient(
    ViewerService,
    createConnectTransport({ baseUrl: stack.server.url, httpVersion: "1.1", interceptors: [(next) => (request) => (request.header.set("authorization", `Bearer ${token}`), next(request))] }),
  );
  for (const session of (await viewer.listSessions({ liveOnly: true })).sessions) {
    const sharing = session.state === SessionState.SHARING || session.state === SessionState.RECONNECTING_SHARER;
    await (sharing ? viewer.leaveSession({ sessionId: session.sessionId }) : viewer.cancelScreenShare({ sessionId: session.sessionId })).catch(() => {});
  }
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await stack?.stop();
});

/** A fresh browser context (its own sessionStorage), with the captured screen kept where a test can end it. */
async function open(path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  contexts.push(context);
  await context.addInitScript(() => {
    const original = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getDisplayMedia = async (constraints) => {
      const stream = await original(constraints);
      (window as unknown as { captured: MediaStream }).captured = stream;
      return stream;
    };
  });
  const page = await context.newPage();
  await page.goto(`${platform.url}${path}`);
  return page;
}

const state = (page: Page) => page.getByTestId("state");

async function expectState(page: Page, expected: string, timeout = 15_000): Promise<void> {
  await expect.poll(() => state(page).textContent(), { timeout }).toBe(expected);
}

/** The agent's video element is playing the sharer's screen: decoded frames keep increasing, at the captured size. */
async function expectPlaying(agent: Page, customer: Page): Promise<void> {
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

async function startOn(agent: Page, interactionId: string): Promise<void> {
  await agent.reload();
  await agent.locator(`li[data-interaction="${interactionId}"] button`).click();
}

/** Voice flow up to the agent watching the customer's screen. */
async function voiceSharing(screenshots = false) {
  const interactionId = await platform.addInteraction("voice");
  const agent = await open("/agent.html");
  await startOn(agent, interactionId);
  await expect.poll(() => agent.getByTestId("key").textContent()).toMatch(/^\d{3} \d{3}$/);
  if (screenshots) await agent.screenshot({ path: `${SCREENSHOTS}/agent-key.png` });
  const key = (await agent.getByTestId("key").textContent()) ?? "";
  const customer = await open(`/customer.html?interaction=${interactionId}`);
  await customer.getByTestId("security-key").fill(key);
  if (screenshots) await customer.screenshot({ path: `${SCREENSHOTS}/customer-voice-key.png` });
  await customer.getByRole("button", { name: "Share your screen" }).click();
  await expectState(agent, "SHARING");
  await expectPlaying(agent, customer);
  return { agent, customer, interactionId };
}

/** Chat flow up to the agent watching the customer's screen. */
async function chatSharing(screenshots = false) {
  const interactionId = await platform.addInteraction("chat");
  const agent = await open("/agent.html");
  const customer = await open(`/customer.html?interaction=${interactionId}`);
  await startOn(agent, interactionId);
  await customer.getByRole("button", { name: "Accept" }).waitFor();
  if (screenshots) await customer.screenshot({ path: `${SCREENSHOTS}/customer-chat-invitation.png` });
  await customer.getByRole("button", { name: "Accept" }).click();
  await customer.getByRole("button", { name: "Share", exact: true }).click();
  await expectState(agent, "SHARING");
  await expectPlaying(agent, customer);
  return { agent, customer, interactionId };
}

/** After every ending the agent can start a new share at once. */
async function expectAgentFree(agent: Page): Promise<void> {
  const interactionId = await platform.addInteraction("voice");
  await startOn(agent, interactionId);
  await expectState(agent, "AWAITING_KEY_REDEMPTION");
  await agent.getByRole("button", { name: "End screen share" }).click();
  await expectState(agent, "ENDED");
}

describe("voice and chat flows in a real browser", () => {
  it("voice: key, Share your screen, the agent sees the screen; Leave session ends it", async () => {
    const { agent, customer } = await voiceSharing(true);
    await agent.screenshot({ path: `${SCREENSHOTS}/agent-sharing.png` });
    await customer.screenshot({ path: `${SCREENSHOTS}/customer-sharing.png` });
    await agent.getByRole("button", { name: "Leave session" }).click();
    await expectState(agent, "ENDED");
    await expectState(customer, "ENDED");
    await expect.poll(() => customer.locator("#reason").textContent()).toBe("(VIEWER_LEFT)");
    await expectAgentFree(agent);
  }, 90_000);

  it("chat: Accept, Share, the agent sees the screen; the chat's End screen share ends it", async () => {
    const { agent, customer } = await chatSharing(true);
    await customer.getByRole("button", { name: "■ End screen share" }).click();
    await expectState(agent, "ENDED");
    await expect.poll(() => agent.locator("#reason").textContent()).toBe("(SHARER_STOPPED)");
    await expectAgentFree(agent);
  }, 90_000);
});

describe("endings", () => {
  it("the agent cancels before the customer shares", async () => {
    const interactionId = await platform.addInteraction("voice");
    const agent = await open("/agent.html");
    await startOn(agent, interactionId);
    await agent.getByRole("button", { name: "End screen share" }).click();
    await expect.poll(() => agent.locator("#reason").textContent()).toBe("(VIEWER_CANCELLED)");
    await expectAgentFree(agent);
  }, 60_000);

  it("the customer clicks Stop sharing (voice)", async () => {
    const { agent, customer } = await voiceSharing();
    await customer.getByRole("button", { name: "Stop sharing" }).click();
    await expect.poll(() => agent.locator("#reason").textContent()).toBe("(SHARER_STOPPED)");
    await expectAgentFree(agent);
  }, 90_000);

  it("the browser's own Stop sharing control ends the session", async () => {
    const { agent, customer } = await chatSharing();
    await customer.evaluate(() => {
      const track = (window as unknown as { captured: MediaStream }).captured.getVideoTracks()[0];
      track?.stop();
      track?.dispatchEvent(new Event("ended"));
    });
    await expect.poll(() => agent.locator("#reason").textContent()).toBe("(SHARER_STOPPED)");
    await expectAgentFree(agent);
  }, 90_000);

  it("the customer declines the invitation", async () => {
    const interactionId = await platform.addInteraction("chat");
    const agent = await open("/agent.html");
    const customer = await open(`/customer.html?interaction=${interactionId}`);
    await startOn(agent, interactionId);
    await customer.getByRole("button", { name: "Decline" }).click();
    await expect.poll(() => agent.locator("#reason").textContent()).toBe("(SHARER_DECLINED)");
    await expectAgentFree(agent);
  }, 60_000);

  it("nobody answers the invitation", async () => {
    const interactionId = await platform.addInteraction("chat");
    const agent = await open("/agent.html");
    await startOn(agent, interactionId);
    await expect.poll(() => agent.locator("#reason").textContent(), { timeout: 15_000 }).toBe("(ACCEPTANCE_TIMED_OUT)");
    await expectAgentFree(agent);
  }, 60_000);

  it("the interaction disconnects while sharing", async () => {
    const { agent, customer, interactionId } = await voiceSharing();
    await platform.disconnect(interactionId);
    await expect.poll(() => agent.locator("#reason").textContent()).toBe("(INTERACTION_DISCONNECTED)");
    await expectState(customer, "ENDED");
    await expectAgentFree(agent);
  }, 90_000);
});

describe("refresh and close", () => {
  it("the agent refreshes during sharing and sees the screen again", async () => {
    const { agent, customer } = await voiceSharing();
    await agent.reload();
    await expectState(agent, "SHARING");
    await expectPlaying(agent, customer);
    await customer.getByRole("button", { name: "Stop sharing" }).click();
    await expectAgentFree(agent);
  }, 90_000);

  it("the customer refreshes during sharing, chooses the screen again and shares again", async () => {
    const { agent, customer } = await chatSharing();
    await customer.reload();
    await customer.getByRole("button", { name: "Share", exact: true }).click();
    await expectState(agent, "SHARING");
    await expectPlaying(agent, customer);
    await agent.getByRole("button", { name: "Leave session" }).click();
    await expectAgentFree(agent);
  }, 90_000);

  it("a customer who closes the page is lost after the grace window, and the agent is free", async () => {
    const { agent, customer } = await voiceSharing();
    await customer.context().close();
    await expect.poll(() => agent.locator("#reason").textContent(), { timeout: GRACE_MS + 15_000 }).toBe("(SHARER_LOST)");
    await expectAgentFree(agent);
  }, 90_000);

  it("an agent who closes the console is lost after the grace window, and can start again", async () => {
    const { agent, customer } = await voiceSharing();
    await agent.context().close();
    await expect.poll(() => customer.locator("#reason").textContent(), { timeout: GRACE_MS + 15_000 }).toBe("(VIEWER_LOST)");
    await expectAgentFree(await open("/agent.html"));
  }, 90_000);
});
