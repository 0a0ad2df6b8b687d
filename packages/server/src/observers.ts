import { Code, ConnectError } from "@connectrpc/connect";
import { isLive } from "@screenshare/machine";
import type { MediaJoinInfo } from "@screenshare/protocol";
import type { ResolvedOptions } from "./config.js";
import { joinInfoOf, type MediaPlane } from "./media.js";
import type { ObserverFact } from "./media-facts.js";
import type { ObserverEntry, SessionRecord } from "./store.js";

/** The engine's compare-and-set write of a record outside the machine (SessionWriter.update). */
type Update = (sessionId: string, change: (record: SessionRecord) => boolean) => Promise<SessionRecord | undefined>;

/**
 * Supervisors watching sessions (MonitorService). Observers live beside the lifecycle, never in it: granting,
 * joining and leaving write the record's `observers` only, so they change no state, no event sequence and no
 * viewer's one live session. The session's end removes them with its media room.
 */
export class Observers {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly media: MediaPlane,
    private readonly update: Update,
  ) {}

  /**
   * Makes `userId` an observer of the live session `record` (already checked to be of their org) and returns
   * subscribe-only media credentials; a supervisor asking again keeps their place and identity.
   */
  async observe(record: SessionRecord, userId: string): Promise<{ record: SessionRecord; media: MediaJoinInfo }> {
    const max = this.options.limits.maxObserversPerSession;
    let number = 0;
    const at = Date.now();
    const stored = await this.update(record.id, (next) => {
      if (!isLive(next.machine)) return false;
      const observers = next.observers ?? [];
      const known = observers.findIndex((entry) => entry.userId === userId);
      if (known >= 0 || observers.length >= max) {
        number = known + 1;
        return false;
      }
      next.observers = [...observers, { userId, startedAt: at }];
      number = next.observers.length;
      return true;
    });
    if (!stored) throw new ConnectError(`session ${record.id} not found`, Code.NotFound);
    if (!isLive(stored.machine)) throw new ConnectError(`session ${record.id} has ended; there is nothing to watch`, Code.FailedPrecondition);
    if (number === 0) {
      throw new ConnectError(`session ${record.id} already has ${max} observers, the most this server allows; try again after it ends`, Code.ResourceExhausted);
    }
    const media = joinInfoOf(this.media, record.id, await this.media.observerToken(record.id, number, !stored.observersAnnounced));
    return { record: stored, media };
  }

  /** Records an observer joining or leaving; a fact older than the latest applied about them, or about an older connection's leaving, is ignored. */
  async fact(fact: ObserverFact): Promise<void> {
    await this.update(fact.sessionId, (next) => {
      const index = fact.number - 1;
      const entry = next.observers?.[index];
      if (!entry || fact.at < (entry.factAt ?? 0)) return false;
      if (fact.change === "left" && entry.sid !== fact.sid) return false;
      const changed: ObserverEntry =
        fact.change === "joined"
          ? { ...entry, sid: fact.sid, joinedAt: entry.joinedAt ?? fact.at, leftAt: undefined, factAt: fact.at }
          : { ...entry, leftAt: fact.at, factAt: fact.at };
      next.observers = next.observers?.map((old, i) => (i === index ? changed : old));
      return true;
    });
  }
}
