import { describe, expect, it } from "vitest";
import { characterAccuracy } from "./legibility/read.js";
import { slope } from "./steady-state.js";

describe("benchmark arithmetic", () => {
  it("scores OCR by characters, one space for any run of whitespace", () => {
    expect(characterAccuracy("Order  7731-0482\nwas paid", "Order 7731-0482 was paid")).toEqual({ correct: 24, total: 24 });
    expect(characterAccuracy("0rder 7731-0482 was pald", "Order 7731-0482 was paid")).toEqual({ correct: 22, total: 24 });
    expect(characterAccuracy("", "abc")).toEqual({ correct: 0, total: 3 });
  });

  it("takes the least-squares slope of memory over lifecycles", () => {
    expect(
      slope([
        [0, 10],
        [1, 12],
        [2, 14],
      ]),
    ).toBeCloseTo(2);
    expect(
      slope([
        [0, 5],
        [1, 6],
        [2, 4],
        [3, 5],
      ]),
    ).toBeCloseTo(-0.2);
  });
});
