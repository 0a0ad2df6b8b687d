import { isLive } from "@screenshare/machine";
import { Actor } from "@screenshare/protocol";
import type { WebhookEvent } from "livekit-server-sdk";
import type { ResolvedOptions } from "./config.js";
import type { EngineLog } from "./engine.js";
import type { MediaPlane } from "./media.js";
import { mediaFactOf, observerFactOf } from "./media-facts.js";
import type { Metrics } from "./metrics.js";
import type { Observers } from "./observers.js";
import type { SessionWriter } from "./session-writer.js";
import type { Store } from "./store.js";

/** A room without a live session is deleted only once it is this old: its session may be being stored right now. */
const ORPHAN_ROOM_AGE_MS = 60_000;

/** Applies a fact to a session; where it no longer applies it is ignored (see `SessionEngine.fact`). */
export type ApplyFact = (sessionId: string, type: string, actor: Actor) => Promise<void>;

/**
 * Keeps sessions in step with the media plane: LiveKit's webhooks become facts, and a periodic check against
 * LiveKit's rooms catches what no webhook reported.
 */
export class MediaSync {
  private reconciler: NodeJS.Timeout | undefined;
  private reconciling = false;
  /** When this node first found LiveKit unreachable, in the outage going on now. */
  private mediaDownSince: number | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: ResolvedOptions,
    private readonly media: MediaPlane,
    private readonly metrics: Metrics,
    private readonly log: EngineLog,
    private readonly writer: SessionWriter,
    private readonly fact: ApplyFact,
    private readonly observers: Observers,
  ) {}

  start(): void {
    this.reconciler = setInterval(() => void this.reconcileMedia(), this.options.media.reconcileIntervalMs);
    this.reconciler.unref();
  }

  close(): void {
    clearInterval(this.reconciler);
  }

  /** Applies a verified LiveKit webhook. A reload's old connection may leave after the new one joined: only the latest one's leaving counts. */
  async mediaEvent(event: WebhookEvent, rememberMs: number): Promise<"applied" | "replayed"> {
    let applied = false;
    // The id is remembered in the store, so a replay is refused by every node, for as long as the signature that
    // came with the event is valid; after that the signature itself refuses it.
    await this.store.idempotent(`livekit-webhook/${event.id}`, rememberMs, async () => {
      applied = true;
      await this.applyMediaEvent(event);
      return new Uint8Array();
    });
    return applied ? "applied" : "replayed";
  }

  private async applyMediaEvent(event: WebhookEvent): Promise<void> {
    // An observer's coming and going is recorded beside the lifecycle and never read as a party's.
    const observer = observerFactOf(event);
    if (observer) return this.observers.fact(observer);
    const fact = mediaFactOf(event);
    if (!fact) return;
    const { participant, role } = fact;
    if (role) {
      let stale = false;
      let former = false;
      await this.writer.update(fact.sessionId, (record) => {
        // A viewer the session was transferred away from: none of its facts is the viewer's.
        former = participant?.role === "viewer" && participant.transfers < (record.machine.context.transfers ?? 0);
        if (former) return false;
        stale = fact.at < (record.mediaFactAt?.[role] ?? 0);
        if (!stale) record.mediaFactAt = { ...record.mediaFactAt, [role]: fact.at };
        // The latest connection is known by its join's time, even when that join's fact is too old to apply
        // (LiveKit may deliver a join after a later fact of the same participant).
        const newestJoin = participant?.change === "joined" && fact.at >= (record.joinedAt?.[role] ?? 0);
        if (newestJoin) {
          record.participants[role] = participant.sid;
          record.joinedAt = { ...record.joinedAt, [role]: fact.at };
        }
        return !stale || newestJoin;
      });
      if (former && participant) {
        // Joined again with a media token issued before the transfer: removed at once.
        if (participant.change === "joined") await this.media.removeParticipant(fact.sessionId, participant.identity);
        this.log.info({ sessionId: fact.sessionId, identity: participant.identity }, `former viewer ${participant.change}; not the session's viewer`);
        return;
      }
      if (stale) {
        this.log.info({ sessionId: fact.sessionId, type: fact.type }, "LiveKit fact older than the latest applied for its participant; ignored");
        return;
      }
    }
    if (participant?.change === "left") {
      const record = await this.store.getSession(fact.sessionId);
      if (record?.participants[participant.role] !== participant.sid) return;
    }
    await this.fact(fact.sessionId, fact.type, Actor.MEDIA);
  }

  /**
   * Checks live sessions against LiveKit's rooms, so a media plane that failed without telling us (a room gone with
   * no `room_finished`, LiveKit killed or hung) still ends its sessions with MEDIA_FAILURE: a session whose room is
   * gone ends within one `reconcileIntervalMs`; while LiveKit stays unreachable, every live session ends once it
   * has been so for `outageMs` (so within `outageMs + reconcileIntervalMs`). Rooms left by ended sessions (a
   * failed delete) are deleted. Every node runs it; the facts it sends are idempotent. Never rejects.
   */
  async reconcileMedia(): Promise<void> {
    if (this.reconciling) return;
    this.reconciling = true;
    try {
      // Live sessions first: a session stored after this read had its room created before it, so no room of a
      // listed session can be missing for being too new.
      const live = await this.store.liveSessionIds();
      let rooms: Array<{ sessionId: string; createdAt: number }>;
      try {
        rooms = await this.media.listRooms();
      } catch (error) {
        await this.mediaUnreachable(live, error);
        return;
      }
      if (this.mediaDownSince !== undefined) this.log.info({}, "LiveKit answers again");
      this.mediaDownSince = undefined;
      const present = new Set(rooms.map((room) => room.sessionId));
      for (const sessionId of live.filter((id) => !present.has(id))) await this.mediaFailed(sessionId, "its media room is gone");
      const liveIds = new Set(live);
      for (const room of rooms) {
        if (liveIds.has(room.sessionId) || Date.now() - room.createdAt < ORPHAN_ROOM_AGE_MS) continue;
        const record = await this.store.getSession(room.sessionId);
        if (!record || !isLive(record.machine)) await this.media.deleteRoom(room.sessionId);
      }
    } catch (error) {
      this.metrics.backgroundFailures.inc({ task: "media_reconcile" });
      this.log.warn({ err: error }, "media reconciliation did not finish; the next one runs in its interval");
    } finally {
      this.reconciling = false;
    }
  }

  private async mediaUnreachable(live: string[], error: unknown): Promise<void> {
    const now = Date.now();
    this.mediaDownSince ??= now;
    this.metrics.backgroundFailures.inc({ task: "media_reconcile" });
    const downMs = now - this.mediaDownSince;
    if (downMs < this.options.media.outageMs) {
      this.log.warn({ err: error, downMs, outageMs: this.options.media.outageMs }, "LiveKit unreachable; live sessions end if it stays so");
      return;
    }
    this.log.error({ err: error, downMs, sessions: live.length }, "LiveKit unreachable too long: ending live sessions with MEDIA_FAILURE");
    for (const sessionId of live) await this.mediaFailed(sessionId, "LiveKit is unreachable");
  }

  /** Ends one session with MEDIA_FAILURE; a failure to do so is logged and left to the next reconciliation. */
  private async mediaFailed(sessionId: string, why: string): Promise<void> {
    try {
      await this.fact(sessionId, "MEDIA_FAILED", Actor.MEDIA);
      this.log.warn({ sessionId }, `session ended with MEDIA_FAILURE: ${why}`);
    } catch (error) {
      this.metrics.backgroundFailures.inc({ task: "media_reconcile" });
      this.log.warn({ err: error, sessionId }, "session not ended after a media failure; retried at the next reconciliation");
    }
  }
}
