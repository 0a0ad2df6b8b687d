import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { Channel, InteractionSchema, InteractionStatus, SessionState } from "@screenshare/protocol";
import { engineOptions, memoryMedia } from "@screenshare/testkit";
import { describe, expect, it } from "vitest";
import { SessionEngine } from "./engine.js";
import { MemoryStore } from "./memory-store.js";
import { createMetrics } from "./metrics.js";
import type { SessionRecord } from "./store.js";

/** An embedded store whose session writes can be made to lose, as if another node always wrote first. */
class LosingStore extends MemoryStore {
  losing = false;
  override async updateSession(record: SessionRecord) {
    return this.losing ? false : super.updateSession(record);
  }
}

async function voiceSession(limits: { securityKeyMaxAttempts: number }) {
  const store = new LosingStore();
  const options = engineOptions({ limits });
  const engine = new SessionEngine(store, options, memoryMedia(), createMetrics());
  await engine.interactions.register(
    create(InteractionSchema, { orgId: "org", interactionId: "call", channel: Channel.VOICE, agentUserId: "agent", status: InteractionStatus.CONNECTED }),
  );
  const record = await engine.start("org", "agent", "call");
  return { store, engine, key: record.securityKey?.key ?? "" };
}

const wrongKeyOf = (key: string) => String((Number(key) + 1) % 1_000_000).padStart(6, "0");

describe("the engine's effects follow the prepare/undo rule", () => {
  it("a key's last attempt leaves the index only once the write that spends it won", async () => {
    const { store, engine, key } = await voiceSession({ securityKeyMaxAttempts: 1 });
    store.losing = true;
    const error = await engine.redeemKey("org", wrongKeyOf(key), "10.0.0.1", "").catch((reason: unknown) => ConnectError.from(reason));
    expect((error as ConnectError).code).toBe(Code.Aborted);
    store.losing = false;
    // No write spent the attempt, so the key still redeems.
    const redeemed = await engine.redeemKey("org", key, "10.0.0.1", "");
    expect(redeemed.session?.state).toBe(SessionState.SELECTING_SCREEN);
  });

  it("a spent key no longer redeems", async () => {
    const { engine, key } = await voiceSession({ securityKeyMaxAttempts: 1 });
    await expect(engine.redeemKey("org", wrongKeyOf(key), "10.0.0.1", "")).rejects.toMatchObject({ code: Code.NotFound });
    await expect(engine.redeemKey("org", key, "10.0.0.2", "")).rejects.toMatchObject({ code: Code.NotFound });
  });
});
