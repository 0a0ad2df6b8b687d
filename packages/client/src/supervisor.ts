import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { bearer, MonitorService, type Session } from "@screenshare/protocol";
import { type Participant, type RemoteTrack, Room, RoomEvent, Track } from "livekit-client";
import { Emitter } from "./session-stream.js";
import { livekitOf } from "./viewer.js";

export { type Session, SessionState } from "@screenshare/protocol";

/** Events of {@link ScreenShareSupervisor}. */
export type SupervisorEvents = {
  /** The watched sharer's screen is attached to the video element. */
  screen: HTMLVideoElement;
  /** The watched sharer's screen is gone (they are choosing again, or left). */
  screenGone: HTMLVideoElement;
  /** Watching stopped without being asked to: the session ended (its media room closed). */
  ended: string;
  /** Something failed in the background (the media room). */
  error: unknown;
};

/**
 * A supervisor's side (MonitorService): list the org's live shares and watch one as a subscribe-only observer. An
 * observer never changes the session; leaving it (or closing the page) leaves the share going on.
 */
export class ScreenShareSupervisor extends Emitter<SupervisorEvents> {
  private readonly monitor;
  private room: Room | undefined;
  private watching: string | undefined;

  constructor(private readonly options: { serverUrl: string; token: string; video: HTMLVideoElement }) {
    super();
    const transport = createConnectTransport({ baseUrl: options.serverUrl, interceptors: [bearer(() => options.token)] });
    this.monitor = createClient(MonitorService, transport);
  }

  /** The org's live sessions, newest first (every page). */
  async liveSessions(): Promise<Session[]> {
    const sessions: Session[] = [];
    let pageToken = "";
    do {
      const page = await this.monitor.listLiveSessions({ pageSize: 100, pageToken });
      sessions.push(...page.sessions);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return sessions;
  }

  /** The session being watched, if any. */
  get current(): string | undefined {
    return this.watching;
  }

  /** Starts watching `sessionId` (stops watching another first). */
  async watch(sessionId: string): Promise<Session> {
    await this.stopWatching();
    const { session, media } = await this.monitor.observeSession({ sessionId });
    const livekit = livekitOf(media);
    const room = new Room({ adaptiveStream: false, dynacast: false });
    this.room = room;
    this.watching = sessionId;
    const video = this.options.video;
    room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _publication, participant: Participant) => {
      if (track.source !== Track.Source.ScreenShare || !participant.identity.startsWith("sharer-")) return;
      track.attach(video);
      this.emit("screen", video);
    });
    room.on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack) => {
      if (track.source !== Track.Source.ScreenShare) return;
      track.detach(video);
      this.emit("screenGone", video);
    });
    room.on(RoomEvent.Disconnected, () => {
      // Disconnected by the server (the session ended and its room closed), not by stopWatching().
      if (this.room !== room) return;
      this.room = undefined;
      this.watching = undefined;
      this.emit("ended", sessionId);
    });
    await room.connect(livekit.serverUrl, livekit.participantToken);
    return session as Session;
  }

  /** "Stop watching": leaves the media room; the share goes on. */
  async stopWatching(): Promise<void> {
    const room = this.room;
    this.room = undefined;
    this.watching = undefined;
    await room?.disconnect();
  }
}

/** Whether a participant of a session's media room is an observer (a supervisor), by its identity and metadata. */
export function isObserver(participant: Pick<Participant, "identity" | "metadata">): boolean {
  if (!participant.identity.startsWith("observer-")) return false;
  try {
    return (JSON.parse(participant.metadata ?? "{}") as { role?: unknown }).role === "observer";
  } catch {
    // Metadata the server did not write: the identity alone says observer.
    return true;
  }
}
