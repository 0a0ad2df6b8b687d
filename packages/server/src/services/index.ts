import type { ConnectRouter } from "@connectrpc/connect";
import { InteractionService, MonitorService, ServerInfoService, SharerService, ViewerService, WatchService } from "@screenshare/protocol";
import type { ResolvedOptions } from "../config.js";
import type { SessionEngine } from "../engine.js";
import { accessRules, type ServiceContext } from "./access.js";
import { interactionService } from "./interaction.js";
import { monitorService } from "./monitor.js";
import { serverInfoService } from "./server-info.js";
import { sharerService } from "./sharer.js";
import { viewerService } from "./viewer.js";
import { watchService } from "./watch.js";

export { kRemoteAddress } from "./access.js";

/** Registers every screenshare.v1 service on `router`; each is one `ServiceImpl` in its own file. */
export function registerServices(router: ConnectRouter, engine: SessionEngine, options: ResolvedOptions): void {
  const context: ServiceContext = { engine, options, access: accessRules(engine, options) };
  router.service(ViewerService, viewerService(context));
  router.service(SharerService, sharerService(context));
  router.service(InteractionService, interactionService(context));
  router.service(WatchService, watchService(context));
  router.service(ServerInfoService, serverInfoService(context));
  router.service(MonitorService, monitorService(context));
}
