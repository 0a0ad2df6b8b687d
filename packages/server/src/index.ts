/** The reference screenshare.v1 server. */

export { MONITOR_PERMISSION, mintViewerToken, VIEW_PERMISSION } from "./auth.js";
export { DEFAULT_LIMITS, FAULTS, type Fault, type Limits, type ServerOptions } from "./config.js";
export { type RunningServer, startServer } from "./server.js";
