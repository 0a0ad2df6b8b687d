import type { ServiceImpl } from "@connectrpc/connect";
import type { MonitorService } from "@screenshare/protocol";
import { supervisorSessionToProto } from "../session-view.js";
import { validate } from "../validation.js";
import { SESSION, type ServiceContext } from "./access.js";
import { pageOf } from "./paging.js";

/** MonitorService: a supervisor lists the org's live sessions and watches any as a subscribe-only observer. */
export function monitorService({ engine, access }: ServiceContext): ServiceImpl<typeof MonitorService> {
  return {
    async listLiveSessions(request, context) {
      validate(request, { page_size: "pageSize" });
      const supervisor = await access.supervisor(context);
      const { page, nextPageToken } = pageOf(await engine.liveSessionsOfOrg(supervisor.orgId), request);
      return { sessions: page.map((record) => supervisorSessionToProto(record)), nextPageToken };
    },
    async getMonitoredSession(request, context) {
      validate(request, SESSION);
      const supervisor = await access.supervisor(context);
      return { session: supervisorSessionToProto(await engine.sessionInOrg(request.sessionId, supervisor.orgId)) };
    },
    async observeSession(request, context) {
      validate(request, SESSION);
      const supervisor = await access.supervisor(context);
      const { record, media } = await engine.observers.observe(await engine.sessionInOrg(request.sessionId, supervisor.orgId), supervisor.userId);
      return { session: supervisorSessionToProto(record), media };
    },
  };
}
