/** Test support for this repository; private, never a runtime dependency of a shipped package. */

export { launchChromium } from "./chromium.js";
export { agentWithInteraction, bearerTransport, type Clients, clientsFor, collectEvents, sleep, unique } from "./clients.js";
export { engineOptions } from "./engine-options.js";
export { joinRoom } from "./media-peer.js";
export { memoryMedia } from "./memory-media.js";
export { type ReferenceStack, type StackOptions, startReferenceStack } from "./stack.js";
