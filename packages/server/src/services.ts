import { timingSafeEqual, randomBytes } from "node:crypto";
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, createContextKey, type HandlerContext } from "@connectrpc/connect";
import { lifecycleStateOf } from "@screenshare/machine";
import {
  AcceptInvitationResponseSchema,
  Actor,
  CancelScreenShareResponseSchema,
  Channel,
  InteractionSchema,
  InteractionService,
  InteractionStatus,
  type MediaJoinInfo,
  MediaJoinInfoSchema,
  MediaTransport,
  LeaveSessionResponseSchema,
  RedeemSecurityKeyResponseSchema,
  RegenerateSecurityKeyResponseSchema,
  RetryDelaySchema,
  StartScreenShareResponseSchema,
  StopSharingResponseSchema,
  ServerInfoService,
  SharerService,
  ViewerService,
  WatchService,
  type SessionEvent,
  SessionState,
} from "@screenshare/protocol";
import { bearer, sameSecret, type Viewer, viewerVerifier } from "./auth.js";
import type { ResolvedOptions } from "./config.js";
import type { Credential, SessionEngine, SessionRecord } from "./engine.js";
import { hashKey, normaliseKey } from "./keys.js";
import type { MediaPlane } from "./media.js";
import type { Metrics } from "./metrics.js";
import { type FieldRules, validate } from "./validation.js";

/** The remote address of the request's connection, set by the HTTP layer; used to rate-limit key guesses. */
export const kRemoteAddress = createContextKey<string>("unknown", { description: "remote address" });

const SESSION: FieldRules = { session_id: "id" };
const MUTATION: FieldRules = { session_id: "id", idempotency_key: "optionalIdempotencyKey" };

/** Registers every screenshare.v1 service on `router`. */
export function registerServices(
  router: ConnectRouter,
  engine: SessionEngine,
  media: MediaPlane,
  options: ResolvedOptions,
  metrics: Metrics,
): void {
  const verifyViewer = viewerVerifier(new TextEncoder().encode(options.viewerTokenSecret));
  const store = engine.store;
  /** A retry with the same key returns the first result (shared by every node), never acting twice. */
  const once = async <Schema extends DescMessage>(scope: string, key: string, schema: Schema, work: () => Promise<MessageShape<Schema>>) => {
    if (!key) return work();
    const bytes = await store.idempotent(scope, options.limits.idempotencyRetentionMs, async () => toBinary(schema, await work()));
    return fromBinary(schema, bytes);
  };

  const viewerOf = (context: HandlerContext): Promise<Viewer> => verifyViewer(bearer(context.requestHeader));
  const viewerSession = async (viewer: Viewer, sessionId: string): Promise<SessionRecord> => {
    const record = await engine.sessionInOrg(sessionId, viewer.orgId);
    if (record.machine.context.viewerUserId !== viewer.userId) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return record;
  };
  const credentialOf = async (context: HandlerContext, kind: Credential["kind"]): Promise<Credential> => {
    const credential = await engine.credential(bearer(context.requestHeader));
    if (!credential || credential.kind !== kind || (credential.kind === "customer" && credential.expiresAt < Date.now())) {
      throw new ConnectError(`a valid ${kind} credential is required`, Code.Unauthenticated);
    }
    return credential;
  };
  const sharerSession = async (context: HandlerContext, sessionId: string): Promise<SessionRecord> => {
    const credential = await credentialOf(context, "sharer");
    if (credential.kind !== "sharer" || credential.sessionId !== sessionId) throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    return engine.sessionInOrg(sessionId, credential.orgId);
  };
  const ensureLive = (record: SessionRecord) => {
    if (lifecycleStateOf(record.machine) === "ended") {
      throw new ConnectError(`session ${record.id} has ended; start a new one`, Code.FailedPrecondition);
    }
  };
  const joinInfo = async (role: "viewer" | "sharer", record: SessionRecord): Promise<MediaJoinInfo> => {
    ensureLive(record);
    const { token, identity, expiresAt } = await media.token(role, record.id);
    return create(MediaJoinInfoSchema, {
      transport: {
        case: "livekit",
        value: { serverUrl: media.url, roomName: `ss-${record.id}`, participantToken: token, participantIdentity: identity, tokenExpiresAt: timestampFromMs(expiresAt) },
      },
    });
  };
  const viewerCommand = async <Schema extends typeof CancelScreenShareResponseSchema | typeof LeaveSessionResponseSchema | typeof RegenerateSecurityKeyResponseSchema>(
    context: HandlerContext,
    request: { sessionId: string; idempotencyKey: string },
    schema: Schema,
    type: Parameters<SessionEngine["command"]>[1],
    hint: string,
  ) => {
    validate(request, MUTATION);
    const viewer = await viewerOf(context);
    await viewerSession(viewer, request.sessionId);
    return once(`${viewer.orgId}/${viewer.userId}/${schema.typeName}/${request.idempotencyKey}`, request.idempotencyKey, schema, async () => {
      const record = await engine.command(request.sessionId, type, Actor.VIEWER, hint);
      return create(schema as typeof CancelScreenShareResponseSchema, { session: engine.toProto(record, { withKey: true }) }) as MessageShape<Schema>;
    });
  };

  router.service(ViewerService, {
    async startScreenShare(request, context) {
      validate(request, { interaction_id: "id", idempotency_key: "optionalIdempotencyKey" });
      const viewer = await viewerOf(context);
      return once(`${viewer.orgId}/${viewer.userId}/start/${request.idempotencyKey}`, request.idempotencyKey, StartScreenShareResponseSchema, async () => {
        const interaction = await engine.interaction(viewer.orgId, request.interactionId);
        if (!interaction) throw new ConnectError(`interaction ${request.interactionId} not found`, Code.NotFound);
        if (interaction.agentUserId !== viewer.userId) {
          throw new ConnectError(`interaction ${request.interactionId} is handled by another agent`, Code.PermissionDenied);
        }
        if (interaction.status !== InteractionStatus.CONNECTED) {
          throw new ConnectError(`interaction ${request.interactionId} is ${InteractionStatus[interaction.status]}, not CONNECTED`, Code.FailedPrecondition);
        }
        return create(StartScreenShareResponseSchema, { session: await engine.start(viewer.orgId, viewer.userId, interaction) });
      });
    },
    regenerateSecurityKey: (request, context) =>
      viewerCommand(context, request, RegenerateSecurityKeyResponseSchema, "KEY_REGENERATED", "only a voice session awaiting key redemption has a key"),
    cancelScreenShare: (request, context) =>
      viewerCommand(context, request, CancelScreenShareResponseSchema, "VIEWER_CANCELLED", "sharing already started: use LeaveSession"),
    leaveSession: (request, context) =>
      viewerCommand(context, request, LeaveSessionResponseSchema, "VIEWER_LEFT", "sharing has not started: use CancelScreenShare"),
    async getViewerMediaJoinInfo(request, context) {
      validate(request, SESSION);
      const viewer = await viewerOf(context);
      return { media: await joinInfo("viewer", await viewerSession(viewer, request.sessionId)) };
    },
    async getSession(request, context) {
      validate(request, SESSION);
      const viewer = await viewerOf(context);
      return { session: engine.toProto(await viewerSession(viewer, request.sessionId), { withKey: true }) };
    },
    async listSessions(request, context) {
      validate(request, { page_size: "pageSize" });
      const viewer = await viewerOf(context);
      const offset = request.pageToken === "" ? 0 : Number.parseInt(request.pageToken, 10);
      if (!Number.isSafeInteger(offset) || offset < 0 || String(offset) !== (request.pageToken || "0")) {
        throw new ConnectError("page_token must be a next_page_token this server returned", Code.InvalidArgument);
      }
      const size = request.pageSize || 20;
      const records = await Promise.all((await engine.sessionsOfViewer(viewer.orgId, viewer.userId)).map((id) => engine.getSession(id)));
      const all = records.filter((record): record is SessionRecord => !!record && (!request.liveOnly || lifecycleStateOf(record.machine) !== "ended"));
      const page = all.slice(offset, offset + size);
      return {
        sessions: page.map((record) => engine.toProto(record, { withKey: true })),
        nextPageToken: offset + size < all.length ? String(offset + size) : "",
      };
    },
    async getSessionHistory(request, context) {
      validate(request, SESSION);
      const viewer = await viewerOf(context);
      return { events: engine.historyOf(await viewerSession(viewer, request.sessionId)) };
    },
    async resumeSession(request, context) {
      validate(request, SESSION);
      const viewer = await viewerOf(context);
      ensureLive(await viewerSession(viewer, request.sessionId));
      const record = await engine.command(request.sessionId, "VIEWER_RESUMED", Actor.VIEWER);
      return { session: engine.toProto(record, { withKey: true }) };
    },
  });

  router.service(SharerService, {
    async redeemSecurityKey(request, context) {
      validate(request, { org_id: "id", security_key: "securityKey", idempotency_key: "optionalIdempotencyKey" });
      const length = options.limits.securityKeyLength;
      const key = normaliseKey(request.securityKey, length);
      if (!key) throw new ConnectError(`security_key must be ${length} digits (spaces and dashes are ignored)`, Code.InvalidArgument);
      const client = `client:${context.values.get(kRemoteAddress)}`;
      const org = `org:${request.orgId}`;
      // One redeem at a time per org: every guess is counted before the next is checked, so a burst of parallel
      // guesses cannot overshoot a rate limit or a key's attempt budget.
      return store.withLock(`redeem:${request.orgId}`, async () => {
        const now = Date.now();
        const wait = Math.max(await store.retryAfter(client, now), await store.retryAfter(org, now));
        if (wait > 0) {
          metrics.keyFailures.inc({ reason: "rate_limited" });
          throw new ConnectError(`too many wrong security keys; retry in ${Math.ceil(wait / 1000)} s`, Code.ResourceExhausted, undefined, [
            { desc: RetryDelaySchema, value: create(RetryDelaySchema, { retryAfterMs: BigInt(wait) }) },
          ]);
        }
        const hash = hashKey(options.keyIndexSecret, request.orgId, key);
        return once(`redeem/${hash}/${request.idempotencyKey}`, request.idempotencyKey, RedeemSecurityKeyResponseSchema, async () => {
          const sessionId = await store.getKey(hash);
          const record = sessionId ? await engine.getSession(sessionId) : undefined;
          const stored = record?.securityKey?.key ?? (options.faults.has("accept-used-key") && record ? key : "");
          if (!record || record.machine.context.orgId !== request.orgId || !timingSafeEqual(Buffer.from(stored.padEnd(length)), Buffer.from(key))) {
            await wrongAttempt(request.orgId, client, org);
            throw new ConnectError("no live session has this security key: check the digits, or ask the agent for a new key", Code.NotFound);
          }
          const redeemed = record.securityKey ? await engine.command(record.id, "KEY_REDEEMED", Actor.SHARER) : record;
          return create(RedeemSecurityKeyResponseSchema, {
            session: engine.toProto(redeemed, { withKey: false }),
            sharerCredential: await engine.sharerCredential(record.id),
          });
        });
      });
    },
    async *watchInvitations(_request, context) {
      const credential = await credentialOf(context, "customer");
      if (credential.kind !== "customer") return;
      const queue: Array<import("@screenshare/protocol").Invitation> = [];
      let wake: (() => void) | undefined;
      const unsubscribe = await engine.subscribeInvitations(credential.orgId, credential.interactionId, (invitation) => {
        queue.push(invitation);
        wake?.();
      });
      try {
        for (const record of await engine.liveSessionsOn(credential.orgId, credential.interactionId)) {
          const invitation = engine.invitationOf(record);
          if (invitation) yield { invitation };
        }
        while (!context.signal.aborted && (await engine.credential(bearer(context.requestHeader)))) {
          const next = queue.shift();
          if (next) {
            yield { invitation: next };
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            context.signal.addEventListener("abort", () => resolve(), { once: true });
            setTimeout(resolve, 5_000).unref();
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
      return { media: await joinInfo("sharer", await sharerSession(context, request.sessionId)) };
    },
    async stopSharing(request, context) {
      validate(request, MUTATION);
      const record = await sharerSession(context, request.sessionId);
      return once(`sharer/${record.id}/stop/${request.idempotencyKey}`, request.idempotencyKey, StopSharingResponseSchema, async () => {
        const stopped = await engine.command(record.id, "SHARER_STOPPED", Actor.SHARER, "the session has ended");
        return create(StopSharingResponseSchema, { session: engine.toProto(stopped, { withKey: false }) });
      });
    },
    async resumeSharing(request, context) {
      validate(request, SESSION);
      ensureLive(await sharerSession(context, request.sessionId));
      const record = await engine.command(request.sessionId, "SHARER_RESUMED", Actor.SHARER);
      return { session: engine.toProto(record, { withKey: false }) };
    },
  });

  async function invitationAnswer(
    request: { sessionId: string; idempotencyKey: string },
    context: HandlerContext,
    type: "INVITATION_ACCEPTED" | "INVITATION_DECLINED",
  ) {
    validate(request, MUTATION);
    const credential = await credentialOf(context, "customer");
    const record = await engine.sessionInOrg(request.sessionId, credential.orgId);
    if (credential.kind !== "customer" || record.machine.context.interactionId !== credential.interactionId) {
      throw new ConnectError(`session ${request.sessionId} not found`, Code.NotFound);
    }
    return once(`customer/${record.id}/${type}/${request.idempotencyKey}`, request.idempotencyKey, AcceptInvitationResponseSchema, async () => {
      const answered = await engine.command(record.id, type, Actor.SHARER, "the invitation is no longer pending");
      const session = engine.toProto(answered, { withKey: false });
      return create(AcceptInvitationResponseSchema, {
        session,
        sharerCredential: type === "INVITATION_ACCEPTED" ? await engine.sharerCredential(record.id) : "",
      });
    });
  }

  async function wrongAttempt(orgId: string, client: string, org: string): Promise<void> {
    metrics.keyFailures.inc({ reason: "wrong_key" });
    const { limits } = options;
    await store.failAttempt(client, limits.redeemAttemptsPerClient, limits.redeemWindowMs, Date.now());
    await store.failAttempt(org, limits.redeemAttemptsPerOrg, limits.redeemWindowMs, Date.now());
    // A wrong guess cannot be pinned on one key, so it costs every live key of the org an attempt.
    for (const sessionId of await store.orgKeySessions(orgId)) {
      await engine.update(sessionId, async (record) => {
        const key = record.securityKey;
        if (!key || key.attemptsRemaining <= 0) return false;
        key.attemptsRemaining--;
        if (key.attemptsRemaining === 0) await store.deleteKey(orgId, key.hash, sessionId);
        return true;
      });
    }
  }

  const platform = (context: HandlerContext) => {
    if (!sameSecret(bearer(context.requestHeader), options.integrationApiKey)) {
      throw new ConnectError("integration API key rejected", Code.Unauthenticated);
    }
  };
  const interactionOf = async (orgId: string, interactionId: string) => {
    const interaction = await engine.interaction(orgId, interactionId);
    if (!interaction) throw new ConnectError(`interaction ${interactionId} not found in org ${orgId}`, Code.NotFound);
    return interaction;
  };

  router.service(InteractionService, {
    async registerInteraction(request, context) {
      platform(context);
      validate(request, { org_id: "id", interaction_id: "id", channel: "knownEnum", agent_user_id: "id", customer_display_name: "displayName" });
      if (request.status === InteractionStatus.DISCONNECTED) {
        throw new ConnectError("status must be ALERTING or CONNECTED when registering", Code.InvalidArgument);
      }
      const known = await engine.interaction(request.orgId, request.interactionId);
      if (known) {
        if (known.channel !== request.channel || known.agentUserId !== request.agentUserId) {
          throw new ConnectError(`interaction ${request.interactionId} is registered with another channel or agent`, Code.AlreadyExists);
        }
        return { interaction: known };
      }
      const interaction = create(InteractionSchema, {
        orgId: request.orgId,
        interactionId: request.interactionId,
        channel: request.channel,
        agentUserId: request.agentUserId,
        customerDisplayName: request.customerDisplayName,
        status: request.status === InteractionStatus.UNSPECIFIED ? InteractionStatus.CONNECTED : request.status,
      });
      await engine.saveInteraction(interaction);
      return { interaction };
    },
    async setInteractionStatus(request, context) {
      platform(context);
      validate(request, { org_id: "id", interaction_id: "id", status: "knownEnum" });
      if (request.status === InteractionStatus.ALERTING) throw new ConnectError("status must be CONNECTED or DISCONNECTED", Code.InvalidArgument);
      const interaction = await interactionOf(request.orgId, request.interactionId);
      if (interaction.status === InteractionStatus.DISCONNECTED) {
        throw new ConnectError(`interaction ${request.interactionId} is already disconnected`, Code.FailedPrecondition);
      }
      const endedSessions = await engine.setInteractionStatus(interaction, request.status);
      return { interaction, endedSessions };
    },
    async issueCustomerCredential(request, context) {
      platform(context);
      validate(request, { org_id: "id", interaction_id: "id" });
      const interaction = await interactionOf(request.orgId, request.interactionId);
      if (interaction.channel !== Channel.CHAT) throw new ConnectError("customer credentials are for chat interactions; voice customers redeem a security key", Code.FailedPrecondition);
      if (interaction.status === InteractionStatus.DISCONNECTED) throw new ConnectError(`interaction ${request.interactionId} is disconnected`, Code.FailedPrecondition);
      const token = `cus_${randomBytes(24).toString("base64url")}`;
      const expiresAt = Date.now() + options.limits.customerCredentialTtlMs;
      await store.putCredential(token, { kind: "customer", orgId: request.orgId, interactionId: request.interactionId, expiresAt }, options.limits.customerCredentialTtlMs);
      return { customerCredential: token, expiresAt: timestampFromMs(expiresAt) };
    },
    async terminateSession(request, context) {
      platform(context);
      validate(request, { org_id: "id", session_id: "id" });
      await engine.sessionInOrg(request.sessionId, request.orgId);
      const record = await engine.command(request.sessionId, "ADMINISTRATOR_TERMINATED", Actor.ADMINISTRATOR, "the session has ended");
      return { session: engine.toProto(record, { withKey: false }) };
    },
  });

  router.service(WatchService, {
    async *watchSession(request, context) {
      validate(request, SESSION);
      const token = bearer(context.requestHeader);
      const credential = await engine.credential(token);
      const owned =
        credential?.kind === "sharer"
          ? credential.sessionId === request.sessionId
            ? await engine.sessionInOrg(request.sessionId, credential.orgId)
            : undefined
          : await viewerSession(await verifyViewer(token), request.sessionId);
      if (!owned) throw new ConnectError(`session ${request.sessionId} not found`, Code.NotFound);
      const last = BigInt(owned.lastSequence);
      if (request.afterSequence > last) {
        throw new ConnectError(`after_sequence ${request.afterSequence} is beyond the session's last sequence ${last}`, Code.InvalidArgument);
      }
      // Subscribe before replaying, so no event falls between the replay and the live tail.
      const queue: SessionEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = await engine.subscribe(owned.id, (event) => {
        queue.push(event);
        wake?.();
      });
      try {
        let sent = request.afterSequence;
        const record = (await engine.getSession(owned.id)) ?? owned;
        const pending = engine.historyOf(record).filter((event) => event.sequence > sent);
        while (!context.signal.aborted) {
          const event = pending.shift() ?? queue.shift();
          if (!event) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              context.signal.addEventListener("abort", () => resolve(), { once: true });
            });
            continue;
          }
          if (event.sequence <= sent) continue;
          sent = event.sequence;
          yield { event };
          if (event.session?.state === SessionState.ENDED) return;
        }
      } finally {
        await unsubscribe();
      }
    },
  });

  router.service(ServerInfoService, {
    async getServerInfo() {
      const seconds = (ms: number) => Math.round(ms / 1000);
      const { timeouts, limits } = options;
      return {
        info: {
          protocolVersion: "screenshare.v1",
          implementation: "screenshare-reference/0.1.0",
          securityKeyLength: limits.securityKeyLength,
          securityKeyTtlSeconds: seconds(timeouts.securityKeyTtlMs),
          securityKeyMaxAttempts: limits.securityKeyMaxAttempts,
          redeemAttemptsPerClient: limits.redeemAttemptsPerClient,
          redeemAttemptsPerOrg: limits.redeemAttemptsPerOrg,
          redeemWindowSeconds: seconds(limits.redeemWindowMs),
          acceptanceTimeoutSeconds: seconds(timeouts.acceptanceTimeoutMs),
          screenSelectionTimeoutSeconds: seconds(timeouts.screenSelectionTimeoutMs),
          viewerReconnectGraceSeconds: seconds(timeouts.viewerReconnectGraceMs),
          sharerReconnectGraceSeconds: seconds(timeouts.sharerReconnectGraceMs),
          maxSessionDurationSeconds: seconds(timeouts.maxSessionDurationMs),
          idempotencyRetentionSeconds: seconds(limits.idempotencyRetentionMs),
          mediaTransports: [MediaTransport.LIVEKIT],
        },
      };
    },
  });
}
