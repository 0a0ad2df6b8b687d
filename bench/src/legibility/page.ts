// The benchmark page, bundled for Chromium. As the sharer it draws the known screen on a canvas and publishes the
// canvas's stream with one of the profiles (our SDK, our SDK before tuning, livekit-client's default); as the
// viewer it subscribes like the agent's SDK and hands decoded frames back to the benchmark.
import { publishScreen, screenCaptureOptions } from "@screenshare/client/screen-publish";
import { LocalVideoTrack, type RemoteTrack, Room, RoomEvent, ScreenSharePresets, Track, type VideoCodec } from "livekit-client";
import { type Block, drawScreen, type Rect, SCREEN, SCROLL_END_PX, type Scene } from "./screen.js";

export type Profile = "ours" | "before" | "anchor";

/** Frames per second each profile captures at: ours as it asks the picker, the anchor as livekit-client asks. */
const CAPTURE_FPS: Record<Profile, number> = {
  ours: screenCaptureOptions.video.frameRate.max,
  before: 15,
  anchor: ScreenSharePresets.h1080fps30.encoding.maxFramerate ?? 30,
};

let room: Room | undefined;
let canvas: HTMLCanvasElement | undefined;
let scene: Scene = "static";
let scrollPx = 0;
let blocks: Block[] = [];
let video: HTMLVideoElement | undefined;

function screenCanvas(): HTMLCanvasElement {
  canvas ??= Object.assign(document.createElement("canvas"), SCREEN);
  document.body.append(canvas);
  return canvas;
}

function redraw(): void {
  const context = screenCanvas().getContext("2d");
  if (context) blocks = drawScreen(context, scene, scrollPx);
}

/** Gray bytes (base64) of `rect` of a drawable, drawn at the screen's size. */
function gray(source: CanvasImageSource, rect: Rect = { x: 0, y: 0, ...SCREEN }): string {
  const scratch = Object.assign(document.createElement("canvas"), { width: rect.width, height: rect.height });
  const context = scratch.getContext("2d", { willReadFrequently: true });
  if (!context) throw new Error("no 2d context");
  // The received frame is scaled to the screen's size first, as the agent's page shows it at 100 %.
  context.drawImage(source, -rect.x, -rect.y, SCREEN.width, SCREEN.height);
  const { data } = context.getImageData(0, 0, rect.width, rect.height);
  const bytes = new Uint8Array(rect.width * rect.height);
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = Math.round(0.299 * (data[index * 4] ?? 0) + 0.587 * (data[index * 4 + 1] ?? 0) + 0.114 * (data[index * 4 + 2] ?? 0));
  }
  let text = "";
  for (let offset = 0; offset < bytes.length; offset += 0x8000) text += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  return btoa(text);
}

/** The publishing side's stats: bytes sent, frames encoded, size, codec, key frames and what limits quality. */
async function senderStats(sender: RTCRtpSender | undefined) {
  const report = await sender?.getStats();
  const stats = { bytesSent: 0, framesEncoded: 0, frameWidth: 0, frameHeight: 0, keyFramesEncoded: 0, codec: "", limitation: "" };
  report?.forEach((entry) => {
    if (entry.type === "outbound-rtp") {
      stats.bytesSent += entry.bytesSent ?? 0;
      stats.framesEncoded += entry.framesEncoded ?? 0;
      stats.keyFramesEncoded += entry.keyFramesEncoded ?? 0;
      stats.frameWidth = Math.max(stats.frameWidth, entry.frameWidth ?? 0);
      stats.frameHeight = Math.max(stats.frameHeight, entry.frameHeight ?? 0);
      stats.limitation = entry.qualityLimitationReason ?? stats.limitation;
      const codec = report.get(entry.codecId);
      if (codec) stats.codec = codec.mimeType;
    }
  });
  return stats;
}

let sender: () => RTCRtpSender | undefined = () => undefined;
let shared: MediaStreamTrack | undefined;
let painter: ReturnType<typeof setInterval> | undefined;

const api = {
  /** Draws the static screen and publishes it with `profile`. */
  async share(url: string, token: string, profile: Profile, codec?: VideoCodec): Promise<void> {
    scene = "static";
    scrollPx = 0;
    redraw();
    const fps = CAPTURE_FPS[profile];
    // A screen capture delivers frames at its rate whether or not anything moved; so does this canvas.
    painter = setInterval(redraw, 1000 / fps);
    const [mediaTrack] = screenCanvas().captureStream(fps).getVideoTracks();
    if (!mediaTrack) throw new Error("canvas gave no track");
    shared = mediaTrack;
    room = profile === "anchor" ? new Room() : new Room({ adaptiveStream: false, dynacast: false });
    await room.connect(url, token);
    if (profile === "ours") {
      // A codec named by the caller compares codecs through the same path; by default the SDK chooses.
      const track = await publishScreen(room.localParticipant, mediaTrack, codec);
      sender = () => track.sender;
    } else if (profile === "before") {
      // The SDK's publish before this tuning (commit c89ba03), kept as it was.
      mediaTrack.contentHint = "detail";
      const track = new LocalVideoTrack(mediaTrack, undefined, true);
      await room.localParticipant.publishTrack(track, {
        source: Track.Source.ScreenShare,
        degradationPreference: "maintain-resolution",
        screenShareEncoding: ScreenSharePresets.h1080fps15.encoding,
        videoCodec: "vp9",
        simulcast: false,
      });
      sender = () => track.sender;
    } else {
      // livekit-client's default screen share: what `setScreenShareEnabled(true)` publishes after the picker.
      const track = new LocalVideoTrack(mediaTrack, undefined, false);
      track.source = Track.Source.ScreenShare;
      await room.localParticipant.publishTrack(track);
      sender = () => track.sender;
    }
  },
  /** Switches the scene; "scroll" scrolls the long page for `scrollMs` and stops at its known line. */
  async show(next: Scene, scrollMs = 0): Promise<number> {
    if (next !== "scroll") {
      scene = next;
      redraw();
      return Date.now();
    }
    scene = "scroll";
    const started = performance.now();
    await new Promise<void>((done) => {
      const step = () => {
        const progress = Math.min(1, (performance.now() - started) / scrollMs);
        scrollPx = Math.round(SCROLL_END_PX * progress);
        redraw();
        if (progress < 1) requestAnimationFrame(step);
        else done();
      };
      step();
    });
    return Date.now();
  },
  blocks: (): Block[] => blocks,
  source: (rect?: Rect): string => gray(screenCanvas(), rect),
  senderStats: async () => ({ ...(await senderStats(sender())), contentHint: shared?.contentHint ?? "" }),
  /** Joins as the viewer does (no adaptive stream: the agent always gets full resolution). */
  async view(url: string, token: string): Promise<void> {
    video = Object.assign(document.createElement("video"), { muted: true, autoplay: true, playsInline: true });
    document.body.append(video);
    room = new Room({ adaptiveStream: false, dynacast: false });
    const subscribed = new Promise<void>((done) =>
      room?.on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
        if (track.source !== Track.Source.ScreenShare || !video) return;
        track.attach(video);
        done();
      }),
    );
    await room.connect(url, token);
    await subscribed;
    await new Promise<void>((done) => video?.requestVideoFrameCallback(() => done()));
  },
  received: (rect?: Rect): string => {
    if (!video) throw new Error("not viewing");
    return gray(video, rect);
  },
  /** Every decoded frame's crop of `rect` for `ms`, with the wall time it was shown at. */
  async record(rect: Rect, ms: number): Promise<Array<{ at: number; pixels: string }>> {
    const frames: Array<{ at: number; pixels: string }> = [];
    const until = Date.now() + ms;
    const shown = video;
    if (!shown) throw new Error("not viewing");
    await new Promise<void>((done) => {
      const onFrame = () => {
        frames.push({ at: Date.now(), pixels: gray(shown, rect) });
        if (Date.now() < until) shown.requestVideoFrameCallback(onFrame);
        else done();
      };
      shown.requestVideoFrameCallback(onFrame);
      // A frozen stream still ends the recording.
      setTimeout(done, ms + 500);
    });
    return frames;
  },
  async leave(): Promise<void> {
    clearInterval(painter);
    await room?.disconnect();
    room = undefined;
    video?.remove();
    video = undefined;
  },
};

export type BenchPage = typeof api;
(window as unknown as { bench: BenchPage }).bench = api;
