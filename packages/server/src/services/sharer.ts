import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { AcceptInvitationResponseSchema, Actor, type Invitation, type SharerService, StopSharingResponseSchema } from "@screenshare/protocol";
import { bearer } from "../auth.js";
import { invitationOf, sessionToProto } from "../session-view.js";
import { validate } from "../validation.js";
import { ensureLive, kRemoteAddress, MUTATION, SESSION, type ServiceContext } from "./access.js";

/** How often a waiting invitation stream checks that its customer credential is still valid. */
const CREDENTIAL_RECHECK_MS = 5_000;

/** SharerService: the customer's side, by security key (voice) or customer credential (chat), then sharer credential. */
export function sharerService({ engine, access }: ServiceContext): ServiceImpl<typeof SharerService> {
  const invitationAnswer = async (
    request: { sessionId: string; idempotencyKey: string },
    context: HandlerContext,
    type: "INVITATION_ACCEPTED" | "INVITATION_DECLINED",
  ) => {
    validate(request, MUTATION);
    const credential = await engine.credentials.authenticate(bearer(context.requestHeader), "customer");
    const record = await engine.sessionInOrg(request.sessionId, credential.orgId);
    if (record.machine.context.interactionId !== credential.interactionId) {
      throw new ConnectError(`session ${request.sessionId} not found`, Code.NotFound);
    }
    const scope = `customer/${record.id}/${type}/${request.idempotencyKey}`;
    return engine.idempotent(scope, request.idempotencyKey, AcceptInvitationResponseSchema, async () => {
      const answered = await engine.command(record.id, type, Actor.SHARER, "the invitation is no longer pending");
      return create(AcceptInvitationResponseSchema, {
        session: sessionToProto(answered, { withKey: false }),
        sharerCredential: type === "INVITATION_ACCEPTED" ? await engine.sharerCredential(record.id) : "",
      });
    });
  };

  return {
    async redeemSecurityKey(request, context) {
      validate(request, { org_id: "id", security_key: "securityKey", idempotency_key: "optionalIdempotencyKey" });
      return engine.redeemKey(request.orgId, request.securityKey, context.values.get(kRemoteAddress), request.idempotencyKey);
    },
    async *watchInvitations(_request, context) {
      const token = bearer(context.requestHeader);
      const credential = await engine.credentials.authenticate(token, "customer");
      const queue: Invitation[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = await engine.subscribeInvitations(credential.orgId, credential.interactionId, (invitation) => {
        queue.push(invitation);
        wake?.();
      });
      try {
        for (const record of await engine.liveSessionsOn(credential.orgId, credential.interactionId)) {
          const invitation = invitationOf(record);
          if (invitation) yield { invitation };
        }
        while (!context.signal.aborted && (await engine.credentials.lookup(token))) {
          const next = queue.shift();
          if (next) {
            yield { invitation: next };
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            context.signal.addEventListener("abort", () => resolve(), { once: true });
            setTimeout(resolve, CREDENTIAL_RECHECK_MS).unref();
          });
        }
      } finally {
        await unsubscribe();
      }
    },
    acceptInvitation: (request, context) => invitationAnswer(request, context, "INVITATION_ACCEPTED"),
    declineInvitation: async (request, context) => ({ session: (await invitationAnswer(request, context, "INVITATION_DECLINED")).session }),
    async getSharerMediaJoinInfo(request, context) {
      validate(request, SESSION);
      return { media: await engine.joinInfo("sharer", await access.sharerSession(context, request.sessionId)) };
    },
    async stopSharing(request, context) {
      validate(request, MUTATION);
      const record = await access.sharerSession(context, request.sessionId);
      return engine.idempotent(`sharer/${record.id}/stop/${request.idempotencyKey}`, request.idempotencyKey, StopSharingResponseSchema, async () => {
        const stopped = await engine.command(record.id, "SHARER_STOPPED", Actor.SHARER, "the session has ended");
        return create(StopSharingResponseSchema, { session: sessionToProto(stopped, { withKey: false }) });
      });
    },
    async resumeSharing(request, context) {
      validate(request, SESSION);
      ensureLive(await access.sharerSession(context, request.sessionId));
      const record = await engine.command(request.sessionId, "SHARER_RESUMED", Actor.SHARER);
      return { session: sessionToProto(record, { withKey: false }) };
    },
  };
}
