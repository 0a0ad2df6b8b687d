import TinyQueue from "tinyqueue";
import type { DueTimer } from "./store.js";

/** An armed timer; its strings are shared (the session id with the session's entries, the rest with the machine). */
interface ArmedTimer {
  sessionId: string;
  id: string;
  eventType: string;
  fireAt: number;
  /** The session's next armed timer: a session has a few, and a list costs less memory than an array. */
  next: ArmedTimer | undefined;
}

/** Removes and returns, in order, every item of `queue` whose due time is at most `limit`. */
export function* popUntil<T>(queue: TinyQueue<T>, due: (item: T) => number, limit: number): Generator<T> {
  for (let top = queue.peek(); top !== undefined && due(top) <= limit; top = queue.peek()) yield queue.pop() as T;
}

/** A queue of the items of `queue` that `keep` accepts, built in linear time (TinyQueue heapifies what it is given). */
export function retained<T>(queue: TinyQueue<T>, keep: (item: T) => boolean, compare: (a: T, b: T) => number): TinyQueue<T> {
  return new TinyQueue(queue.data.filter(keep), compare);
}

const byFireAt = (a: ArmedTimer, b: ArmedTimer) => a.fireAt - b.fireAt;

/** Stale heap entries tolerated before a rebuild is considered: rebuilding a small heap often gains nothing. */
const STALE_MINIMUM = 1_024;

/**
 * Timers on a min-heap by due time, indexed by session (no key string is built per timer: idle sessions hold
 * two timers each, so this is a large share of an idle session's memory). A cancelled or re-armed timer's entry
 * leaves the heap when it falls due, or earlier, when stale entries come to outnumber armed ones and the heap is
 * rebuilt without them: otherwise every ended session's cancelled maximum-duration timer (4 hours by default)
 * would hold memory until its due time.
 */
export class TimerHeap {
  private readonly bySession = new Map<string, ArmedTimer>();
  private heap = new TinyQueue<ArmedTimer>([], byFireAt);
  /** Heap entries whose timer is no longer armed. */
  private stale = 0;

  set(sessionId: string, id: string, eventType: string, fireAt: number): void {
    this.delete(sessionId, id);
    const timer: ArmedTimer = { sessionId, id, eventType, fireAt, next: this.bySession.get(sessionId) };
    this.bySession.set(sessionId, timer);
    this.heap.push(timer);
  }

  /** Disarms the session's timer `id`, if armed. */
  delete(sessionId: string, id: string): void {
    if (!this.unlink(sessionId, id)) return;
    // Stryker disable all: the compaction only frees stale entries' memory; takeDue skips a stale entry when it falls due
    this.stale++;
    if (this.stale >= STALE_MINIMUM && this.stale * 2 > this.heap.length) {
      this.heap = retained(this.heap, (timer) => this.isArmed(timer), byFireAt);
      this.stale = 0;
    }
    // Stryker restore all
  }

  takeDue(now: number): DueTimer[] {
    const due: DueTimer[] = [];
    for (const top of popUntil(this.heap, (timer) => timer.fireAt, now)) {
      if (this.unlink(top.sessionId, top.id, top)) due.push({ sessionId: top.sessionId, id: top.id, eventType: top.eventType, fireAt: top.fireAt });
      // Stryker disable next-line all: the count of stale entries only decides when to compact (memory)
      else this.stale--;
    }
    return due;
  }

  /** Entries in the heap, stale ones included. */
  get entries(): number {
    return this.heap.length;
  }

  /** Takes the session's timer `id` off its list; with `only`, just that very timer (not one re-armed under its id). */
  private unlink(sessionId: string, id: string, only?: ArmedTimer): boolean {
    let previous: ArmedTimer | undefined;
    for (let timer = this.bySession.get(sessionId); timer; previous = timer, timer = timer.next) {
      if (timer.id !== id || (only && timer !== only)) continue;
      if (previous) previous.next = timer.next;
      else if (timer.next) this.bySession.set(sessionId, timer.next);
      else this.bySession.delete(sessionId);
      // A stale entry must not keep the session's other timers reachable.
      timer.next = undefined;
      return true;
    }
    return false;
  }

  private isArmed(timer: ArmedTimer): boolean {
    for (let armed = this.bySession.get(timer.sessionId); armed; armed = armed.next) if (armed === timer) return true;
    return false;
  }
}
