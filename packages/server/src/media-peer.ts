// Test-only: a headless LiveKit peer (rtc-node) that joins with the join info the server hands out.
import {
  LocalVideoTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
  VideoStream,
} from "@livekit/rtc-node";
import type { MediaJoinInfo } from "@screenshare/protocol";

/** Joins the room of `media` as the party it was issued for. */
export async function joinRoom(media: MediaJoinInfo | undefined): Promise<Room> {
  if (media?.transport.case !== "livekit") throw new Error("no LiveKit join info");
  const room = new Room();
  await room.connect(media.transport.value.serverUrl, media.transport.value.participantToken, { autoSubscribe: true, dynacast: false });
  return room;
}

/** Publishes a synthetic screen (`source`, screen share by default) and keeps sending frames until stopped. */
export async function publishScreen(room: Room, source = TrackSource.SOURCE_SCREENSHARE, width = 320, height = 180) {
  const video = new VideoSource(width, height);
  const options = new TrackPublishOptions();
  options.source = source;
  const publication = await room.localParticipant?.publishTrack(LocalVideoTrack.createVideoTrack("screen", video), options);
  const pixels = new Uint8Array(width * height * 4);
  let tick = 0;
  const pump = setInterval(() => {
    pixels.fill(tick++ % 256);
    video.captureFrame(new VideoFrame(pixels, width, height, VideoBufferType.RGBA));
  }, 50);
  return {
    publication,
    async stop() {
      clearInterval(pump);
      if (publication?.sid) await room.localParticipant?.unpublishTrack(publication.sid).catch(() => {});
    },
  };
}

/** Resolves with the size of the first `count` decoded frames of the first video track `room` receives. */
export function receiveFrames(room: Room, count: number): Promise<{ width: number; height: number }> {
  return new Promise((resolve) => {
    room.on(RoomEvent.TrackSubscribed, async (track) => {
      if (track.kind !== TrackKind.KIND_VIDEO) return;
      let frames = 0;
      for await (const { frame } of new VideoStream(track)) {
        if (++frames >= count) {
          resolve({ width: frame.width, height: frame.height });
          break;
        }
      }
    });
  });
}
