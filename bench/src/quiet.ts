// Imported first by the benchmark: @livekit/rtc-node sets its logger to "debug" at import time unless NODE_ENV is
// "production", and does not export it, so without this every peer connection printed its debug lines between
// the benchmark's progress lines. Set whatever the caller set (vitest sets "test"): nothing else here reads it.
process.env.NODE_ENV = "production";
