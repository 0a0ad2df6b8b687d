// Renders the chart of docs/lifecycle.md to docs/lifecycle.svg for offline readers: the mermaid package inside
// Debian's Chromium (never a downloaded browser), with no network.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../../..");
const markdown = readFileSync(resolve(root, "docs/lifecycle.md"), "utf8");
const chart = /```mermaid\n([\s\S]*?)```/.exec(markdown)?.[1];
if (!chart) throw new Error("docs/lifecycle.md has no mermaid chart: run `pnpm --filter @screenshare/machine draw` first");
const mermaidScript = createRequire(import.meta.url).resolve("mermaid/dist/mermaid.min.js");

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  await page.setContent("<!doctype html><html><body></body></html>");
  await page.addScriptTag({ path: mermaidScript });
  const svg = await page.evaluate(async (definition) => {
    const mermaid = (globalThis as unknown as { mermaid: { initialize(o: object): void; render(id: string, text: string): Promise<{ svg: string }> } }).mermaid;
    mermaid.initialize({ startOnLoad: false, theme: "neutral" });
    const rendered = (await mermaid.render("lifecycle", definition)).svg;
    // mermaid writes HTML (`<br>` in labels); a standalone .svg file must be XML.
    const container = document.createElement("div");
    container.innerHTML = rendered;
    const xml = new XMLSerializer().serializeToString(container.querySelector("svg") as SVGSVGElement);
    const parsed = new DOMParser().parseFromString(xml, "image/svg+xml");
    if (parsed.querySelector("parsererror")) throw new Error(`rendered SVG is not well-formed XML: ${parsed.querySelector("parsererror")?.textContent}`);
    return xml;
  }, chart);
  writeFileSync(resolve(root, "docs/lifecycle.svg"), `${svg}\n`);
  console.log("wrote docs/lifecycle.svg");
} finally {
  await browser.close();
}
