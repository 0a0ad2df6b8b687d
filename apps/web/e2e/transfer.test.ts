import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { checkPage, expectPlaying, expectStatus, open, platform, voiceSharing } from "./harness.js";

/** Frames the agent's video element has decoded so far. */
const framesOf = (agent: Page) => agent.getByTestId("screen").evaluate((video: HTMLVideoElement) => video.getVideoPlaybackQuality().totalVideoFrames);
const pickerOpenings = (customer: Page) => customer.evaluate(() => (window as unknown as { pickerOpened?: number }).pickerOpened ?? 0);

describe("a live share follows its transferred call in real browsers", () => {
  it("transfer: the new agent's console shows the screen with frames arriving, the old one says where it went, the customer page names the new agent, no second picker", async () => {
    const { agent: alex, customer, interactionId, name } = await voiceSharing();
    const [, bo] = platform.agents;
    if (!bo) throw new Error("the demo platform needs a second agent");
    const second = await open(`/agent.html?agent=${bo.agentId}`);
    await expectStatus(second, "No screen share is running.");
    const picked = await pickerOpenings(customer);
    try {
      await platform.transfer(interactionId, bo.agentId);

      await expectStatus(second, `You are seeing ${name}'s screen.`);
      await expectPlaying(second, customer);
      await second.locator(`li[data-interaction="${interactionId}"] svg.link`).waitFor();

      await expectStatus(alex, `The screen share went with the call to ${bo.agentName}.`);
      expect(await alex.getByTestId("screen").isVisible()).toBe(false);
      await expect.poll(() => alex.locator(`li[data-interaction="${interactionId}"]`).count()).toBe(0);
      // Frames, not only words: the old console is out of the media room, so its video decodes nothing more.
      const before = await framesOf(alex);
      await new Promise((done) => setTimeout(done, 1_000));
      expect(await framesOf(alex)).toBe(before);

      await expect.poll(() => customer.locator("#sharing-text").textContent()).toBe(`You are now sharing your screen with ${bo.agentName}.`);
      expect(await pickerOpenings(customer)).toBe(picked);
      expect(await customer.getByRole("button", { name: "Stop sharing" }).isVisible()).toBe(true);

      await checkPage(alex, "agent-transferred-away");
      await checkPage(second, "agent-transferred-in");
      await checkPage(customer, "customer-transferred");
    } finally {
      // The share is the second agent's now: the harness cleans up only the first agent's sessions.
      await platform.disconnect(interactionId);
    }
  });
});
