#!/usr/bin/env -S npx tsx
// `screenshare-devstack up`: starts LiveKit and Redis on loopback and keeps them running until Ctrl-C.
import { startLiveKit } from "./livekit.js";
import { startRedis } from "./redis.js";

const [command = "up"] = process.argv.slice(2);
if (command !== "up") {
  console.error("usage: screenshare-devstack up");
  process.exit(2);
}
const livekit = await startLiveKit({ port: Number(process.env.LIVEKIT_PORT ?? 7880) });
const redis = await startRedis();
console.log(`LiveKit ${livekit.url} (key ${livekit.apiKey}), log ${livekit.logFile}`);
console.log(`Redis   ${redis.url}`);
const stop = async () => {
  await Promise.all([livekit.stop(), redis.stop()]);
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
