/** The reference screenshare.v1 server. */
export { startServer, type RunningServer } from "./server.js";
export { DEFAULT_LIMITS, FAULTS, type Fault, type Limits, type ServerOptions } from "./config.js";
export { mintViewerToken, VIEW_PERMISSION } from "./auth.js";
