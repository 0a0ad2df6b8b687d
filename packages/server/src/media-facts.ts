import type { SessionEventType } from "@screenshare/machine";
import { TrackSource, type WebhookEvent } from "livekit-server-sdk";
import { parseIdentity, parseObserverIdentity, sessionOfRoom } from "./media.js";

/** What a LiveKit webhook means for a session. */
export interface MediaFact {
  sessionId: string;
  type: SessionEventType;
  /** When LiveKit created the event (epoch ms; LiveKit counts whole seconds). */
  at: number;
  /** The participant the fact is about; none for the room's end. */
  role?: "viewer" | "sharer";
  /** A participant's connection joined (remember it as its role's latest) or left (counts only if the latest). */
  participant?: { role: "viewer" | "sharer"; sid: string; change: "joined" | "left"; identity: string; transfers: number };
}

/**
 * Translates a verified LiveKit webhook into the machine's fact; undefined when it is about nothing of ours: another
 * room, a participant of another session, a track that is not a screen share.
 */
export function mediaFactOf(event: WebhookEvent): MediaFact | undefined {
  const sessionId = sessionOfRoom(event.room?.name ?? "");
  if (!sessionId) return undefined;
  const participant = event.participant ? parseIdentity(event.participant.identity) : undefined;
  const sid = event.participant?.sid ?? "";
  const at = Number(event.createdAt) * 1000;
  switch (event.event) {
    case "participant_joined":
    case "participant_left": {
      if (!participant || participant.sessionId !== sessionId || !sid) return undefined;
      const joined = event.event === "participant_joined";
      const type = participant.role === "viewer" ? (joined ? "VIEWER_JOINED" : "VIEWER_DISCONNECTED") : joined ? "SHARER_JOINED" : "SHARER_DISCONNECTED";
      const change = joined ? "joined" : "left";
      const { identity } = event.participant as { identity: string };
      return { sessionId, type, at, role: participant.role, participant: { role: participant.role, sid, change, identity, transfers: participant.transfers } };
    }
    case "track_published":
    case "track_unpublished":
      if (participant?.role !== "sharer" || event.track?.source !== TrackSource.SCREEN_SHARE) return undefined;
      return { sessionId, type: event.event === "track_published" ? "SCREEN_TRACK_PUBLISHED" : "SCREEN_TRACK_UNPUBLISHED", at, role: "sharer" };
    case "room_finished":
      return { sessionId, type: "MEDIA_FAILED", at };
    default:
      return undefined;
  }
}

/** What a LiveKit webhook says about an observer: never a fact for the machine (see {@link mediaFactOf}). */
export interface ObserverFact {
  sessionId: string;
  /** The observer's number in its session (its identity `observer-<number>-<session>`). */
  number: number;
  sid: string;
  change: "joined" | "left";
  /** When LiveKit created the event (epoch ms). */
  at: number;
}

/** An observer's joining or leaving the room of one of our sessions; undefined for anything else. */
export function observerFactOf(event: WebhookEvent): ObserverFact | undefined {
  if (event.event !== "participant_joined" && event.event !== "participant_left") return undefined;
  const sessionId = sessionOfRoom(event.room?.name ?? "");
  const observer = parseObserverIdentity(event.participant?.identity ?? "");
  const sid = event.participant?.sid ?? "";
  if (!sessionId || observer?.sessionId !== sessionId || !sid) return undefined;
  return { sessionId, number: observer.number, sid, change: event.event === "participant_joined" ? "joined" : "left", at: Number(event.createdAt) * 1000 };
}
