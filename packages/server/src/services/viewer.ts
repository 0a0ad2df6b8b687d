import { create, type MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { isLive } from "@screenshare/machine";
import {
  Actor,
  AskToUnpauseResponseSchema,
  CancelScreenShareResponseSchema,
  LeaveSessionResponseSchema,
  RegenerateSecurityKeyResponseSchema,
  StartScreenShareResponseSchema,
  type ViewerService,
} from "@screenshare/protocol";
import type { SessionRecord } from "../engine.js";
import type { PartyCommand } from "../refusal.js";
import { historyOf, viewerSessionToProto } from "../session-view.js";
import { validate } from "../validation.js";
import { MUTATION, SESSION, type ServiceContext } from "./access.js";
import { pageOf } from "./paging.js";

type CommandResponse =
  | typeof CancelScreenShareResponseSchema
  | typeof LeaveSessionResponseSchema
  | typeof RegenerateSecurityKeyResponseSchema
  | typeof AskToUnpauseResponseSchema;

/** ViewerService: the agent's side, authenticated by a viewer token. */
export function viewerService({ engine, access }: ServiceContext): ServiceImpl<typeof ViewerService> {
  const viewerCommand = async <Schema extends CommandResponse>(
    context: HandlerContext,
    request: { sessionId: string; idempotencyKey: string },
    schema: Schema,
    type: PartyCommand,
  ): Promise<MessageShape<Schema>> => {
    validate(request, MUTATION);
    const viewer = await access.viewer(context);
    await access.viewerSession(viewer, request.sessionId);
    const scope = `${viewer.orgId}/${viewer.userId}/${schema.typeName}/${request.idempotencyKey}`;
    return engine.idempotent(scope, request.idempotencyKey, schema, async () => {
      const record = await engine.command(request.sessionId, type, Actor.VIEWER);
      return create(schema as typeof CancelScreenShareResponseSchema, { session: viewerSessionToProto(record) }) as MessageShape<Schema>;
    });
  };

  return {
    async startScreenShare(request, context) {
      validate(request, { interaction_id: "id", idempotency_key: "optionalIdempotencyKey" });
      const viewer = await access.viewer(context);
      const scope = `${viewer.orgId}/${viewer.userId}/start/${request.idempotencyKey}`;
      return engine.idempotent(scope, request.idempotencyKey, StartScreenShareResponseSchema, async () => {
        const record = await engine.start(viewer.orgId, viewer.userId, request.interactionId);
        return create(StartScreenShareResponseSchema, { session: viewerSessionToProto(record) });
      });
    },
    regenerateSecurityKey: (request, context) => viewerCommand(context, request, RegenerateSecurityKeyResponseSchema, "KEY_REGENERATED"),
    cancelScreenShare: (request, context) => viewerCommand(context, request, CancelScreenShareResponseSchema, "VIEWER_CANCELLED"),
    leaveSession: (request, context) => viewerCommand(context, request, LeaveSessionResponseSchema, "VIEWER_LEFT"),
    askToUnpause: (request, context) => viewerCommand(context, request, AskToUnpauseResponseSchema, "UNPAUSE_REQUESTED"),
    async getViewerMediaJoinInfo(request, context) {
      validate(request, SESSION);
      const viewer = await access.viewer(context);
      return { media: await engine.joinInfo("viewer", await access.viewerSession(viewer, request.sessionId)) };
    },
    async getSession(request, context) {
      validate(request, SESSION);
      const viewer = await access.viewer(context);
      return { session: viewerSessionToProto(await access.viewerSession(viewer, request.sessionId)) };
    },
    async listSessions(request, context) {
      validate(request, { page_size: "pageSize" });
      const viewer = await access.viewer(context);
      const records = await Promise.all((await engine.sessionsOfViewer(viewer.orgId, viewer.userId)).map((id) => engine.getSession(id)));
      const all = records.filter((record): record is SessionRecord => !!record && (!request.liveOnly || isLive(record.machine)));
      const { page, nextPageToken } = pageOf(all, request);
      return { sessions: page.map((record) => viewerSessionToProto(record)), nextPageToken };
    },
    async getSessionHistory(request, context) {
      validate(request, SESSION);
      const viewer = await access.viewer(context);
      return { events: historyOf(await access.viewerSession(viewer, request.sessionId)) };
    },
    async resumeSession(request, context) {
      validate(request, SESSION);
      const viewer = await access.viewer(context);
      await access.viewerSession(viewer, request.sessionId);
      const record = await engine.command(request.sessionId, "VIEWER_RESUMED", Actor.VIEWER);
      return { session: viewerSessionToProto(record) };
    },
  };
}
