import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { isLive } from "@screenshare/machine";
import type { SessionEvent, WatchService } from "@screenshare/protocol";
import { bearer } from "../auth.js";
import { historyOf } from "../session-view.js";
import { invalidArgument, validate } from "../validation.js";
import { SESSION, type ServiceContext } from "./access.js";
import { wakeUps } from "./wake-ups.js";

/**
 * How often a waiting stream reads the session again: an event published while this node's subscription was down (a
 * Redis restart) is then sent from the session's history, late but in order.
 */
const RESYNC_MS = 2_000;

/** WatchService: a session's events for its viewer or its sharer, replayed from a sequence, then live. */
export function watchService({ engine, access }: ServiceContext): ServiceImpl<typeof WatchService> {
  return {
    async *watchSession(request, context) {
      validate(request, SESSION);
      const token = bearer(context.requestHeader);
      const credential = await engine.credentials.lookup(token);
      const viewer = credential?.kind === "sharer" ? undefined : await access.verifyViewer(token);
      const owned = viewer
        ? await access.viewerSession(viewer, request.sessionId)
        : credential?.kind === "sharer" && credential.sessionId === request.sessionId
          ? await engine.sessionInOrg(request.sessionId, credential.orgId)
          : undefined;
      if (!owned) throw new ConnectError(`session ${request.sessionId} not found`, Code.NotFound);
      const last = BigInt(owned.lastSequence);
      if (request.afterSequence > last) {
        throw invalidArgument([{ field: "after_sequence", description: `${request.afterSequence} is beyond the session's last sequence ${last}` }]);
      }
      let sent = request.afterSequence;
      // Every wake-up reads the session and sends what it holds beyond `sent`: the store, not the message, is what
      // the stream sends from, so the replay and the live tail are one path, and an event whose message was lost (a
      // Redis restart) follows at the next tick, in order.
      for await (const _ of wakeUps<SessionEvent>((listener) => engine.subscribe(owned.id, listener), RESYNC_MS, context.signal)) {
        // A store that cannot be read now is read again at the next wake-up; the stream stays open.
        const record = (await engine.getSession(owned.id).catch(() => undefined)) ?? owned;
        for (const event of historyOf(record)) {
          if (event.sequence <= sent) continue;
          sent = event.sequence;
          yield { event };
          // Transferred away from this viewer: they are told (the event names both), then watch no more. An older
          // event of another viewer (replayed to a viewer the session was transferred to) is not that.
          if (viewer && event.session?.viewerUserId !== viewer.userId && record.machine.context.viewerUserId !== viewer.userId) return;
        }
        // Ended, and its final event sent (now or before the stream was resumed): nothing more will come.
        if (!isLive(record.machine)) return;
      }
    },
  };
}
