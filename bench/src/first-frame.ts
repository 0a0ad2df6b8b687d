import { createClient } from "@connectrpc/connect";
import { Room } from "@livekit/rtc-node";
import { publishScreen, receiveFrames } from "@screenshare/devstack";
import { Channel, InteractionService, InteractionStatus, type MediaJoinInfo, SharerService, ViewerService } from "@screenshare/protocol";
import { mintViewerToken, VIEW_PERMISSION } from "@screenshare/server";
import type { ReferenceStack } from "@screenshare/testkit";
import { AccessToken, RoomServiceClient } from "livekit-server-sdk";
import { benchTransport, type RetryCount } from "./transport.js";

const WIDTH = 640;
const HEIGHT = 360;

/** Milliseconds from the sharer's publish of its screen track to the viewer's first decoded frame. */
async function publishToFirstFrame(url: string, sharerToken: string, viewerToken: string): Promise<number> {
  const viewer = new Room();
  const sharer = new Room();
  const firstFrame = receiveFrames(viewer, 1).then(() => performance.now());
  await viewer.connect(url, viewerToken, { autoSubscribe: true, dynacast: false });
  await sharer.connect(url, sharerToken, { autoSubscribe: false, dynacast: false });
  const started = performance.now();
  const screen = await publishScreen(sharer, { width: WIDTH, height: HEIGHT });
  const timeout = new Promise<number>((_, reject) => setTimeout(() => reject(new Error("no frame within 20 s")), 20_000));
  try {
    return (await Promise.race([firstFrame, timeout])) - started;
  } finally {
    await screen.stop();
    await sharer.disconnect();
    await viewer.disconnect();
  }
}

const tokenOf = (media: MediaJoinInfo | undefined) => (media?.transport.case === "livekit" ? media.transport.value.participantToken : "");

/** One run through our server: a voice session set up over RPCs, then the peers join with our join infos. */
export async function ourFirstFrame(stack: ReferenceStack, run: number, retries: RetryCount): Promise<number> {
  const url = stack.server.url;
  const transport = (token: string) => benchTransport(url, token, retries);
  const orgId = "bench-frames";
  const agent = `frames-agent-${run}`;
  const interactionId = `frames-${process.pid}-${run}`;
  const platform = createClient(InteractionService, transport(stack.integrationApiKey));
  await platform.registerInteraction({ orgId, interactionId, channel: Channel.VOICE, agentUserId: agent });
  const viewer = createClient(
    ViewerService,
    transport(await mintViewerToken({ ...stack.viewerTokens, org: orgId, sub: agent, permissions: [VIEW_PERMISSION] })),
  );
  const { session } = await viewer.startScreenShare({ interactionId });
  const sessionId = session?.sessionId ?? "";
  const redeemed = await createClient(SharerService, transport("")).redeemSecurityKey({ orgId, securityKey: session?.securityKey?.key ?? "" });
  const sharer = createClient(SharerService, transport(redeemed.sharerCredential));
  const sharerToken = tokenOf((await sharer.getSharerMediaJoinInfo({ sessionId })).media);
  const viewerToken = tokenOf((await viewer.getViewerMediaJoinInfo({ sessionId })).media);
  try {
    return await publishToFirstFrame(stack.livekit.url, sharerToken, viewerToken);
  } finally {
    // The call ending ends the session from any state; the peers' disconnects race LeaveSession (the session may
    // already be waiting for the sharer to reconnect), so the benchmark does not depend on that race.
    await platform.setInteractionStatus({ orgId, interactionId, status: InteractionStatus.DISCONNECTED });
  }
}

/** The anchor: the same two peers in a room made directly with livekit-server-sdk. */
export async function anchorFirstFrame(stack: ReferenceStack, run: number): Promise<number> {
  const { apiKey, apiSecret, httpUrl, url } = stack.livekit;
  const room = `anchor-${process.pid}-${run}`;
  const rooms = new RoomServiceClient(httpUrl, apiKey, apiSecret);
  await rooms.createRoom({ name: room });
  const token = (identity: string, publish: boolean) => {
    const accessToken = new AccessToken(apiKey, apiSecret, { identity });
    accessToken.addGrant({ room, roomJoin: true, canPublish: publish, canSubscribe: !publish });
    return accessToken.toJwt();
  };
  try {
    return await publishToFirstFrame(url, await token("sharer", true), await token("viewer", false));
  } finally {
    await rooms.deleteRoom(room);
  }
}
