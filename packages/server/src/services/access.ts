import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";
import { bearer, MONITOR_PERMISSION, sameSecret, type Viewer, viewerVerifier } from "../auth.js";
import type { ResolvedOptions } from "../config.js";
import type { SessionEngine, SessionRecord } from "../engine.js";
import type { FieldRules } from "../validation.js";

/** The remote address of the request's connection, set by the HTTP layer; used to rate-limit key guesses. */
export const kRemoteAddress = createContextKey<string>("unknown", { description: "remote address" });

export const SESSION: FieldRules = { session_id: "id" };
export const MUTATION: FieldRules = { session_id: "id", idempotency_key: "optionalIdempotencyKey" };

/** What every service needs: the engine, and who is calling. */
export interface ServiceContext {
  engine: SessionEngine;
  options: ResolvedOptions;
  access: Access;
}

/** Who a request comes from, and which sessions it may see. */
export type Access = ReturnType<typeof accessRules>;

export function accessRules(engine: SessionEngine, options: ResolvedOptions) {
  const verifyViewer = viewerVerifier(options.viewerTokens);
  const verifySupervisor = viewerVerifier(options.viewerTokens, { permission: MONITOR_PERMISSION });
  const viewerSession = async (viewer: Viewer, sessionId: string): Promise<SessionRecord> => {
    const record = await engine.sessionInOrg(sessionId, viewer.orgId);
    if (record.machine.context.viewerUserId !== viewer.userId) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return record;
  };
  return {
    verifyViewer,
    viewer: (context: HandlerContext): Promise<Viewer> => verifyViewer(bearer(context.requestHeader)),
    /** A supervisor: a viewer token with the monitor permission (the view permission is not enough). */
    supervisor: (context: HandlerContext): Promise<Viewer> => verifySupervisor(bearer(context.requestHeader)),
    /** The viewer's own session; others' sessions are indistinguishable from missing ones. */
    viewerSession,
    /** The session the sharer credential of the request is for. */
    async sharerSession(context: HandlerContext, sessionId: string): Promise<SessionRecord> {
      const credential = await engine.credentials.authenticate(bearer(context.requestHeader), "sharer");
      if (credential.sessionId !== sessionId) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
      return engine.sessionInOrg(sessionId, credential.orgId);
    },
    /** InteractionService is for the contact-center platform only. */
    platform(context: HandlerContext): void {
      if (!sameSecret(bearer(context.requestHeader), options.integrationApiKey)) {
        throw new ConnectError("integration API key rejected", Code.Unauthenticated);
      }
    },
  };
}
