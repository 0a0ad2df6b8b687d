import { readFileSync } from "node:fs";
import { Room, TrackSource } from "@livekit/rtc-node";
import { Redis } from "ioredis";
import { AccessToken, RoomServiceClient, type VideoGrant } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LiveKitHandle, startLiveKit } from "./livekit.js";
import { publishScreen, receiveFrames } from "./media-peer.js";
import { startRedis } from "./redis.js";

const WIDTH = 640;
const HEIGHT = 360;

/** Every ICE candidate address in LiveKit's debug log: those it offers and those peers offer it. */
function candidateAddresses(log: string): { offered: string[]; received: string[] } {
  const addresses = (lines: string[]) =>
    lines.flatMap((line) => [...line.matchAll(/candidate:\S+ \d+ \w+ \d+ (\S+) \d+ typ/g)].map((match) => match[1] ?? ""));
  const lines = log.split("\n");
  return {
    offered: addresses(lines.filter((line) => line.includes("sending ICE candidate"))),
    received: addresses(lines.filter((line) => line.includes("received signal request") && line.includes("candidate"))),
  };
}

const isLoopback = (address: string) => /^127\./.test(address) || address === "::1";

describe("media plane on this machine", () => {
  let livekit: LiveKitHandle;
  beforeAll(async () => {
    livekit = await startLiveKit({ logLevel: "debug" });
  });
  afterAll(async () => {
    await livekit?.stop();
  });

  it("carries a screen-share track between two rtc-node peers over loopback only", async () => {
    const rooms = new RoomServiceClient(livekit.httpUrl, livekit.apiKey, livekit.apiSecret);
    await rooms.createRoom({ name: "smoke" });
    const token = (identity: string, grant: VideoGrant) => {
      const accessToken = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity });
      accessToken.addGrant({ room: "smoke", roomJoin: true, ...grant });
      return accessToken.toJwt();
    };
    const sharer = new Room();
    const viewer = new Room();
    const received = receiveFrames(viewer, 30);
    await viewer.connect(livekit.url, await token("viewer", { canPublish: false, canSubscribe: true }));
    await sharer.connect(livekit.url, await token("sharer", { canSubscribe: false }), { autoSubscribe: false, dynacast: false });
    const screen = await publishScreen(sharer, { width: WIDTH, height: HEIGHT });
    try {
      expect(await received).toEqual({ frames: 30, width: WIDTH, height: HEIGHT, source: TrackSource.SOURCE_SCREENSHARE });
    } finally {
      await screen.stop();
      await sharer.disconnect();
      await viewer.disconnect();
      await rooms.deleteRoom("smoke");
    }

    const { offered, received: fromPeers } = candidateAddresses(readFileSync(livekit.logFile, "utf8"));
    expect(offered.length).toBeGreaterThan(0);
    expect(offered.filter((address) => !isLoopback(address))).toEqual([]);
    // Peers' candidates depend on where the test runs: scripts/loopback-netns.sh leaves them only loopback.
    if (process.env.SCREENSHARE_IN_NETNS === "1") {
      expect(fromPeers.length).toBeGreaterThan(0);
      expect(fromPeers.filter((address) => !isLoopback(address))).toEqual([]);
    }
  }, 60_000);

  it("parses candidates so that a non-loopback one would fail the check", () => {
    const log = [
      'sending ICE candidate {"candidate:1 1 udp 2130706431 127.0.0.1 51093 typ host"}',
      'sending ICE candidate {"candidate:2 1 udp 2130706431 192.0.2.2 51093 typ host"}',
    ].join("\n");
    expect(candidateAddresses(log).offered.filter((address) => !isLoopback(address))).toEqual(["192.0.2.2"]);
  });
});

describe("store on this machine", () => {
  it("starts Redis on loopback and answers PING", async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url);
    try {
      expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(await client.ping()).toBe("PONG");
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});
