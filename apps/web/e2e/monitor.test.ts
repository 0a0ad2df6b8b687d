// Supervisor monitoring end to end, three browser contexts: the agent shares with a voice customer, a supervisor
// watches from the supervisor page and stops watching, and the share goes on. The demo org announces observers (the
// reference server's default), so the customer's page says someone else is watching while the supervisor is there; a
// silent org's sharer never sees an observer (conformance's monitor/sharer-sees-observers-only-when-announced checks
// that on the media plane).
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { checkPage, expectPlaying, open, voiceSharing } from "./harness.js";

const status = (page: Page) => page.getByTestId("status").textContent();
const frames = (page: Page) => page.getByTestId("screen").evaluate((video: HTMLVideoElement) => video.getVideoPlaybackQuality().totalVideoFrames);

describe("a supervisor", () => {
  it("watches a live share, the customer is told, and stopping to watch leaves the share going on", async () => {
    const { agent, customer } = await voiceSharing();
    expect(await customer.getByTestId("observed").isHidden()).toBe(true);

    const supervisor = await open("/supervisor.html");
    const row = supervisor.locator("#sessions li").filter({ hasText: "Voice call" });
    await expect
      .poll(() => row.textContent(), { timeout: 10_000 })
      .toMatch(/Agent agent-1.*The customer is sharing their screen\. Started less than a minute ago\./);
    await checkPage(supervisor, "supervisor-list");
    await row.getByRole("button", { name: "Watch agent agent-1's screen share" }).click();
    await expectPlaying(supervisor, customer);
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
    const before = await frames(agent);
    await new Promise((done) => setTimeout(done, 1_500));
    expect(await frames(agent)).toBeGreaterThan(before);
    expect(await status(agent)).toMatch(/You are seeing .*'s screen\./);
    await expect.poll(() => row.textContent()).toMatch(/The customer is sharing their screen/);
    await checkPage(supervisor);
  });
});
