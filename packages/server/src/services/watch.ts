import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { isLive } from "@screenshare/machine";
import { type SessionEvent, SessionState, type WatchService } from "@screenshare/protocol";
import { bearer } from "../auth.js";
import { historyOf } from "../session-view.js";
import { invalidArgument, validate } from "../validation.js";
import { SESSION, type ServiceContext } from "./access.js";

/**
 * How long a waiting stream trusts the live feed before it reads the session again: an event published while this
 * node's subscription was down (a Redis restart) is then sent from the session's history, late but in order.
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
      // Subscribe before replaying, so no event falls between the replay and the live tail.
      const queue: SessionEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = await engine.subscribe(owned.id, (event) => {
        queue.push(event);
        wake?.();
      });
      try {
        let sent = request.afterSequence;
        const pending: SessionEvent[] = [];
        /** Reads the session and queues what it holds beyond `sent`; false once it has ended and all is sent. */
        const resync = async (): Promise<boolean> => {
          const record = (await engine.getSession(owned.id)) ?? owned;
          pending.push(...historyOf(record).filter((event) => event.sequence > sent && !pending.some((queued) => queued.sequence === event.sequence)));
          return isLive(record.machine) || pending.length > 0;
        };
        // Resumed at (or past) the final event of an ended session: nothing more will come.
        if (!(await resync())) return;
        while (!context.signal.aborted) {
          const event = pending.shift() ?? queue.shift();
          if (!event) {
            // Each wait removes what it added: a stream lives for hours and waits every few seconds.
            const woken = await new Promise<boolean>((resolve) => {
              const done = (value: boolean) => {
                clearTimeout(timer);
                context.signal.removeEventListener("abort", aborted);
                resolve(value);
              };
              const aborted = () => done(true);
              const timer = setTimeout(() => done(false), RESYNC_MS);
              timer.unref();
              wake = () => done(true);
              context.signal.addEventListener("abort", aborted, { once: true });
            });
            wake = undefined;
            // A store that cannot be read now is read again at the next interval; the stream stays open.
            if (!woken && !(await resync().catch(() => true))) return;
            continue;
          }
          if (event.sequence <= sent) continue;
          sent = event.sequence;
          yield { event };
          if (event.session?.state === SessionState.ENDED) return;
          // Transferred away from this viewer: they are told (the event names both), then watch no more. An older
          // event of another viewer (replayed to a viewer the session was transferred to) is not that.
          if (viewer && event.session?.viewerUserId !== viewer.userId) {
            const now = await engine.getSession(owned.id);
            if (now?.machine.context.viewerUserId !== viewer.userId) return;
          }
        }
      } finally {
        await unsubscribe();
      }
    },
  };
}
