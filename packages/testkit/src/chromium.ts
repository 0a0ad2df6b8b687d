import { type Browser, chromium } from "playwright-core";

/**
 * Debian's Chromium (never a downloaded one), headless, as every browser test and benchmark here runs it: no
 * network traffic of its own, a fake camera, a screen picker that chooses the entire screen at once, and pages
 * that keep full speed in the background. `extraArgs` adds flags (e.g. a marker to find its processes by).
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
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
      "--disable-renderer-backgrounding",
      "--disable-background-timer-throttling",
      "--disable-backgrounding-occluded-windows",
      ...extraArgs,
    ],
  });
}
