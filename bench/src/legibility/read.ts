// Reading frames back: Debian's tesseract OCR on gray pixels, scored as character accuracy against the known
// text, and SSIM between the source and the received frame.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { distance } from "fastest-levenshtein";
import { ssim } from "ssim.js";

const run = promisify(execFile);
const folder = mkdtempSync(join(tmpdir(), "legibility-"));
process.on("exit", () => rmSync(folder, { recursive: true, force: true }));
let counter = 0;

/** Gray pixels of a width × height image. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

export const grayImage = (base64: string, width: number, height: number): GrayImage => ({
  width,
  height,
  pixels: new Uint8Array(Buffer.from(base64, "base64")),
});

/**
 * Doubles the image's size (bilinear) before OCR: tesseract reads text best well above 20 px high, and both the
 * source and the received crop are enlarged the same way, so the ratio between them is unaffected.
 */
function enlarge({ width, height, pixels }: GrayImage): GrayImage {
  const out = new Uint8Array(width * 2 * height * 2);
  for (let y = 0; y < height * 2; y++) {
    const sy = Math.min(height - 1, Math.max(0, (y - 0.5) / 2));
    const y0 = Math.floor(sy);
    const y1 = Math.min(height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < width * 2; x++) {
      const sx = Math.min(width - 1, Math.max(0, (x - 0.5) / 2));
      const x0 = Math.floor(sx);
      const x1 = Math.min(width - 1, x0 + 1);
      const fx = sx - x0;
      const top = (pixels[y0 * width + x0] ?? 0) * (1 - fx) + (pixels[y0 * width + x1] ?? 0) * fx;
      const bottom = (pixels[y1 * width + x0] ?? 0) * (1 - fx) + (pixels[y1 * width + x1] ?? 0) * fx;
      out[y * width * 2 + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { width: width * 2, height: height * 2, pixels: out };
}

/** What tesseract reads in the image (one uniform block of text). */
export async function ocr(image: GrayImage): Promise<string> {
  const big = enlarge(image);
  const file = join(folder, `${counter++}.pgm`);
  writeFileSync(file, Buffer.concat([Buffer.from(`P5\n${big.width} ${big.height}\n255\n`), big.pixels]));
  // One thread: the benchmark shares two cores with the browser and LiveKit.
  const { stdout } = await run("tesseract", [file, "stdout", "-l", "eng", "--psm", "6"], { env: { ...process.env, OMP_THREAD_LIMIT: "1" } });
  rmSync(file);
  return stdout;
}

const normalise = (text: string) => text.replace(/\s+/g, " ").trim();

/** Characters read right: 1 − edit distance ÷ length of the known text (whitespace runs count as one space). */
export function characterAccuracy(read: string, known: string): { correct: number; total: number } {
  const truth = normalise(known);
  return { correct: Math.max(0, truth.length - distance(normalise(read), truth)), total: truth.length };
}

/** Mean SSIM of two gray images of the same size, at full resolution (downsampling would blur the text away). */
export function structuralSimilarity(a: GrayImage, b: GrayImage): number {
  const rgba = (image: GrayImage) => {
    const data = new Uint8ClampedArray(image.pixels.length * 4);
    image.pixels.forEach((value, index) => {
      data.set([value, value, value, 255], index * 4);
    });
    return { data, width: image.width, height: image.height };
  };
  return ssim(rgba(a), rgba(b), { ssim: "weber", downsample: false }).mssim;
}
