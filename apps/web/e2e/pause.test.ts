import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { checkPage, expectPlaying, expectStatus, voiceSharing } from "./harness.js";

/** Frames the agent's video element has decoded so far. */
const framesOf = (agent: Page) => agent.getByTestId("screen").evaluate((video: HTMLVideoElement) => video.getVideoPlaybackQuality().totalVideoFrames);
const pickerOpenings = (customer: Page) => customer.evaluate(() => (window as unknown as { pickerOpened?: number }).pickerOpened ?? 0);

describe("the privacy pause in a real browser", () => {
  it("pause: the agent is told and frames stop; Ask to resume reaches the customer; Resume sharing brings the same screen back without a picker; a reload stays paused", async () => {
    const { agent, customer, name } = await voiceSharing();
    const picked = await pickerOpenings(customer);
    await customer.getByRole("button", { name: "Pause" }).click();
    await expectStatus(agent, `Paused by ${name}: their screen is hidden from you for now.`);
    await expectStatus(customer, "Your screen is paused: Alex cannot see it.");
    // Frames, not only words: the media plane stops forwarding the screen. Frames on their way may still land.
    await new Promise((done) => setTimeout(done, 500));
    const before = await framesOf(agent);
    await new Promise((done) => setTimeout(done, 2_000));
    expect((await framesOf(agent)) - before).toBeLessThanOrEqual(1);
    expect(await agent.getByTestId("screen").isVisible()).toBe(false);
    expect(await agent.getByRole("button", { name: "Leave session" }).isVisible()).toBe(true);
    await checkPage(agent, "agent-paused");
    await checkPage(customer, "customer-paused");

    await agent.getByRole("button", { name: "Ask to resume" }).click();
    await expectStatus(agent, `Paused by ${name}. You asked them to resume sharing.`);
    await expectStatus(customer, "Alex asked you to resume sharing your screen.");
    await checkPage(customer, "customer-asked-to-resume");

    await customer.getByRole("button", { name: "Resume sharing" }).click();
    await expectStatus(agent, `You are seeing ${name}'s screen.`);
    await expectStatus(customer, "You are sharing your screen with Alex.");
    await expectPlaying(agent, customer);
    // The same capture: no second picker, the first screen's track still live.
    expect(await pickerOpenings(customer)).toBe(picked);
    expect(await customer.evaluate(() => (window as unknown as { captured: MediaStream }).captured.getVideoTracks()[0]?.readyState)).toBe("live");
    expect(await customer.getByRole("button", { name: "Pause" }).isVisible()).toBe(true);

    // A reload while paused comes back paused: nothing is chosen or shown until Resume sharing, which asks for a screen.
    await customer.getByRole("button", { name: "Pause" }).click();
    await expectStatus(agent, `Paused by ${name}: their screen is hidden from you for now.`);
    await customer.reload();
    await expectStatus(customer, "Your page was reloaded and your screen is still paused: nothing is shared.");
    const visible = await customer
      .getByRole("button")
      .evaluateAll((buttons) => buttons.filter((button) => (button as HTMLElement).offsetParent !== null).map((button) => button.textContent?.trim()));
    expect(visible).toEqual(["Resume sharing", "Stop sharing"]);
    await expectStatus(agent, `Paused by ${name}: their screen is hidden from you for now.`);
    await customer.getByRole("button", { name: "Resume sharing" }).click();
    await expectStatus(agent, `You are seeing ${name}'s screen.`);
    expect(await pickerOpenings(customer)).toBe(1);
    await expectPlaying(agent, customer);
  });
});
