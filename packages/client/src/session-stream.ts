import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { type Session, type SessionEvent, SessionState, type WatchService } from "@screenshare/protocol";

/** Listeners by event name, typed. */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(value: never) => void>>();

  /** Calls `listener` on each `type` event until the returned function is called. */
  on<Type extends keyof Events>(type: Type, listener: (value: Events[Type]) => void): () => void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener as (value: never) => void);
    this.listeners.set(type, set);
    return () => set.delete(listener as (value: never) => void);
  }

  protected emit<Type extends keyof Events>(type: Type, value: Events[Type]): void {
    for (const listener of this.listeners.get(type) ?? []) (listener as (value: Events[Type]) => void)(value);
  }
}

/**
 * Follows one session through WatchSession until it ends, from the event after `afterSequence`, reconnecting after a
 * dropped stream from the last sequence seen, so no event is missed or seen twice. The lifecycle itself stays on the
 * server: this only reports. Rejects when the session can no longer be watched (gone, or the credential revoked).
 */
export function followSession(
  watch: Client<typeof WatchService>,
  sessionId: string,
  afterSequence: bigint,
  onEvent: (event: SessionEvent & { session: Session }) => void,
  signal: AbortSignal,
): Promise<void> {
  let lastSequence = afterSequence;
  return (async () => {
    while (!signal.aborted) {
      try {
        for await (const { event } of watch.watchSession({ sessionId, afterSequence: lastSequence }, { signal })) {
          if (!event?.session) continue;
          lastSequence = event.sequence;
          onEvent(event as SessionEvent & { session: Session });
          if (event.session.state === SessionState.ENDED) return;
        }
        return;
      } catch (error) {
        if (signal.aborted) return;
        const code = ConnectError.from(error).code;
        if (code === Code.NotFound || code === Code.PermissionDenied || code === Code.Unauthenticated) throw error;
        // Anything else (a server restart, a cut stream, UNAVAILABLE) passes: the stream resumes after the last event seen.
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  })();
}
