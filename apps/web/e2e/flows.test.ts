// Both pages end to end in one headless Chromium against one reference stack and platform (the stage in
// ./harness.ts, started once for the file: each start costs seconds): each describe block is one flow, each test one
// state a person sees.
import { describe, expect, it } from "vitest";
import {
  addInteraction,
  agentApi,
  chatSharing,
  checkPage,
  customerName,
  expectAgentFree,
  expectPlaying,
  expectStatus,
  GRACE_MS,
  open,
  PHONE,
  platform,
  startOn,
  voiceSharing,
} from "./harness.js";

describe("voice and chat flows in a real browser", () => {
  it("voice: the key with its countdown and attempts, a wrong key said in words, Enter shares, the screen zooms and pops out, Leave session ends it", async () => {
    const interactionId = await addInteraction("voice");
    const agent = await open("/agent.html");
    await checkPage(agent, "agent-console");
    const name = await startOn(agent, interactionId);
    await expect.poll(() => agent.getByTestId("key").textContent()).toMatch(/^\d{3} \d{3}$/);
    await expectStatus(agent, `Waiting for ${name} to enter the security key.`);
    expect(await agent.getByTestId("key-expiry").textContent()).toMatch(/^Expires in [45]:\d\d$/);
    expect(await agent.getByTestId("attempts").textContent()).toBe("10 wrong tries left");
    // No Start button that could only fail while a share runs.
    expect(await agent.getByRole("button", { name: /Start Screen Share/ }).count()).toBe(0);
    await checkPage(agent, "agent-key");
    const key = (await agent.getByTestId("key").textContent()) ?? "";

    const customer = await open(`/customer.html?interaction=${interactionId}`);
    await checkPage(customer, "customer-voice-key");
    expect(await customer.getByRole("button", { name: "Stop sharing" }).isVisible()).toBe(false);
    const wrong = key.replace(/\d$/, (digit) => String((Number(digit) + 1) % 10));
    await customer.getByTestId("security-key").fill(wrong);
    await customer.getByTestId("security-key").press("Enter");
    await expect
      .poll(() => customer.getByRole("alert").textContent())
      .toMatch(/^That key did not work\. Check the digits with the agent, or ask them for a new key\./);
    await checkPage(customer, "customer-voice-wrong-key");
    await expect.poll(() => agent.getByTestId("attempts").textContent(), { timeout: 6_000 }).toBe("9 wrong tries left");

    // One field that takes the key with a dash; Enter submits.
    await customer.getByTestId("security-key").fill(key.replace(" ", "-"));
    await customer.getByTestId("security-key").press("Enter");
    await expectStatus(agent, `You are seeing ${name}'s screen.`);
    await expectPlaying(agent, customer);
    await expectStatus(customer, "You are sharing your screen with Alex.");
    expect(await customer.getByRole("region", { name: "Screen sharing" }).textContent()).toContain("You are sharing your screen with Alex.");
    expect(await customer.getByTestId("security-key").isVisible()).toBe(false);
    expect(await customer.getByRole("button", { name: "Share your screen" }).count()).toBe(0);
    await expect.poll(() => agent.getByTestId("timer").textContent()).toMatch(/^Sharing for 0:0\d$/);
    expect(await agent.getByTestId("screen").getAttribute("aria-label")).toBe(`${name}'s shared screen`);
    await checkPage(agent, "agent-sharing");
    await checkPage(customer, "customer-sharing");

    // Fit, 100 %, zoom and full screen on the agent's side.
    const video = agent.getByTestId("screen");
    const [width, height] = await video.evaluate((element: HTMLVideoElement) => [element.videoWidth, element.videoHeight]);
    const shown = () => video.evaluate((element) => [Math.round(element.getBoundingClientRect().width), Math.round(element.getBoundingClientRect().height)]);
    const fitted = await shown();
    expect(fitted[0]).toBeLessThan(width ?? 0);
    await agent.getByRole("button", { name: "100%" }).click();
    expect(await shown()).toEqual([width, height]);
    await agent.getByRole("button", { name: "Zoom in" }).click();
    expect(await agent.getByTestId("zoom-level").textContent()).toBe("125%");
    expect(await shown()).toEqual([Math.round((width ?? 0) * 1.25), Math.round((height ?? 0) * 1.25)]);
    // Panning: the stage scrolls when dragged.
    const box = await agent.locator("#stage").boundingBox();
    await agent.mouse.move((box?.x ?? 0) + 300, (box?.y ?? 0) + 200);
    await agent.mouse.down();
    await agent.mouse.move((box?.x ?? 0) + 100, (box?.y ?? 0) + 100, { steps: 4 });
    await agent.mouse.up();
    expect(await agent.locator("#stage").evaluate((stage) => [stage.scrollLeft, stage.scrollTop])).toEqual([200, 100]);
    await agent.getByRole("button", { name: "Fit" }).click();
    expect(await shown()).toEqual(fitted);
    await agent.getByRole("button", { name: "Full screen" }).click();
    await expect.poll(() => agent.evaluate(() => document.fullscreenElement?.id)).toBe("viewer");
    await agent.getByRole("button", { name: "Exit full screen" }).click();
    await expect.poll(() => agent.evaluate(() => document.fullscreenElement?.id ?? "none")).toBe("none");

    // Pop out: the screen plays in its own window.
    const [popup] = await Promise.all([agent.waitForEvent("popup"), agent.getByRole("button", { name: "Pop out" }).click()]);
    const popupFrames = () => popup.locator("video").evaluate((element: HTMLVideoElement) => element.getVideoPlaybackQuality().totalVideoFrames);
    await expect.poll(popupFrames, { timeout: 10_000 }).toBeGreaterThan(3);
    expect(await popup.title()).toBe(`${name}'s shared screen`);
    expect(await agent.locator("#stage-note").textContent()).toBe("The screen is open in a separate window.");

    await agent.getByRole("button", { name: "Leave session" }).click();
    await expectStatus(agent, `You left the session. ${name}'s screen is no longer shared.`);
    await expect.poll(() => popup.isClosed()).toBe(true);
    await expectStatus(customer, "Alex ended the screen share. Your screen is no longer shared.");
    // The key box is back, empty, for the next time; nothing of the old share is clickable.
    expect(await customer.getByTestId("security-key").inputValue()).toBe("");
    expect(await customer.getByRole("button", { name: "Stop sharing" }).isVisible()).toBe(false);
    await checkPage(customer, "customer-ended");
    await checkPage(agent, "agent-ended");
    await expectAgentFree(agent);
  }, 90_000);

  it("chat: Accept opens the screen picker at once, the chat shows the sharing bar, and its End screen share ends it", async () => {
    const { agent, customer, name } = await chatSharing(true);
    await expectStatus(customer, "You are sharing your screen with Alex.");
    const bar = customer.locator("#chat").getByRole("region", { name: "Screen sharing" });
    expect(await bar.textContent()).toContain("You are sharing your screen with Alex.");
    expect(await customer.getByRole("button", { name: "Accept" }).count()).toBe(0);
    await checkPage(customer, "customer-chat-sharing");
    await bar.getByRole("button", { name: "End screen share" }).click();
    await expectStatus(agent, `${name} stopped sharing their screen.`);
    await expectStatus(customer, "You stopped sharing your screen.");
    await checkPage(customer);
    await expectAgentFree(agent);
  }, 90_000);
});

describe("the agent is never stuck", () => {
  it("a refresh while the key awaits redemption keeps the key and New key; the list follows the platform", async () => {
    const interactionId = await addInteraction("voice");
    const agent = await open("/agent.html");
    const name = await startOn(agent, interactionId);
    await expect.poll(() => agent.getByTestId("key").textContent()).toMatch(/^\d{3} \d{3}$/);
    const key = await agent.getByTestId("key").textContent();
    // A refresh slow enough for the server to see the console drop (RECONNECTING_VIEWER) before it comes back. The new
    // page counts every time the key box is hidden after it was shown: the key must never blink out.
    await agent.addInitScript(() => {
      const counter = window as unknown as { keyHidden: number };
      counter.keyHidden = 0;
      document.addEventListener("DOMContentLoaded", () => {
        const box = document.getElementById("key-box") as HTMLElement;
        new MutationObserver((records) => {
          counter.keyHidden += records.filter((record) => record.oldValue === null).length;
        }).observe(box, { attributes: true, attributeFilter: ["hidden"], attributeOldValue: true });
      });
    });
    await agent.goto("about:blank");
    await new Promise((done) => setTimeout(done, 1_500));
    await agent.goto(`${platform.url}/agent.html`);
    await expectStatus(agent, `Waiting for ${name} to enter the security key.`);
    await expect.poll(() => agent.getByTestId("key").textContent()).toBe(key);
    await new Promise((done) => setTimeout(done, 1_500));
    expect(await agent.evaluate(() => (window as unknown as { keyHidden: number }).keyHidden)).toBe(0);
    expect(await agent.getByRole("button", { name: "New key" }).isVisible()).toBe(true);
    await agent.getByRole("button", { name: "New key" }).click();
    await expect.poll(() => agent.getByTestId("key").textContent()).not.toBe(key);
    await checkPage(agent);

    // New, transferred and disconnected calls and chats show up and leave without a reload, with the customer's name.
    const chat = await addInteraction("chat", "Priya Natarajan");
    await expect.poll(() => customerName(agent, chat)).toBe("Priya Natarajan");
    platform.transfer(chat);
    await expect.poll(() => agent.locator(`li[data-interaction="${chat}"]`).count()).toBe(0);
    await platform.disconnect(interactionId);
    await expect.poll(() => agent.locator(`li[data-interaction="${interactionId}"]`).count()).toBe(0);
    await expectStatus(agent, "The call or chat ended, so the screen share ended too.");
  }, 60_000);

  it("a console closed and opened again within the grace window shows the live session with its controls", async () => {
    const { agent, customer, name } = await voiceSharing();
    await agent.context().close();
    const reopened = await open("/agent.html");
    await expectStatus(reopened, `You are seeing ${name}'s screen.`);
    await expectPlaying(reopened, customer);
    expect(await reopened.getByRole("button", { name: /Start Screen Share/ }).count()).toBe(0);
    await checkPage(reopened);
    await reopened.getByRole("button", { name: "Leave session" }).click();
    await expectStatus(reopened, `You left the session. ${name}'s screen is no longer shared.`);
  }, 90_000);

  it("a start refused because a share already runs elsewhere says so in words and shows that share", async () => {
    const call = await addInteraction("voice");
    const chat = await addInteraction("chat");
    const agent = await open("/agent.html");
    await startOn(agent, call);
    const name = await customerName(agent, chat);
    await agent.getByRole("button", { name: "End screen share" }).click();
    await expectStatus(agent, "You ended the screen share before it started.");
    // Another console of the same agent starts a chat share meanwhile; this one still offers Start.
    await (await agentApi()).startScreenShare({ interactionId: chat });
    await agent
      .locator(`li[data-interaction="${call}"]`)
      .getByRole("button", { name: /Start Screen Share/ })
      .click();
    await expect
      .poll(() => agent.getByRole("alert").textContent())
      .toMatch(/^You already have a screen share running, shown here\. End it or leave it before starting another\./);
    await expectStatus(agent, `Waiting for ${name} to accept in the chat.`);
    expect(await agent.getByRole("button", { name: /Start Screen Share/ }).count()).toBe(0);
    await checkPage(agent, "agent-already-sharing");
  }, 60_000);

  it("a cancelled invitation leaves the customer's chat at once", async () => {
    const interactionId = await addInteraction("chat");
    const agent = await open("/agent.html");
    const customer = await open(`/customer.html?interaction=${interactionId}`);
    await startOn(agent, interactionId);
    await customer.getByRole("button", { name: "Accept" }).waitFor();
    await agent.getByRole("button", { name: "End screen share" }).click();
    await expect.poll(() => customer.getByRole("button", { name: "Accept" }).count(), { timeout: 3_000 }).toBe(0);
    await checkPage(customer);
  }, 60_000);

  it("a phone that cannot share is told what to do, and the agent learns why at once (chat and voice)", async () => {
    const chat = await addInteraction("chat");
    const agent = await open("/agent.html");
    const phone = await open(`/customer.html?interaction=${chat}`, { viewport: PHONE, noScreenSharing: true });
    const name = await startOn(agent, chat);
    await expectStatus(agent, `${name}'s browser cannot share a screen (phones and some browsers cannot).`, 5_000);
    await expect
      .poll(() => phone.locator("#messages").textContent())
      .toContain("Alex asked to see your screen, but this browser cannot share a screen. We have told them.");
    expect(await phone.getByRole("button", { name: "Accept" }).count()).toBe(0);
    await checkPage(phone, "customer-phone-chat");
    await checkPage(agent, "agent-customer-cannot-share");

    const call = await addInteraction("voice");
    await agent.locator(`li[data-interaction="${call}"]`).waitFor();
    const caller = await startOn(agent, call);
    await expect.poll(() => agent.getByTestId("key").textContent()).toMatch(/^\d{3} \d{3}$/);
    const voicePhone = await open(`/customer.html?interaction=${call}`, { viewport: PHONE, noScreenSharing: true });
    await expectStatus(voicePhone, "This browser cannot share a screen.");
    // 16px or more, so the phone does not zoom into the field on focus.
    expect(await voicePhone.getByTestId("security-key").evaluate((input) => Number.parseFloat(getComputedStyle(input).fontSize))).toBeGreaterThanOrEqual(16);
    await checkPage(voicePhone, "customer-phone-voice");
    await voicePhone.getByTestId("security-key").fill((await agent.getByTestId("key").textContent()) ?? "");
    await voicePhone.getByRole("button", { name: "Tell the agent" }).click();
    await expectStatus(agent, `${caller}'s browser cannot share a screen (phones and some browsers cannot).`, 5_000);
    await expectStatus(voicePhone, "This browser cannot share a screen, and the agent has been told.");
  }, 60_000);

  it("a closed screen picker is told to both, and the customer can choose again", async () => {
    const interactionId = await addInteraction("voice");
    const agent = await open("/agent.html");
    const name = await startOn(agent, interactionId);
    await expect.poll(() => agent.getByTestId("key").textContent()).toMatch(/^\d{3} \d{3}$/);
    const customer = await open(`/customer.html?interaction=${interactionId}`, { closeFirstPicker: true });
    await customer.getByTestId("security-key").fill((await agent.getByTestId("key").textContent()) ?? "");
    await customer.getByRole("button", { name: "Share your screen" }).click();
    await expectStatus(customer, "You closed the screen picker without choosing a screen.");
    await expectStatus(agent, `${name} closed the screen picker without choosing a screen.`, 5_000);
    expect(await customer.getByRole("button", { name: "Stop sharing" }).isVisible()).toBe(false);
    await checkPage(customer, "customer-picker-closed");
    await checkPage(agent, "agent-picker-closed");
    await customer.getByRole("button", { name: "Share your screen" }).click();
    await expectStatus(agent, `You are seeing ${name}'s screen.`);
    await expectPlaying(agent, customer);
  }, 60_000);
});

describe("endings", () => {
  it("the agent cancels before the customer shares", async () => {
    const interactionId = await addInteraction("voice");
    const agent = await open("/agent.html");
    await startOn(agent, interactionId);
    await agent.getByRole("button", { name: "End screen share" }).click();
    await expectStatus(agent, "You ended the screen share before it started.");
    await expectAgentFree(agent);
  }, 60_000);

  it("the customer clicks Stop sharing (voice)", async () => {
    const { agent, customer, name } = await voiceSharing();
    await customer.getByRole("button", { name: "Stop sharing" }).click();
    await expectStatus(agent, `${name} stopped sharing their screen.`);
    await expectAgentFree(agent);
  }, 90_000);

  it("the browser's own Stop sharing control ends the session", async () => {
    const { agent, customer, name } = await chatSharing();
    await customer.evaluate(() => {
      const track = (window as unknown as { captured: MediaStream }).captured.getVideoTracks()[0];
      track?.stop();
      track?.dispatchEvent(new Event("ended"));
    });
    await expectStatus(agent, `${name} stopped sharing their screen.`);
    await expectAgentFree(agent);
  }, 90_000);

  it("the customer declines the invitation", async () => {
    const interactionId = await addInteraction("chat");
    const agent = await open("/agent.html");
    const customer = await open(`/customer.html?interaction=${interactionId}`);
    const name = await startOn(agent, interactionId);
    await customer.getByRole("button", { name: "Decline" }).click();
    await expectStatus(agent, `${name} declined the screen share.`);
    await expectStatus(customer, "You declined the screen share. Nothing was shared.");
    await expectAgentFree(agent);
  }, 60_000);

  it("nobody answers the invitation: the countdown runs out", async () => {
    const interactionId = await addInteraction("chat");
    const agent = await open("/agent.html");
    const name = await startOn(agent, interactionId);
    await expect.poll(() => agent.locator("#deadline").textContent()).toMatch(/^The invitation expires in 0:0[1-8]\.$/);
    await expectStatus(agent, `${name} did not accept the invitation in time.`);
    await checkPage(agent);
    await expectAgentFree(agent);
  }, 60_000);

  it("the interaction disconnects while sharing", async () => {
    const { agent, customer, interactionId } = await voiceSharing();
    await platform.disconnect(interactionId);
    await expectStatus(agent, "The call or chat ended, so the screen share ended too.");
    await expectStatus(customer, "The call or chat ended, so the screen share ended too.");
    await expectAgentFree(agent);
  }, 90_000);
});

describe("refresh and close", () => {
  it("the agent refreshes during sharing and sees the screen again", async () => {
    const { agent, customer, name } = await voiceSharing();
    await agent.reload();
    await expectStatus(agent, `You are seeing ${name}'s screen.`);
    await expectPlaying(agent, customer);
    await customer.getByRole("button", { name: "Stop sharing" }).click();
    await expectAgentFree(agent);
  }, 90_000);

  it("the customer refreshes during sharing: only Share your screen and Don't share are offered, and sharing resumes", async () => {
    const { agent, customer } = await chatSharing();
    await customer.reload();
    await expectStatus(customer, "Your page was reloaded, so your screen is not shared right now.");
    const visible = await customer
      .getByRole("button")
      .evaluateAll((buttons) => buttons.filter((button) => (button as HTMLElement).offsetParent !== null).map((button) => button.textContent?.trim()));
    expect(visible).toEqual(["Share your screen", "Don't share"]);
    await checkPage(customer, "customer-reloaded");
    await customer.getByRole("button", { name: "Share your screen" }).click();
    await expectStatus(customer, "You are sharing your screen with Alex.");
    await expectPlaying(agent, customer);
    await agent.getByRole("button", { name: "Leave session" }).click();
    await expectAgentFree(agent);
  }, 90_000);

  it("a customer who closes the page is lost after the grace window, and the agent is free", async () => {
    const { agent, customer, name } = await voiceSharing();
    await customer.context().close();
    await expectStatus(agent, `${name}'s connection dropped. Waiting for them to come back.`);
    await expect.poll(() => agent.locator("#deadline").textContent()).toMatch(/^Waiting 0:0\d more for them to come back\.$/);
    await checkPage(agent, "agent-customer-reconnecting");
    await expectStatus(agent, `${name}'s connection was lost and they did not come back in time.`, GRACE_MS + 15_000);
    await expectAgentFree(agent);
  }, 90_000);

  it("an agent who closes the console is lost after the grace window, and can start again", async () => {
    const { agent, customer } = await voiceSharing();
    await agent.context().close();
    await expectStatus(customer, "Alex's connection was lost, so the screen share ended.", GRACE_MS + 15_000);
    await expectAgentFree(await open("/agent.html"));
  }, 90_000);
});
