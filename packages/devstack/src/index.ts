/** Real LiveKit and Redis servers on loopback, for tests, the demo and benchmarks. */
export { livekitServerBinary, loopbackConfig, startLiveKit, type LiveKitHandle, type LiveKitOptions } from "./livekit.js";
export { startRedis, type RedisHandle, type RedisOptions } from "./redis.js";
export { freePort, freeUdpPort, waitFor } from "./ports.js";
export { publishScreen, receiveFrames, type PublishedScreen } from "./media-peer.js";
