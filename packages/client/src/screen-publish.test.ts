import { describe, expect, it } from "vitest";
import { screenCodec, screenCodecPreference, screenPublishOptions } from "./screen-publish.js";

const capabilities = (...mimeTypes: string[]): RTCRtpCapabilities => ({ codecs: mimeTypes.map((mimeType) => ({ mimeType, clockRate: 90_000 })), headerExtensions: [] });

describe("the screen share's codec follows what the browser can send", () => {
  it("takes the first preferred codec the browser offers", () => {
    expect(screenCodec(capabilities("video/VP8", "video/VP9", "video/H264"))).toBe("vp9");
    expect(screenCodec(capabilities("video/VP8", "video/AV1", "video/VP9"))).toBe(screenCodecPreference.find((codec) => codec === "av1" || codec === "vp9"));
  });

  it("falls back to VP8, which every WebRTC browser sends, when none is offered or capabilities are unknown", () => {
    expect(screenCodec(capabilities("video/H264"))).toBe("vp8");
    expect(screenCodec(null)).toBe("vp8");
  });
});

describe("publish options for reading text", () => {
  it("keep resolution over frame rate, one layer, and a VP8 backup only for other codecs", () => {
    const vp9 = screenPublishOptions("vp9");
    expect(vp9).toMatchObject({ videoCodec: "vp9", simulcast: false, degradationPreference: "maintain-resolution", backupCodec: { codec: "vp8" } });
    expect(screenPublishOptions("vp8").backupCodec).toBe(false);
  });
});
