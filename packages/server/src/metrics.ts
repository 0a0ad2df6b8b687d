import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The server's Prometheus metrics: counters and histograms kept as things happen, so a scrape reads no sessions. */
export interface Metrics {
  registry: Registry;
  transitions: Counter<"trigger" | "to">;
  keyFailures: Counter<"reason">;
  rpcDuration: Histogram<"method" | "code">;
  /** Live sessions by state, set at each scrape from counts the store keeps as sessions change. */
  sessions: Gauge<"state">;
  /** Timers whose event could not be applied and were armed again. */
  timerRetries: Counter;
  /** Work no caller waits for that failed (and was logged): timer claims, room deletions, reconciliation. */
  backgroundFailures: Counter<"task">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  return {
    registry,
    transitions: new Counter({ name: "screenshare_transitions_total", help: "Session state changes", labelNames: ["trigger", "to"], registers: [registry] }),
    keyFailures: new Counter({
      name: "screenshare_security_key_failures_total",
      help: "Failed key redemptions",
      labelNames: ["reason"],
      registers: [registry],
    }),
    rpcDuration: new Histogram({
      name: "screenshare_rpc_duration_seconds",
      help: "RPC latency",
      labelNames: ["method", "code"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    sessions: new Gauge({ name: "screenshare_sessions", help: "Live sessions by state (all nodes)", labelNames: ["state"], registers: [registry] }),
    timerRetries: new Counter({ name: "screenshare_timer_retries_total", help: "Timer events not applied and armed again", registers: [registry] }),
    backgroundFailures: new Counter({
      name: "screenshare_background_failures_total",
      help: "Failed background work, by task (each is logged with its cause)",
      labelNames: ["task"],
      registers: [registry],
    }),
  };
}
