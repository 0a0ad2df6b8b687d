import { describe, expect, it } from "vitest";
import { screenCodec, screenCodecPreference, screenPublishOptions } from "./screen-publish.js";

const capabilities = (...mimeTypes: string[]): RTCRtpCapabilities => ({
  codecs: mimeTypes.map((mimeType) => ({ mimeType, clockRate: 90_000 })),
  headerExtensions: [],
});

describe("the screen share's codec follows what the browser can send", () => {
  it("takes AV1 where the browser can send it, whatever order the browser lists codecs in", () => {
    expect(screenCodec(capabilities("video/VP8", "video/VP9", "video/AV1", "video/H264"))).toBe("av1");
    expect(screenCodecPreference[0]).toBe("av1");
  });

  it("falls back to VP8, which every WebRTC browser sends, without AV1 or when capabilities are unknown", () => {
    expect(screenCodec(capabilities("video/VP8", "video/VP9", "video/H264"))).toBe("vp8");
    expect(screenCodec(capabilities("video/H264"))).toBe("vp8");
    expect(screenCodec(null)).toBe("vp8");
  });
});

describe("publish options for reading text", () => {
  it("keep resolution over frame rate, one layer, and a VP8 backup only for other codecs", () => {
    const av1 = screenPublishOptions("av1");
    expect(av1).toMatchObject({ videoCodec: "av1", simulcast: false, degradationPreference: "maintain-resolution", backupCodec: { codec: "vp8" } });
    expect(screenPublishOptions("vp8").backupCodec).toBe(false);
  });
});
