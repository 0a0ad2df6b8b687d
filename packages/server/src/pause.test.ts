import { create } from "@bufbuild/protobuf";
import { Actor, Channel, EndReason, InteractionSchema, InteractionStatus, SessionState } from "@screenshare/protocol";
import { engineOptions, memoryMedia } from "@screenshare/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type EngineLog, SessionEngine } from "./engine.js";
import { MemoryStore } from "./memory-store.js";
import { createMetrics } from "./metrics.js";
import { protoStateOf, sessionToProto } from "./session-view.js";

const engines: SessionEngine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
});

/** An engine on memory and a voice session whose sharer shares a screen. */
async function sharingSession(pauseTimeoutMs = 60_000) {
  const media = memoryMedia();
  const lines: string[] = [];
  const log: EngineLog = {
    warn: (_details, message) => lines.push(message),
    error: (_details, message) => lines.push(message),
    info: () => undefined,
  };
  const options = engineOptions({ timeouts: { pauseTimeoutMs } });
  const engine = new SessionEngine(new MemoryStore(), options, media, createMetrics(), log);
  engines.push(engine);
  await engine.run();
  await engine.interactions.register(
    create(InteractionSchema, { orgId: "org", interactionId: "call", channel: Channel.VOICE, agentUserId: "agent", status: InteractionStatus.CONNECTED }),
  );
  const started = await engine.start("org", "agent", "call");
  await engine.redeemKey("org", started.securityKey?.key ?? "", "10.0.0.1", "");
  await engine.fact(started.id, "SCREEN_TRACK_PUBLISHED", Actor.MEDIA);
  const state = async () => {
    const record = await engine.getSession(started.id);
    if (!record) throw new Error("session gone");
    return sessionToProto(record);
  };
  expect((await state()).state).toBe(SessionState.SHARING);
  return { engine, media, lines, id: started.id, state };
}

describe("the privacy pause on the server", () => {
  it("mutes the sharer's screen in the media plane before the pause is answered, and unmutes it on unpause", async () => {
    const { engine, media, id } = await sharingSession();
    const paused = await engine.command(id, "SHARER_PAUSED", Actor.SHARER);
    expect(protoStateOf(paused)).toBe(SessionState.PAUSED);
    expect(media.mutedScreens.has(id)).toBe(true);
    const unpaused = await engine.command(id, "SHARER_UNPAUSED", Actor.SHARER);
    expect(protoStateOf(unpaused)).toBe(SessionState.SHARING);
    expect(media.mutedScreens.has(id)).toBe(false);
  });

  it("ends the session with MEDIA_FAILURE when the media plane cannot hold the screen back", async () => {
    const { engine, media, lines, id, state } = await sharingSession();
    media.failing = true;
    await engine.command(id, "SHARER_PAUSED", Actor.SHARER);
    const ended = await state();
    expect(ended.state).toBe(SessionState.ENDED);
    expect(ended.endReason).toBe(EndReason.MEDIA_FAILURE);
    expect(lines.join("\n")).toContain("screen not muted for a pause");
  });

  it("keeps sharing, with a warning, when the media plane cannot unmute (the sharer's page unmutes itself too)", async () => {
    const { engine, media, lines, id, state } = await sharingSession();
    await engine.command(id, "SHARER_PAUSED", Actor.SHARER);
    media.failing = true;
    await engine.command(id, "SHARER_UNPAUSED", Actor.SHARER);
    expect((await state()).state).toBe(SessionState.SHARING);
    expect(lines.join("\n")).toContain("screen not unmuted by the server");
  });

  it("ends a pause that lasts too long with PAUSE_TIMED_OUT, by the engine's own timer", async () => {
    const { engine, id, state } = await sharingSession(300);
    await engine.command(id, "SHARER_PAUSED", Actor.SHARER);
    const deadline = Date.now() + 5_000;
    while ((await state()).state !== SessionState.ENDED && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    const ended = await state();
    expect(ended.endReason).toBe(EndReason.PAUSE_TIMED_OUT);
  });
});
