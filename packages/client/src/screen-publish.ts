import { type LocalParticipant, LocalVideoTrack, ScreenSharePresets, Track, type TrackPublishOptions, type VideoCodec } from "livekit-client";

/**
 * What the sharer asks the screen picker for. Text needs pixels more than motion: a 1080p ceiling keeps a 4K
 * screen's small text readable after the viewer's scaling while keeping the encoder within one core, and 15 fps
 * is plenty for reading.
 */
export const screenCaptureOptions = {
  video: { frameRate: { ideal: 15, max: 15 }, width: { max: 1920 }, height: { max: 1080 } },
  audio: false,
} satisfies DisplayMediaStreamOptions;

/**
 * Codecs in the order the sharer prefers them for text, best first; the first the browser can encode is used.
 * Measured by the legibility benchmark (docs/benchmarks.md) on a 1080p screen of text: AV1 (screen-content tools)
 * settles at a few kbps on a still screen and reads again soonest after a scroll; VP8 with the "detail" hint came
 * next; VP9 spent more on a still screen and, at 500 kbps, was still unreadable 8 s after a scroll stopped.
 */
export const screenCodecPreference: readonly VideoCodec[] = ["av1", "vp8"];

/** The first codec of {@link screenCodecPreference} this browser can send (`vp8` every WebRTC browser can). */
export function screenCodec(capabilities: RTCRtpCapabilities | null = RTCRtpSender.getCapabilities("video")): VideoCodec {
  const sendable = new Set(capabilities?.codecs.map((codec) => codec.mimeType.toLowerCase()) ?? []);
  return screenCodecPreference.find((codec) => sendable.has(`video/${codec}`)) ?? "vp8";
}

/** The publish options of a screen share made for reading text. */
export function screenPublishOptions(codec: VideoCodec): TrackPublishOptions {
  return {
    source: Track.Source.ScreenShare,
    videoCodec: codec,
    // One layer: the viewer always wants the full resolution, and simulcast layers would split the bits.
    simulcast: false,
    // A viewer without this codec gets VP8 instead of nothing.
    backupCodec: codec === "vp8" ? false : { codec: "vp8" },
    degradationPreference: "maintain-resolution",
    screenShareEncoding: ScreenSharePresets.h1080fps15.encoding,
  };
}

/**
 * Publishes a captured screen for reading text. livekit-client switches a VP9 or AV1 screen share's content hint
 * to "motion" when it publishes (a workaround it carries for an old Chrome frame-rate limit); the hint is put
 * back to "detail" afterwards, because that hint is what turns on the encoder's screen-content tools.
 */
export async function publishScreen(participant: LocalParticipant, mediaTrack: MediaStreamTrack, codec = screenCodec()): Promise<LocalVideoTrack> {
  mediaTrack.contentHint = "detail";
  const track = new LocalVideoTrack(mediaTrack, undefined, true);
  await participant.publishTrack(track, screenPublishOptions(codec));
  mediaTrack.contentHint = "detail";
  return track;
}
