import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The server's Prometheus metrics. */
export interface Metrics {
  registry: Registry;
  transitions: Counter<"trigger" | "to">;
  keyFailures: Counter<"reason">;
  rpcDuration: Histogram<"method" | "code">;
  sessions: Gauge<"state">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  return {
    registry,
    transitions: new Counter({ name: "screenshare_transitions_total", help: "Session state changes", labelNames: ["trigger", "to"], registers: [registry] }),
    keyFailures: new Counter({ name: "screenshare_security_key_failures_total", help: "Failed key redemptions", labelNames: ["reason"], registers: [registry] }),
    rpcDuration: new Histogram({
      name: "screenshare_rpc_duration_seconds",
      help: "RPC latency",
      labelNames: ["method", "code"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    sessions: new Gauge({ name: "screenshare_sessions", help: "Sessions by state", labelNames: ["state"], registers: [registry] }),
  };
}
