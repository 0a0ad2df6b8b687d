import { pendingTimers } from "@screenshare/machine";
import type { EngineLog } from "./engine.js";
import type { Metrics } from "./metrics.js";
import type { DueTimer, Store } from "./store.js";

const TIMER_POLL_MS = 25;
/** A timer whose event could not be applied is tried again after 100 ms, doubling up to 30 s. */
const TIMER_RETRY_FIRST_MS = 100;
const TIMER_RETRY_MAX_MS = 30_000;

/**
 * Fires the sessions' timers: they are armed in the store, so any node may fire them, and this node polls for the
 * ones that fell due. A timer whose event could not be applied is armed again with back-off.
 */
export class TimerRunner {
  private poller: NodeJS.Timeout | undefined;
  /** Failures so far of timers being retried, by `sessionId|timerId`. */
  private readonly timerFailures = new Map<string, number>();
  /** Retries held by this node because the store could not take them back. */
  private readonly localRetries = new Set<NodeJS.Timeout>();
  private claimFailing = false;

  constructor(
    private readonly store: Store,
    private readonly metrics: Metrics,
    private readonly log: EngineLog,
    /** Applies a due timer's event to its session; rejects when it could not. */
    private readonly apply: (timer: DueTimer) => Promise<void>,
  ) {}

  /** Re-arms every live session's timers from its deadlines (after a restart), then fires timers as they fall due. */
  async start(): Promise<void> {
    for (const id of await this.store.liveSessionIds()) {
      const record = await this.store.getSession(id);
      for (const timer of record ? pendingTimers(record.machine) : []) {
        await this.store.scheduleTimer(id, timer.id, timer.eventType, timer.fireAt);
      }
    }
    let polling = false;
    this.poller = setInterval(() => {
      if (polling) return;
      polling = true;
      void this.fireDueTimers().finally(() => {
        polling = false;
      });
    }, TIMER_POLL_MS);
    this.poller.unref();
  }

  close(): void {
    clearInterval(this.poller);
    for (const retry of this.localRetries) clearTimeout(retry);
    this.localRetries.clear();
  }

  /** Claims the timers due now and applies their events; never rejects (failures are logged and retried). */
  private async fireDueTimers(): Promise<void> {
    let due: DueTimer[];
    try {
      due = await this.store.claimDueTimers(Date.now());
    } catch (error) {
      // Unclaimed timers stay in the store: the next poll takes them. Logged once per outage, not every 25 ms.
      if (!this.claimFailing) this.log.error({ err: error }, "due timers could not be claimed; retrying");
      this.claimFailing = true;
      this.metrics.backgroundFailures.inc({ task: "timer_claim" });
      return;
    }
    if (this.claimFailing) this.log.info({}, "due timers are claimed again");
    this.claimFailing = false;
    await Promise.all(due.map((timer) => this.fire(timer)));
  }

  /**
   * Applies a claimed timer's event. If that fails (a store error, the compare-and-set giving up) the timer is
   * armed again with back-off, in the store so any node may fire it, or on this node while the store refuses.
   */
  private async fire(timer: DueTimer): Promise<void> {
    const key = `${timer.sessionId}|${timer.id}`;
    try {
      await this.apply(timer);
      this.timerFailures.delete(key);
      return;
    } catch (error) {
      const failures = (this.timerFailures.get(key) ?? 0) + 1;
      this.timerFailures.set(key, failures);
      const delayMs = Math.min(TIMER_RETRY_MAX_MS, TIMER_RETRY_FIRST_MS * 2 ** (failures - 1));
      this.metrics.timerRetries.inc();
      this.log.warn({ err: error, sessionId: timer.sessionId, timer: timer.id, failures, retryInMs: delayMs }, "timer event not applied; armed again");
      const retry = { ...timer, fireAt: Date.now() + delayMs };
      try {
        await this.store.scheduleTimer(retry.sessionId, retry.id, retry.eventType, retry.fireAt);
      } catch (storeError) {
        this.log.error({ err: storeError, sessionId: timer.sessionId, timer: timer.id }, "timer could not be armed again in the store; this node retries it");
        const handle = setTimeout(() => {
          this.localRetries.delete(handle);
          void this.fire(retry);
        }, delayMs);
        this.localRetries.add(handle);
      }
    }
  }
}
