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

/** Lines of LiveKit's debug log that record a signal message it sends to a client (it logs every one). */
const sentToClients = /sending initial response|sending signal response|sent signal response|sending ICE candidate/;

/**
 * What LiveKit's debug log says about the network: the ICE candidate addresses and ICE (STUN/TURN) server hosts it
 * sent to clients (in trickle messages, SDP and join responses), and the candidate addresses clients sent it.
 */
function networkInLog(log: string): { offered: string[]; iceServers: string[]; received: string[] } {
  const candidates = (lines: string[]) =>
    lines.flatMap((line) => [...line.matchAll(/candidate:\S+ \d+ \w+ \d+ (\S+) \d+ typ/g)].map((match) => match[1] ?? ""));
  const lines = log.split("\n");
  const sent = lines.filter((line) => sentToClients.test(line));
  return {
    offered: candidates(sent),
    iceServers: sent.flatMap((line) => [...line.matchAll(/"(?:stuns?|turns?):(\[[^\]]*\]|[^":?]*)/g)].map((match) => (match[1] ?? "").replace(/^\[|\]$/g, ""))),
    received: candidates(lines.filter((line) => line.includes("received signal request") && line.includes("candidate"))),
  };
}

const isLoopback = (address: string) => /^127\.\d+\.\d+\.\d+$/.test(address) || address === "::1";

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

    const { offered, iceServers, received: fromPeers } = networkInLog(readFileSync(livekit.logFile, "utf8"));
    expect(offered.length).toBeGreaterThan(0);
    expect(offered.filter((address) => !isLoopback(address))).toEqual([]);
    // LiveKit always names at least one STUN server in a join response (public ones unless configured otherwise).
    expect(iceServers.length).toBeGreaterThan(0);
    expect(iceServers.filter((host) => !isLoopback(host))).toEqual([]);
    // Peers' candidates depend on where the test runs: scripts/loopback-netns.sh leaves them only loopback.
    if (process.env.SCREENSHARE_IN_NETNS === "1") {
      expect(fromPeers.length).toBeGreaterThan(0);
      expect(fromPeers.filter((address) => !isLoopback(address))).toEqual([]);
    }
  }, 60_000);

  it("reads the log so that a non-loopback candidate or ICE server would fail the checks", () => {
    const log = [
      'DEBUG sending ICE candidate {"trickle": {"candidateInit": "{\\"candidate\\":\\"candidate:1 1 udp 2130706431 127.0.0.1 51093 typ host\\"}"}}',
      'DEBUG sending ICE candidate {"trickle": {"candidateInit": "{\\"candidate\\":\\"candidate:2 1 udp 2130706431 192.0.2.2 51093 typ host\\"}"}}',
      'DEBUG sending signal response {"response": {"offer": {"sdp": "v=0\\r\\na=candidate:3 1 tcp 1671430143 10.0.0.5 7881 typ host\\r\\n"}}}',
      'DEBUG sending initial response {"response": {"join": {"iceServers": [{"urls": ["stun:127.0.0.1:9"]}, {"urls": ["stun:stun.l.google.com:19302", "turn:[2001:db8::1]:3478?transport=udp"]}]}}}',
      'DEBUG received signal request {"trickle": {"candidateInit": "candidate:4 1 udp 2122260223 127.0.0.2 40000 typ host"}}',
    ].join("\n");
    const { offered, iceServers, received } = networkInLog(log);
    expect(offered.filter((address) => !isLoopback(address))).toEqual(["192.0.2.2", "10.0.0.5"]);
    expect(iceServers).toEqual(["127.0.0.1", "stun.l.google.com", "2001:db8::1"]);
    expect(iceServers.filter((host) => !isLoopback(host))).toEqual(["stun.l.google.com", "2001:db8::1"]);
    expect(received).toEqual(["127.0.0.2"]);
  });
});

describe("store on this machine", () => {
  it("starts Redis on loopback with an append-only file fsynced every second, which a crash and a restart keep", async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url);
    client.on("error", () => {}); // refused while Redis restarts; ioredis reconnects by itself
    try {
      expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      expect(await client.ping()).toBe("PONG");
      expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
      expect(await client.config("GET", "appendfsync")).toEqual(["appendfsync", "everysec"]);
      await client.set("before-crash", "kept");
      // everysec: a write older than a second is on disk even when the server is killed (two under a busy disk).
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      await redis.restart({ kill: true });
      expect(await client.get("before-crash")).toBe("kept");
      await client.set("before-stop", "kept");
      await redis.restart();
      expect(await client.get("before-stop")).toBe("kept");
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});
