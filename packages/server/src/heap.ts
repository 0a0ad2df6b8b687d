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

/** A binary min-heap on `priority`. */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly priority: (item: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  /** Keeps only the items `keep` accepts, in linear time (Floyd's bottom-up heap construction). */
  retain(keep: (item: T) => boolean): void {
    const kept = this.items.filter(keep);
    this.items.length = 0;
    this.items.push(...kept);
    for (let index = (this.items.length >> 1) - 1; index >= 0; index--) this.siftDown(index);
  }

  push(item: T): void {
    this.items.push(item);
    let index = this.items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.priority(this.at(parent)) <= this.priority(item)) break;
      this.swap(parent, index);
      index = parent;
    }
  }

  /** Removes and returns, in order, every item whose priority is at most `limit`. */
  *popUntil(limit: number): Generator<T> {
    while (this.items.length > 0 && this.priority(this.at(0)) <= limit) yield this.pop();
  }

  private pop(): T {
    const top = this.at(0);
    const last = this.items.pop() as T;
    if (this.items.length > 0) {
      this.items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(from: number): void {
    let index = from;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.items.length && this.priority(this.at(left)) < this.priority(this.at(smallest))) smallest = left;
      if (right < this.items.length && this.priority(this.at(right)) < this.priority(this.at(smallest))) smallest = right;
      if (smallest === index) return;
      this.swap(smallest, index);
      index = smallest;
    }
  }

  private at(index: number): T {
    return this.items[index] as T;
  }

  private swap(a: number, b: number): void {
    [this.items[a], this.items[b]] = [this.at(b), this.at(a)];
  }
}

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
  private readonly heap = new MinHeap<ArmedTimer>((timer) => timer.fireAt);
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
    this.stale++;
    if (this.stale >= STALE_MINIMUM && this.stale * 2 > this.heap.size) {
      this.heap.retain((timer) => this.isArmed(timer));
      this.stale = 0;
    }
  }

  takeDue(now: number): DueTimer[] {
    const due: DueTimer[] = [];
    for (const top of this.heap.popUntil(now)) {
      if (this.unlink(top.sessionId, top.id, top)) due.push({ sessionId: top.sessionId, id: top.id, eventType: top.eventType, fireAt: top.fireAt });
      else this.stale--;
    }
    return due;
  }

  /** Entries in the heap, stale ones included. */
  get entries(): number {
    return this.heap.size;
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
