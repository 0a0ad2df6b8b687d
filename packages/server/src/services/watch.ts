import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type SessionEvent, SessionState, type WatchService } from "@screenshare/protocol";
import { bearer } from "../auth.js";
import { historyOf } from "../session-view.js";
import { validate } from "../validation.js";
import { SESSION, type ServiceContext } from "./access.js";

/** WatchService: a session's events for its viewer or its sharer, replayed from a sequence, then live. */
export function watchService({ engine, access }: ServiceContext): ServiceImpl<typeof WatchService> {
  return {
    async *watchSession(request, context) {
      validate(request, SESSION);
      const token = bearer(context.requestHeader);
      const credential = await engine.credentials.lookup(token);
      const owned =
        credential?.kind === "sharer"
          ? credential.sessionId === request.sessionId
            ? await engine.sessionInOrg(request.sessionId, credential.orgId)
            : undefined
          : await access.viewerSession(await access.verifyViewer(token), request.sessionId);
      if (!owned) throw new ConnectError(`session ${request.sessionId} not found`, Code.NotFound);
      const last = BigInt(owned.lastSequence);
      if (request.afterSequence > last) {
        throw new ConnectError(`after_sequence ${request.afterSequence} is beyond the session's last sequence ${last}`, Code.InvalidArgument);
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
        const record = (await engine.getSession(owned.id)) ?? owned;
        const pending = historyOf(record).filter((event) => event.sequence > sent);
        while (!context.signal.aborted) {
          const event = pending.shift() ?? queue.shift();
          if (!event) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              context.signal.addEventListener("abort", () => resolve(), { once: true });
            });
            continue;
          }
          if (event.sequence <= sent) continue;
          sent = event.sequence;
          yield { event };
          if (event.session?.state === SessionState.ENDED) return;
        }
      } finally {
        await unsubscribe();
      }
    },
  };
}
