import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type MediaJoinInfo, MediaJoinInfoSchema } from "@screenshare/protocol";
import { AccessToken, RoomServiceClient, TrackSource, TwirpError, type VideoGrant } from "livekit-server-sdk";
import type { ResolvedOptions } from "./config.js";

/** The LiveKit room of a session. */
export const roomOf = (sessionId: string) => `ss-${sessionId}`;
/** The session of a LiveKit room, if it is one of ours. */
export const sessionOfRoom = (room: string) => (room.startsWith("ss-") ? room.slice(3) : undefined);
/**
 * Identities never collide across sessions: each carries its session id. A viewer's also carries the session's
 * transfer count (from the first transfer on), so the media token of a viewer the session was transferred away
 * from names a participant that is no longer the session's viewer.
 */
export const identityOf = (role: "viewer" | "sharer", sessionId: string, transfers = 0) =>
  role === "viewer" && transfers > 0 ? `viewer.${transfers}-${sessionId}` : `${role}-${sessionId}`;
/**
 * The role, session and (for viewers) transfer count of a party's identity; an observer's identity is none (see
 * {@link parseObserverIdentity}).
 */
export function parseIdentity(identity: string): { role: "viewer" | "sharer"; sessionId: string; transfers: number } | undefined {
  const match = /^(viewer|sharer)(?:\.([1-9]\d{0,8}))?-(.+)$/.exec(identity);
  if (!match || (match[1] === "sharer" && match[2] !== undefined)) return undefined;
  return { role: match[1] as "viewer" | "sharer", sessionId: match[3] as string, transfers: Number(match[2] ?? 0) };
}
/** The identity of a session's `number`th observer (from 1); it can never parse as a party's. */
export const observerIdentityOf = (number: number, sessionId: string) => `observer-${number}-${sessionId}`;
/** The number and session of an observer's identity. */
export function parseObserverIdentity(identity: string): { number: number; sessionId: string } | undefined {
  const match = /^observer-([1-9]\d{0,3})-(.+)$/.exec(identity);
  return match ? { number: Number(match[1]), sessionId: match[2] as string } : undefined;
}
/** What an observer's participant carries, so the parties' pages tell it from the viewer. */
export const OBSERVER_METADATA = JSON.stringify({ role: "observer" });

/** A participant's media credential. */
export interface MediaToken {
  token: string;
  identity: string;
  expiresAt: number;
}

/** What the server needs of the media plane. Every call gives up after `MediaOptions.requestTimeoutMs`. */
/** How a party joins a session's room: the media plane's URL, the room, and the party's own token. */
export function joinInfoOf(media: MediaPlane, sessionId: string, { token, identity, expiresAt }: MediaToken): MediaJoinInfo {
  return create(MediaJoinInfoSchema, {
    transport: {
      case: "livekit",
      value: {
        serverUrl: media.url,
        roomName: roomOf(sessionId),
        participantToken: token,
        participantIdentity: identity,
        tokenExpiresAt: timestampFromMs(expiresAt),
      },
    },
  });
}

export interface MediaPlane {
  createRoom(sessionId: string, maxDurationMs: number): Promise<void>;
  deleteRoom(sessionId: string): Promise<void>;
  /** Resolves when the media plane answers; rejects with the reason when it does not (readiness). */
  ping(): Promise<void>;
  /** The sessions whose rooms exist now, with each room's creation time (epoch ms). */
  listRooms(): Promise<Array<{ sessionId: string; createdAt: number }>>;
  /** A token for `role`; a viewer's identity names the session's transfer count (see {@link identityOf}). */
  token(role: "viewer" | "sharer", sessionId: string, transfers?: number): Promise<MediaToken>;
  /**
   * Has the media plane stop (muted) or start again forwarding the sharer's screen tracks to every subscriber.
   * Resolves when no screen track of the sharer is left in the other state (none published: nothing to do).
   */
  setScreenMuted(sessionId: string, muted: boolean): Promise<void>;
  /**
   * A subscribe-only token of the session's `number`th observer; `hidden` keeps it out of every other party's view
   * of the room (silent monitoring).
   */
  observerToken(sessionId: string, number: number, hidden: boolean): Promise<MediaToken>;
  /** Removes a participant from the session's room at once; resolves also when it is not (or no longer) there. */
  removeParticipant(sessionId: string, identity: string): Promise<void>;
  url: string;
}

/** LiveKit through `livekit-server-sdk`. */
export function liveKitMedia(options: ResolvedOptions): MediaPlane {
  const { url, apiKey, apiSecret } = options.livekit;
  const host = url.replace(/^ws/, "http");
  const rooms = roomService(host, apiKey, apiSecret, options.media.requestTimeoutMs);
  // Muting a track or removing a participant needs an admin grant for its room, so this client signs per call (rare calls).
  const admin = new RoomServiceClient(host, apiKey, apiSecret, { requestTimeout: options.media.requestTimeoutMs / 1000, failover: false });
  return {
    url,
    async createRoom(sessionId, maxDurationMs) {
      // The session, not LiveKit, decides when the room goes: neither an empty room nor one whose parties all left
      // (a reconnect grace) closes before the session's maximum duration.
      const lifetime = Math.ceil(maxDurationMs / 1000);
      await (await rooms()).createRoom({
        name: roomOf(sessionId),
        emptyTimeout: lifetime,
        departureTimeout: lifetime,
        maxParticipants: 2 + options.limits.maxObserversPerSession,
      });
    },
    async deleteRoom(sessionId) {
      await (await rooms()).deleteRoom(roomOf(sessionId));
    },
    async ping() {
      await (await rooms()).listRooms([PING_ROOM]);
    },
    async listRooms() {
      return (await (await rooms()).listRooms()).flatMap((room) => {
        const sessionId = sessionOfRoom(room.name);
        return sessionId ? [{ sessionId, createdAt: Number(room.creationTimeMs) || Number(room.creationTime) * 1000 }] : [];
      });
    },
    async setScreenMuted(sessionId, muted) {
      const room = roomOf(sessionId);
      const identity = identityOf("sharer", sessionId);
      const participants = await admin.listParticipants(room);
      const sharer = participants.find((participant) => participant.identity === identity);
      for (const track of sharer?.tracks ?? []) {
        if (track.source === TrackSource.SCREEN_SHARE && track.muted !== muted) await admin.mutePublishedTrack(room, identity, track.sid, muted);
      }
    },
    async removeParticipant(sessionId, identity) {
      try {
        await admin.removeParticipant(roomOf(sessionId), identity);
      } catch (error) {
        // Already gone (left, or never joined): what removing it was for.
        if (error instanceof TwirpError && error.status === 404) return;
        throw error;
      }
    },
    async token(role, sessionId, transfers = 0) {
      const ttlMs = options.limits.mediaTokenTtlMs;
      const identity = identityOf(role, sessionId, transfers);
      const accessToken = new AccessToken(apiKey, apiSecret, { identity, ttl: Math.ceil(ttlMs / 1000) });
      const grant: VideoGrant =
        role === "sharer"
          ? {
              room: roomOf(sessionId),
              roomJoin: true,
              canPublish: true,
              canPublishSources: [TrackSource.SCREEN_SHARE],
              canPublishData: false,
              canSubscribe: options.faults.has("sharer-token-can-subscribe"),
            }
          : { room: roomOf(sessionId), roomJoin: true, canPublish: false, canPublishData: false, canSubscribe: true };
      accessToken.addGrant(grant);
      return { token: await accessToken.toJwt(), identity, expiresAt: Date.now() + ttlMs };
    },
    async observerToken(sessionId, number, hidden) {
      const ttlMs = options.limits.mediaTokenTtlMs;
      const identity = observerIdentityOf(number, sessionId);
      const accessToken = new AccessToken(apiKey, apiSecret, { identity, name: "Supervisor", metadata: OBSERVER_METADATA, ttl: Math.ceil(ttlMs / 1000) });
      accessToken.addGrant({
        room: roomOf(sessionId),
        roomJoin: true,
        canPublish: false,
        canPublishData: false,
        canPublishSources: [],
        canSubscribe: true,
        // An observer cannot change its own name or metadata into a party's.
        canUpdateOwnMetadata: false,
        hidden,
      });
      return { token: await accessToken.toJwt(), identity, expiresAt: Date.now() + ttlMs };
    },
  };
}

const ROOM_SERVICE_TOKEN_TTL_S = 600;
/** A room name no session has: listing it asks LiveKit for nothing but an answer. */
const PING_ROOM = "ss-readiness-probe";

/**
 * A room service client whose token is signed once and reused until it nears expiry: the SDK otherwise signs a
 * new JWT for every call, which was a measurable share of a lifecycle's CPU (two room calls per session).
 * Create and delete need `roomCreate`; the readiness probe and reconciliation list rooms (`roomList`).
 */
export function roomService(host: string, apiKey: string, apiSecret: string, timeoutMs: number): () => Promise<RoomServiceClient> {
  let current: { client: Promise<RoomServiceClient>; renewAt: number } | undefined;
  return () => {
    if (!current || Date.now() >= current.renewAt) {
      const token = new AccessToken(apiKey, apiSecret, { ttl: ROOM_SERVICE_TOKEN_TTL_S });
      token.addGrant({ roomCreate: true, roomList: true });
      const client = token
        .toJwt()
        .then((signed) => new RoomServiceClient(host, apiKey, apiSecret, { token: signed, requestTimeout: timeoutMs / 1000, failover: false }));
      // A failed signing is not kept: the next call signs again.
      client.catch(() => {
        if (current?.client === client) current = undefined;
      });
      current = {
        client,
        // Renewed at half its life, so a call never carries a token about to lapse.
        renewAt: Date.now() + (ROOM_SERVICE_TOKEN_TTL_S * 1000) / 2,
      };
    }
    return current.client;
  };
}
