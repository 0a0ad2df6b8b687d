// The README's run command lands here: builds the web apps, starts a real LiveKit and the reference server on
// 127.0.0.1 with embedded defaults, and the platform simulator with a voice call and a chat; prints the URLs.
import { resolve } from "node:path";
import { startReferenceStack } from "@screenshare/testkit";
import { build } from "vite";
import { startPlatform } from "./platform.js";

await build({ root: resolve(import.meta.dirname, ".."), logLevel: "warn" });
const stack = await startReferenceStack({ port: Number(process.env.PORT ?? 8080), quiet: false, corsOrigins: ["*"] });
const platform = await startPlatform(stack, { port: Number(process.env.WEB_PORT ?? 5173) });
const call = await platform.addInteraction("voice");
const chat = await platform.addInteraction("chat");
console.log(`
Screenshare Protocol demo is running on 127.0.0.1 (Ctrl-C stops everything).
  Agent console        ${platform.url}/agent.html
  Customer on the call ${platform.url}/customer.html?interaction=${call}
  Customer in the chat ${platform.url}/customer.html?interaction=${chat}
  Server               ${stack.server.url}   (Connect, gRPC, gRPC-Web; /healthz, /metrics)
  LiveKit              ${stack.livekit.url}
`);
const stop = () => void Promise.all([platform.stop(), stack.stop()]).then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
