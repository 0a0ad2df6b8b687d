import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { type MediaJoinInfo, type Session, SessionState, ViewerService, WatchService } from "@screenshare/protocol";
import { type RemoteTrack, Room, RoomEvent, Track } from "livekit-client";
import { Emitter, followSession, withBearer } from "./session-stream.js";

export { SessionState, type Session } from "@screenshare/protocol";

/** Events of {@link ScreenShareViewer}. */
export type ViewerEvents = {
  /** The session changed (every state change, from the server's watch stream). */
  session: Session;
  /** The sharer's screen is attached to the video element. */
  screen: HTMLVideoElement;
};

const STORAGE_KEY = "screenshare.viewer.session";

/**
 * The agent's side: start a share, show the key, watch the session, show the sharer's screen, cancel or leave,
 * and resume after a refresh (the session id is kept in sessionStorage).
 */
export class ScreenShareViewer extends Emitter<ViewerEvents> {
  private readonly viewer;
  private readonly watch;
  private session: Session | undefined;
  private room: Room | undefined;
  private following: AbortController | undefined;

  constructor(private readonly options: { serverUrl: string; token: string; video?: HTMLVideoElement }) {
    super();
    const transport = createConnectTransport({ baseUrl: options.serverUrl, interceptors: [withBearer(() => options.token) as never] });
    this.viewer = createClient(ViewerService, transport);
    this.watch = createClient(WatchService, transport);
  }

  /** The current session, if any. */
  get current(): Session | undefined {
    return this.session;
  }

  /** Starts a share on `interactionId` (retries are safe: one idempotency key per call). */
  async start(interactionId: string): Promise<Session> {
    const { session } = await this.viewer.startScreenShare({ interactionId, idempotencyKey: crypto.randomUUID() });
    return this.follow(session as Session);
  }

  /** Issues a new security key; the old one stops working at once. */
  async regenerateKey(): Promise<Session> {
    const { session } = await this.viewer.regenerateSecurityKey({ sessionId: this.sessionId(), idempotencyKey: crypto.randomUUID() });
    return this.update(session as Session);
  }

  /** "End screen share" before the sharer's screen is shown. */
  async cancel(): Promise<Session> {
    const { session } = await this.viewer.cancelScreenShare({ sessionId: this.sessionId(), idempotencyKey: crypto.randomUUID() });
    return this.update(session as Session);
  }

  /** "Leave session" after sharing started. */
  async leave(): Promise<Session> {
    const { session } = await this.viewer.leaveSession({ sessionId: this.sessionId(), idempotencyKey: crypto.randomUUID() });
    return this.update(session as Session);
  }

  /** After a refresh: picks up the session kept in sessionStorage, if it is still live. */
  async resume(): Promise<Session | undefined> {
    const sessionId = sessionStorage.getItem(STORAGE_KEY);
    if (!sessionId) return undefined;
    try {
      const { session } = await this.viewer.resumeSession({ sessionId });
      return this.follow(session as Session);
    } catch {
      sessionStorage.removeItem(STORAGE_KEY);
      return undefined;
    }
  }

  /** Leaves the media room and stops watching (page unload). */
  async close(): Promise<void> {
    this.following?.abort();
    await this.room?.disconnect();
  }

  private sessionId(): string {
    if (!this.session) throw new Error("no screen share session: start one first");
    return this.session.sessionId;
  }

  private follow(session: Session): Session {
    this.following?.abort();
    this.following = new AbortController();
    sessionStorage.setItem(STORAGE_KEY, session.sessionId);
    this.update(session);
    void followSession(this.watch, session.sessionId, (next) => this.update(withKnownKey(next, this.session)), this.following.signal).catch(() => {});
    void this.joinMedia(session.sessionId);
    return session;
  }

  private update(session: Session): Session {
    this.session = session;
    if (session.state === SessionState.ENDED) {
      sessionStorage.removeItem(STORAGE_KEY);
      void this.room?.disconnect();
      this.room = undefined;
    }
    this.emit("session", session);
    return session;
  }

  /** Joins the room subscribe-only and attaches the sharer's screen-share track to the video element. */
  private async joinMedia(sessionId: string): Promise<void> {
    const { media } = await this.viewer.getViewerMediaJoinInfo({ sessionId });
    const livekit = livekitOf(media);
    await this.room?.disconnect();
    const room = new Room({ adaptiveStream: false, dynacast: false });
    this.room = room;
    room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
      if (track.source !== Track.Source.ScreenShare || !this.options.video) return;
      track.attach(this.options.video);
      this.emit("screen", this.options.video);
    });
    await room.connect(livekit.serverUrl, livekit.participantToken);
  }
}

/**
 * Watch events never carry the security key (only the viewer's RPC responses do), so while the session still
 * awaits redemption the key from the last response stays shown.
 */
function withKnownKey(next: Session, known: Session | undefined): Session {
  if (next.securityKey || next.state !== SessionState.AWAITING_KEY_REDEMPTION || !known?.securityKey) return next;
  return { ...next, securityKey: known.securityKey };
}

/** The LiveKit variant of a join info; other transports are not known to this SDK. */
export function livekitOf(media: MediaJoinInfo | undefined) {
  if (media?.transport.case !== "livekit") throw new Error(`unsupported media transport: ${media?.transport.case ?? "none"}`);
  return media.transport.value;
}
