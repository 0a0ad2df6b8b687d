import {
  LocalVideoTrack,
  type RemoteTrack,
  type RemoteTrackPublication,
  type Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
  VideoStream,
} from "@livekit/rtc-node";

/** A synthetic screen being published. */
export interface PublishedScreen {
  stop(): Promise<void>;
}

/**
 * Publishes a synthetic video track from a headless `@livekit/rtc-node` peer and keeps feeding it frames: the
 * stand-in for a sharer's screen in tests, the conformance suite and benchmarks.
 */
export async function publishScreen(
  room: Room,
  options: { source?: TrackSource; width?: number; height?: number; intervalMs?: number } = {},
): Promise<PublishedScreen> {
  const { source = TrackSource.SOURCE_SCREENSHARE, width = 320, height = 180, intervalMs = 33 } = options;
  const video = new VideoSource(width, height);
  const publishOptions = new TrackPublishOptions();
  publishOptions.source = source;
  const pixels = new Uint8Array(width * height * 4);
  let tick = 0;
  const pump = setInterval(() => {
    pixels.fill(tick++ % 256);
    video.captureFrame(new VideoFrame(pixels, width, height, VideoBufferType.RGBA));
  }, intervalMs);
  try {
    const publication = await room.localParticipant?.publishTrack(LocalVideoTrack.createVideoTrack("screen", video), publishOptions);
    return {
      async stop() {
        clearInterval(pump);
        // Stopping is best effort: a room that is closing or already gone has dropped the track itself.
        if (publication?.sid && room.isConnected) await room.localParticipant?.unpublishTrack(publication.sid).catch(() => {});
      },
    };
  } catch (error) {
    clearInterval(pump);
    throw error;
  }
}

/** Resolves when the `count`th frame of the first video track `room` receives is decoded, with its size and source. */
export function receiveFrames(room: Room, count: number): Promise<{ frames: number; width: number; height: number; source?: TrackSource }> {
  return new Promise((resolve) => {
    room.on(RoomEvent.TrackSubscribed, async (track: RemoteTrack, publication: RemoteTrackPublication) => {
      if (track.kind !== TrackKind.KIND_VIDEO) return;
      let frames = 0;
      for await (const { frame } of new VideoStream(track)) {
        if (++frames >= count) {
          resolve({ frames, width: frame.width, height: frame.height, source: publication.source });
          break;
        }
      }
    });
  });
}

/** A running count of the video frames a room decodes, over every video track it subscribes to from now on. */
export interface FrameCounter {
  /** Frames decoded so far. */
  readonly frames: number;
  /** The SIDs of the video tracks subscribed so far, in order: a republished screen shows as a second SID. */
  readonly trackSids: readonly string[];
  /** Resolves once `frames` has grown by `more` from now, or rejects after `timeoutMs`. */
  waitForMore(more: number, timeoutMs: number): Promise<void>;
}

/** Counts the frames `room` decodes, for tests that must see frames stop and start (a paused screen). */
export function countFrames(room: Room): FrameCounter {
  let frames = 0;
  const trackSids: string[] = [];
  const waiters = new Set<() => void>();
  room.on(RoomEvent.TrackSubscribed, async (track: RemoteTrack, publication: RemoteTrackPublication) => {
    if (track.kind !== TrackKind.KIND_VIDEO) return;
    trackSids.push(publication.sid ?? "");
    for await (const _frame of new VideoStream(track)) {
      frames++;
      for (const wake of waiters) wake();
    }
  });
  return {
    get frames() {
      return frames;
    },
    trackSids,
    waitForMore(more, timeoutMs) {
      const target = frames + more;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${frames - target + more} of ${more} more frames within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (frames < target) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}
