import { EventEmitter, on } from "node:events";

/** Subscribes `listener` to one store channel; the returned function releases the subscription. */
export type Subscribe<T> = (listener: (message: T) => void) => Promise<() => Promise<void>>;

/**
 * What a server stream waits on: `undefined` once subscribed, then each message published on the channel (queued
 * until the stream takes it) and `undefined` again every `everyMs`, so the stream re-checks what a message lost in a
 * store restart would have told it. Ends when `signal` aborts (the client went away); the subscription is released
 * whenever the stream stops.
 */
export async function* wakeUps<T>(subscribe: Subscribe<T>, everyMs: number, signal: AbortSignal): AsyncGenerator<T | undefined, void> {
  const emitter = new EventEmitter();
  const messages = on(emitter, "message", { signal });
  const unsubscribe = await subscribe((message) => emitter.emit("message", message));
  const ticks = setInterval(() => emitter.emit("message", undefined), everyMs).unref();
  try {
    yield undefined;
    for await (const [message] of messages) yield message;
  } catch {
    // Only the AbortError of `signal` comes here (nothing emits "error" on this emitter): the client went away, and
    // the stream ends with it.
  } finally {
    clearInterval(ticks);
    await unsubscribe();
  }
}
