/** Real LiveKit and Redis servers on loopback, for tests, the demo and benchmarks. */
export { type LiveKitHandle, type LiveKitOptions, livekitServerBinary, loopbackConfig, startLiveKit } from "./livekit.js";
export { countFrames, type FrameCounter, type PublishedScreen, publishScreen, receiveFrames } from "./media-peer.js";
export { freePort, freeUdpPort, retryPortRace, waitFor } from "./ports.js";
export { type RedisHandle, type RedisOptions, startRedis } from "./redis.js";
