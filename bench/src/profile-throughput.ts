// Profiles the lifecycle throughput run alone: `node --cpu-prof --cpu-prof-dir=bench/results/profiles --import tsx
// src/profile-throughput.ts [memory|redis]`, then summarise the .cpuprofile with `tsx src/summarise-profile.ts`.
import { startReferenceStack } from "@screenshare/testkit";
import { lifecycleThroughput } from "./throughput.js";

const redis = process.argv[2] === "redis";
const stack = await startReferenceStack({ redis, limits: { redeemAttemptsPerClient: 1_000_000, redeemAttemptsPerOrg: 1_000_000 } });
try {
  console.log(JSON.stringify(await lifecycleThroughput(stack, 16, 8)));
} finally {
  await stack.stop();
}
process.exit(0);
