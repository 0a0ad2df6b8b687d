// Runs only the capacity section, for a machine that is otherwise quiet: capacity figures taken beside other work
// measure the machine's load, not the server (docs/benchmarks.md). Prints the result and the load average as JSON.
//   bash scripts/loopback-netns.sh pnpm --silent --filter @screenshare/bench exec tsx src/capacity-only.ts
import { loadavg } from "node:os";
import { startLiveKit } from "@screenshare/devstack";
import { capacity, FULL_SEARCH } from "./capacity.js";

const livekit = await startLiveKit({ logLevel: "warn" });
const loads: number[] = [];
const sampler = setInterval(() => loads.push(loadavg()[0] ?? 0), 10_000);
try {
  const started = Date.now();
  const result = await capacity(livekit, { search: FULL_SEARCH, deployments: ["embedded", "redis", "two nodes on one Redis"] });
  console.log(JSON.stringify({ result, loadAverage: { min: Math.min(...loads), max: Math.max(...loads) }, seconds: (Date.now() - started) / 1000 }, null, 1));
} finally {
  clearInterval(sampler);
  await livekit.stop();
}
// The LiveKit client library keeps handles open after the run; the figures are printed, so leave now.
process.exit(0);
