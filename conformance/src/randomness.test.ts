import { randomInt } from "node:crypto";
import { describe, expect, it } from "vitest";
import { digitBounds, FALSE_ALARM_TOTAL, randomnessFindings, repeatThreshold, runThreshold } from "./randomness.js";

const random = (count: number) => Array.from({ length: count }, () => String(randomInt(0, 1_000_000)).padStart(6, "0"));
const tests = (keys: string[]) => [...new Set(randomnessFindings(keys).map((finding) => finding.test))];

describe("key randomness tests", () => {
  it("pass uniformly random keys (false alarm below 1e-6 in all)", () => {
    expect(FALSE_ALARM_TOTAL).toBeLessThan(1e-6);
    for (let round = 0; round < 20; round++) expect(randomnessFindings(random(400))).toEqual([]);
  });

  it("catch keys issued in sequence, with a fixed stride, or rising by small random steps", () => {
    expect(tests(Array.from({ length: 400 }, (_, i) => String(123_456 + i)))).toContain("runs");
    expect(tests(Array.from({ length: 400 }, (_, i) => String((123_456 + i * 7_919) % 1_000_000).padStart(6, "0")))).toContain("repeated-steps");
    let key = 100_000;
    const climbing = Array.from({ length: 400 }, () => {
      key += randomInt(1, 2_000);
      return String(key % 1_000_000).padStart(6, "0");
    });
    expect(tests(climbing)).toContain("runs");
  });

  it("catch keys that all start with 000, and keys from a small set", () => {
    expect(tests(random(400).map((key) => `000${key.slice(3)}`))).toEqual(expect.arrayContaining(["digit-bias", "repeats"]));
    expect(tests(Array.from({ length: 400 }, () => String(randomInt(0, 2_000) * 500).padStart(6, "0")))).toContain("repeats");
  });

  it("derive thresholds whose bounds hold", () => {
    expect(repeatThreshold(400, 1_000_000)).toBe(6);
    expect(runThreshold(400)).toBe(13);
    const { low, high } = digitBounds(400, 6);
    expect(low).toBeGreaterThan(0);
    expect(high).toBeLessThan(100);
  });
});
