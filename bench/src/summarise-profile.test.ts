import { describe, expect, it } from "vitest";
import { bucketOf, summarise } from "./summarise-profile.js";

describe("summarise-profile", () => {
  it("buckets frames by package, scoped package, workspace package and Node module", () => {
    expect(bucketOf("file:///w/node_modules/.pnpm/x/node_modules/@connectrpc/connect/dist/esm/a.js", "f")).toBe("@connectrpc/connect");
    expect(bucketOf("file:///w/node_modules/xstate/dist/a.js", "f")).toBe("xstate");
    expect(bucketOf("file:///work/main/packages/server/src/store.ts", "f")).toBe("ours: server");
    expect(bucketOf("node:internal/deps/undici/undici", "f")).toBe("node: internal/deps/undici");
    expect(bucketOf("", "(garbage collector)")).toBe("(garbage collector)");
  });

  it("shares self time by sample count, largest first", () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: "(idle)", url: "" } },
        { id: 2, callFrame: { functionName: "f", url: "file:///w/node_modules/xstate/a.js" } },
      ],
      samples: [2, 2, 2, 1],
    };
    expect(summarise(profile)).toEqual([
      { bucket: "xstate", percent: 75 },
      { bucket: "(idle)", percent: 25 },
    ]);
  });
});
