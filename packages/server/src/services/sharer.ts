import { createHash } from "node:crypto";
import { create, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  AcceptInvitationResponseSchema,
  Actor,
  DeclineInvitationResponseSchema,
  PauseSharingResponseSchema,
  ReportScreenSelectionProblemResponseSchema,
  ScreenSelectionProblem,
  type SharerService,
  StopSharingResponseSchema,
  UnpauseSharingResponseSchema,
  type WatchInvitationsResponse,
} from "@screenshare/protocol";
import { bearer } from "../auth.js";
import type { SessionRecord } from "../engine.js";
import { invitationOf, sessionToProto } from "../session-view.js";
import { validate } from "../validation.js";
import { kRemoteAddress, MUTATION, SESSION, type ServiceContext } from "./access.js";
import { wakeUps } from "./wake-ups.js";

/** How often a waiting invitation stream checks that its customer credential is still valid. */
const CREDENTIAL_RECHECK_MS = 5_000;

/** The machine event each problem reports. Typed so that a problem added to the proto does not compile until it has one. */
const PROBLEM_EVENTS: Record<Exclude<ScreenSelectionProblem, ScreenSelectionProblem.UNSPECIFIED>, "SCREEN_PICKER_CLOSED" | "SHARER_UNSUPPORTED"> = {
  [ScreenSelectionProblem.PICKER_CLOSED]: "SCREEN_PICKER_CLOSED",
  [ScreenSelectionProblem.BROWSER_UNSUPPORTED]: "SHARER_UNSUPPORTED",
};

/** SharerService: the customer's side, by security key (voice) or customer credential (chat), then sharer credential. */
export function sharerService({ engine, access }: ServiceContext): ServiceImpl<typeof SharerService> {
  /** A session on the chat customer's own interaction. */
  const customerSession = async (context: HandlerContext, sessionId: string) => {
    const credential = await engine.credentials.authenticate(bearer(context.requestHeader), "customer");
    const record = await engine.sessionInOrg(sessionId, credential.orgId);
    if (record.machine.context.interactionId !== credential.interactionId) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return record;
  };
  /** The customer answers the chat's invitation; `respond` makes the response from the answered session. */
  const invitationAnswer = async <Schema extends typeof AcceptInvitationResponseSchema | typeof DeclineInvitationResponseSchema>(
    request: { sessionId: string; idempotencyKey: string },
    context: HandlerContext,
    type: "INVITATION_ACCEPTED" | "INVITATION_DECLINED",
    schema: Schema,
    respond: (answered: SessionRecord) => Promise<MessageInitShape<Schema>>,
  ): Promise<MessageShape<Schema>> => {
    validate(request, MUTATION);
    const record = await customerSession(context, request.sessionId);
    const scope = `customer/${record.id}/${type}/${request.idempotencyKey}`;
    return engine.idempotent(scope, request.idempotencyKey, schema, async () =>
      create(schema, await respond(await engine.command(record.id, type, Actor.SHARER))),
    );
  };

  const pauseCommand = async <Schema extends typeof PauseSharingResponseSchema | typeof UnpauseSharingResponseSchema>(
    request: { sessionId: string; idempotencyKey: string },
    context: HandlerContext,
    schema: Schema,
    type: "SHARER_PAUSED" | "SHARER_UNPAUSED",
  ): Promise<MessageShape<Schema>> => {
    validate(request, MUTATION);
    const record = await access.sharerSession(context, request.sessionId);
    const scope = `sharer/${record.id}/${type}/${request.idempotencyKey}`;
    return engine.idempotent(scope, request.idempotencyKey, schema, async () => {
      const next = await engine.command(record.id, type, Actor.SHARER);
      return create(schema as typeof PauseSharingResponseSchema, { session: sessionToProto(next) }) as MessageShape<Schema>;
    });
  };

  return {
    async redeemSecurityKey(request, context) {
      validate(request, { org_id: "id", security_key: "securityKey", idempotency_key: "optionalIdempotencyKey" });
      return engine.redeemKey(request.orgId, request.securityKey, context.values.get(kRemoteAddress), request.idempotencyKey);
    },
    async *watchInvitations(_request, context) {
      const credential = await engine.credentials.authenticate(bearer(context.requestHeader), "customer");
      const changes = wakeUps<WatchInvitationsResponse>(
        (listener) => engine.subscribeInvitations(credential.orgId, credential.interactionId, listener),
        CREDENTIAL_RECHECK_MS,
        context.signal,
      );
      try {
        // Subscribed once the first wake-up comes: then the invitations pending now, then each change.
        await changes.next();
        for (const record of await engine.liveSessionsOn(credential.orgId, credential.interactionId)) {
          const invitation = invitationOf(record);
          if (invitation) yield { invitation };
        }
        for await (const change of changes) {
          if (change) yield change;
          // The stream ends with the credential: when it expires or the chat disconnects (after the withdrawal of the
          // invitation the disconnect ended).
          if (!(await engine.credentials.customerValid(credential))) return;
        }
      } finally {
        // Also when the stream stops before it waits for a change (the client left while pending ones were sent).
        await changes.return();
      }
    },
    acceptInvitation: (request, context) =>
      invitationAnswer(request, context, "INVITATION_ACCEPTED", AcceptInvitationResponseSchema, async (answered) => ({
        session: sessionToProto(answered),
        sharerCredential: await engine.sharerCredential(answered.id),
      })),
    declineInvitation: (request, context) =>
      invitationAnswer(request, context, "INVITATION_DECLINED", DeclineInvitationResponseSchema, async (answered) => ({ session: sessionToProto(answered) })),
    async getSharerMediaJoinInfo(request, context) {
      validate(request, SESSION);
      return { media: await engine.joinInfo("sharer", await access.sharerSession(context, request.sessionId)) };
    },
    async stopSharing(request, context) {
      validate(request, MUTATION);
      // The first result is kept under the credential that asked (hashed): the session's end revokes that
      // credential, and a retry whose first answer was lost must still get it, but nobody else may.
      const asker = createHash("sha256").update(bearer(context.requestHeader)).digest("base64url");
      const scope = `sharer/${asker}/${request.sessionId}/stop/${request.idempotencyKey}`;
      return engine.idempotent(scope, request.idempotencyKey, StopSharingResponseSchema, async () => {
        const record = await access.sharerSession(context, request.sessionId);
        const stopped = await engine.command(record.id, "SHARER_STOPPED", Actor.SHARER);
        return create(StopSharingResponseSchema, { session: sessionToProto(stopped) });
      });
    },
    async reportScreenSelectionProblem(request, context) {
      validate(request, { ...MUTATION, problem: "knownEnum" });
      // UNSPECIFIED is refused just above and an undeclared number before the call (validateEnums), so every problem left has its event.
      const type = PROBLEM_EVENTS[request.problem as keyof typeof PROBLEM_EVENTS];
      // A chat customer on a browser that cannot share says so on the invitation itself, before any sharer credential.
      const asCustomer = type === "SHARER_UNSUPPORTED" && (await engine.credentials.lookup(bearer(context.requestHeader)))?.kind === "customer";
      const record = asCustomer ? await customerSession(context, request.sessionId) : await access.sharerSession(context, request.sessionId);
      const scope = `sharer/${record.id}/${type}/${request.idempotencyKey}`;
      return engine.idempotent(scope, request.idempotencyKey, ReportScreenSelectionProblemResponseSchema, async () => {
        const next = await engine.command(record.id, type, Actor.SHARER);
        return create(ReportScreenSelectionProblemResponseSchema, { session: sessionToProto(next) });
      });
    },
    pauseSharing: (request, context) => pauseCommand(request, context, PauseSharingResponseSchema, "SHARER_PAUSED"),
    unpauseSharing: (request, context) => pauseCommand(request, context, UnpauseSharingResponseSchema, "SHARER_UNPAUSED"),
    async resumeSharing(request, context) {
      validate(request, SESSION);
      await access.sharerSession(context, request.sessionId);
      const record = await engine.command(request.sessionId, "SHARER_RESUMED", Actor.SHARER);
      return { session: sessionToProto(record) };
    },
  };
}
