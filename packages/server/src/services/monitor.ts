import type { ServiceImpl } from "@connectrpc/connect";
import type { MonitorService } from "@screenshare/protocol";
import { sessionToProto } from "../session-view.js";
import { validate } from "../validation.js";
import { SESSION, type ServiceContext } from "./access.js";
import { pageOf } from "./paging.js";

/** How supervisors see a session: with its observations, never with its security key. */
const SUPERVISOR_VIEW = { withKey: false, withObservations: true };

/** MonitorService: a supervisor lists the org's live sessions and watches any as a subscribe-only observer. */
export function monitorService({ engine, access }: ServiceContext): ServiceImpl<typeof MonitorService> {
  return {
    async listLiveSessions(request, context) {
      validate(request, { page_size: "pageSize" });
      const supervisor = await access.supervisor(context);
      const { page, nextPageToken } = pageOf(await engine.liveSessionsOfOrg(supervisor.orgId), request);
      return { sessions: page.map((record) => sessionToProto(record, SUPERVISOR_VIEW)), nextPageToken };
    },
    async getMonitoredSession(request, context) {
      validate(request, SESSION);
      const supervisor = await access.supervisor(context);
      return { session: sessionToProto(await engine.sessionInOrg(request.sessionId, supervisor.orgId), SUPERVISOR_VIEW) };
    },
    async observeSession(request, context) {
      validate(request, SESSION);
      const supervisor = await access.supervisor(context);
      const { record, media } = await engine.observers.observe(await engine.sessionInOrg(request.sessionId, supervisor.orgId), supervisor.userId);
      return { session: sessionToProto(record, SUPERVISOR_VIEW), media };
    },
  };
}
