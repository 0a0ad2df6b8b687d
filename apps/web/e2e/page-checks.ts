// What every page state must satisfy, shared by the browser tests of every flow.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import type { Page } from "playwright-core";
import { expect } from "vitest";

// The README's screenshots are refreshed with UPDATE_SCREENSHOTS=1; other runs take them too, into a temp folder.
export const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === "1" ? resolve(import.meta.dirname, "../../../docs/screenshots") : resolve(tmpdir(), "screenshare-screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

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

/** Decoded frames of the page's screen video so far. */
export const framesOf = (page: Page) => page.getByTestId("screen").evaluate((video: HTMLVideoElement) => video.getVideoPlaybackQuality().totalVideoFrames);

/** The page's screen video is playing: decoded frames keep increasing. */
export async function expectFramesArriving(page: Page): Promise<void> {
  await expect.poll(() => framesOf(page), { timeout: 15_000 }).toBeGreaterThan(5);
  const before = await framesOf(page);
  await new Promise((done) => setTimeout(done, 1_000));
  expect(await framesOf(page)).toBeGreaterThan(before);
}
