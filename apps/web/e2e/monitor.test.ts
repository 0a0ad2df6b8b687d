// Supervisor monitoring end to end, three browser contexts: the agent shares with a voice customer, a supervisor
// watches from the supervisor page and stops watching, and the share goes on. The demo org announces observers, so
// the customer's page says someone else is watching while the supervisor is there (a silent org's sharer never sees
// an observer: conformance's monitor/sharer-sees-observers-only-when-announced checks that on the media plane).
import { resolve } from "node:path";
import { launchChromium, type ReferenceStack, startReferenceStack } from "@screenshare/testkit";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform } from "../platform/platform.js";
import { checkPage, expectFramesArriving, framesOf } from "./page-checks.js";

let stack: ReferenceStack;
let platform: Platform;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await build({ root: resolve(import.meta.dirname, ".."), logLevel: "error" });
  stack = await startReferenceStack({ corsOrigins: ["*"], timeouts: { screenSelectionTimeoutMs: 30_000 }, observerPolicy: { announced: true } });
  platform = await startPlatform(stack);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(contexts.map((context) => context.close()));
  await browser?.close();
  await platform?.stop();
  await stack?.stop();
});

/** A page in its own browser context (its own storage), as a separate person's browser. */
async function open(path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${platform.url}${path}`);
  return page;
}

const status = (page: Page) => page.getByTestId("status").textContent();

describe("a supervisor", () => {
  it("watches a live share, the customer is told, and stopping to watch leaves the share going on", async () => {
    const interactionId = await platform.addInteraction("voice");
    const agent = await open("/agent.html");
    await agent
      .locator(`li[data-interaction="${interactionId}"]`)
      .getByRole("button", { name: /Start Screen Share/ })
      .click();
    await expect.poll(() => agent.getByTestId("key").textContent()).toMatch(/^\d{3} \d{3}$/);
    const customer = await open(`/customer.html?interaction=${interactionId}`);
    await customer.getByTestId("security-key").fill((await agent.getByTestId("key").textContent()) ?? "");
    await customer.getByRole("button", { name: "Share your screen" }).click();
    await expectFramesArriving(agent);
    expect(await customer.getByTestId("observed").isHidden()).toBe(true);

    const supervisor = await open("/supervisor.html");
    const row = supervisor.locator("#sessions li").filter({ hasText: "Voice call" });
    await expect
      .poll(() => row.textContent(), { timeout: 10_000 })
      .toMatch(/Agent agent-1.*The customer is sharing their screen\. Started less than a minute ago\./);
    await checkPage(supervisor, "supervisor-list");
    await row.getByRole("button", { name: "Watch agent agent-1's screen share" }).click();
    await expectFramesArriving(supervisor);
    await expect.poll(() => status(supervisor), { timeout: 10_000 }).toBe("You are watching agent agent-1's screen share.");
    await expect
      .poll(() => customer.getByTestId("observed").textContent(), { timeout: 10_000 })
      .toBe("Someone else from Alex's team is also watching your screen.");
    await checkPage(supervisor, "supervisor-watching");
    await checkPage(customer, "customer-observed");

    await supervisor.getByRole("button", { name: "Stop watching" }).click();
    await expect.poll(() => status(supervisor)).toBe("You are not watching a screen share.");
    await expect.poll(() => customer.getByTestId("observed").isHidden(), { timeout: 10_000 }).toBe(true);
    // The share goes on: the agent still receives the screen, and nothing ended.
    const before = await framesOf(agent);
    await new Promise((done) => setTimeout(done, 1_500));
    expect(await framesOf(agent)).toBeGreaterThan(before);
    expect(await status(agent)).toMatch(/You are seeing .*'s screen\./);
    expect(await row.textContent()).toMatch(/The customer is sharing their screen/);
    await checkPage(supervisor);
  });
});
