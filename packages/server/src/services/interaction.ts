import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { Actor, InteractionSchema, type InteractionService, InteractionStatus, TransferInteractionResponseSchema } from "@screenshare/protocol";
import { sessionToProto } from "../session-view.js";
import { invalidArgument, validate } from "../validation.js";
import type { ServiceContext } from "./access.js";

/** InteractionService: the contact-center platform, authenticated by the integration API key. */
export function interactionService({ engine, access }: ServiceContext): ServiceImpl<typeof InteractionService> {
  return {
    async registerInteraction(request, context) {
      access.platform(context);
      validate(request, { org_id: "id", interaction_id: "id", channel: "knownEnum", agent_user_id: "id", customer_display_name: "displayName" });
      if (request.status === InteractionStatus.DISCONNECTED) {
        throw invalidArgument([{ field: "status", description: "must be ALERTING or CONNECTED when registering" }]);
      }
      const interaction = await engine.interactions.register(
        create(InteractionSchema, {
          orgId: request.orgId,
          interactionId: request.interactionId,
          channel: request.channel,
          agentUserId: request.agentUserId,
          customerDisplayName: request.customerDisplayName,
          status: request.status === InteractionStatus.UNSPECIFIED ? InteractionStatus.CONNECTED : request.status,
        }),
      );
      return { interaction };
    },
    async setInteractionStatus(request, context) {
      access.platform(context);
      validate(request, { org_id: "id", interaction_id: "id", status: "knownEnum" });
      if (request.status === InteractionStatus.ALERTING) throw invalidArgument([{ field: "status", description: "must be CONNECTED or DISCONNECTED" }]);
      return engine.setInteractionStatus(request.orgId, request.interactionId, request.status);
    },
    async issueCustomerCredential(request, context) {
      access.platform(context);
      validate(request, { org_id: "id", interaction_id: "id" });
      const interaction = await engine.interactions.get(request.orgId, request.interactionId);
      const { token, expiresAt } = await engine.credentials.issueCustomer(interaction);
      return { customerCredential: token, expiresAt: timestampFromMs(expiresAt) };
    },
    async terminateSession(request, context) {
      access.platform(context);
      validate(request, { org_id: "id", session_id: "id" });
      await engine.sessionInOrg(request.sessionId, request.orgId);
      const record = await engine.command(request.sessionId, "ADMINISTRATOR_TERMINATED", Actor.ADMINISTRATOR);
      return { session: sessionToProto(record) };
    },
    async transferInteraction(request, context) {
      access.platform(context);
      validate(request, {
        org_id: "id",
        interaction_id: "id",
        to_agent_user_id: "id",
        to_agent_display_name: "displayName",
        idempotency_key: "optionalIdempotencyKey",
      });
      const scope = `platform/${request.orgId}/transfer/${request.idempotencyKey}`;
      return engine.idempotent(scope, request.idempotencyKey, TransferInteractionResponseSchema, async () =>
        create(
          TransferInteractionResponseSchema,
          await engine.transfer(request.orgId, request.interactionId, request.toAgentUserId, request.toAgentDisplayName),
        ),
      );
    },
  };
}
