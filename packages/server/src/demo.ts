// The README's run command lands here: a real LiveKit and the reference server on 127.0.0.1 with embedded
// defaults, two demo interactions (voice and chat) for one agent, and what to try next.
import { InteractionStatus, Channel } from "@screenshare/protocol";
import { mintViewerToken, VIEW_PERMISSION } from "./auth.js";
import { startReferenceStack } from "./stack.js";
import { clientsFor } from "./test-harness.js";

const port = Number(process.env.PORT ?? 8080);
const stack = await startReferenceStack({ port, quiet: false, corsOrigins: ["*"] });
const org = "demo-org";
const agent = "agent-1";
const platform = clientsFor(stack.server.url, stack.integrationApiKey).platform;
for (const [interactionId, channel] of [["call-1", Channel.VOICE], ["chat-1", Channel.CHAT]] as const) {
  await platform.registerInteraction({ orgId: org, interactionId, channel, agentUserId: agent, customerDisplayName: "Demo customer", status: InteractionStatus.CONNECTED });
}
const token = await mintViewerToken({ secret: stack.viewerTokenSecret, org, sub: agent, permissions: [VIEW_PERMISSION], ttlSeconds: 8 * 3600 });
const app = process.env.SCREENSHARE_WEB_URL;
console.log(`
Screenshare Protocol demo is running (Ctrl-C stops everything).
  server     ${stack.server.url}   (Connect, gRPC, gRPC-Web; /healthz, /metrics)
  LiveKit    ${stack.livekit.url}
${app ? `  agent console and customer page: ${app}\n` : ""}
Org "${org}", agent "${agent}" with interactions call-1 (voice) and chat-1 (chat). Agent's viewer token:
  ${token}

Try it with curl (Connect protocol, JSON):
  curl -s ${stack.server.url}/screenshare.v1.ViewerService/StartScreenShare -H 'content-type: application/json' \\
    -H 'authorization: Bearer ${token}' -d '{"interactionId":"call-1"}'
  curl -s ${stack.server.url}/screenshare.v1.SharerService/RedeemSecurityKey -H 'content-type: application/json' \\
    -d '{"orgId":"${org}","securityKey":"<the key above>"}'
`);
const stop = () => void stack.stop().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
