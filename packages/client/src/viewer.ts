import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import {
  bearer,
  type MediaJoinInfo,
  type SecurityKey,
  type Session,
  type SessionEvent,
  SessionState,
  ViewerService,
  WatchService,
} from "@screenshare/protocol";
import { type RemoteTrack, Room, RoomEvent, Track } from "livekit-client";
import { Emitter, followSession } from "./session-stream.js";

export { type Session, type SessionEvent, SessionState } from "@screenshare/protocol";

/** Events of {@link ScreenShareViewer}. */
export type ViewerEvents = {
  /** The session changed: a state change from the watch stream, or a new key or attempt count. */
  session: Session;
  /** One event of the session's watch stream; its `trigger` says what happened (for notices only). */
  event: SessionEvent;
  /** The sharer's screen is attached to the video element. */
  screen: HTMLVideoElement;
  /** The sharer's screen is gone from the media room (the customer is choosing again or has left). */
  screenGone: HTMLVideoElement;
  /**
   * The platform transferred the session's call or chat to another agent and the session went with it: this console
   * no longer has it (its media and its watch stream end; `current` is undefined). The session as it left names the
   * new viewer (`viewerUserId`, `viewerDisplayName`) and this one (`previousViewerUserId`).
   */
  transferred: Session;
  /** Something failed in the background (watching the session, joining the media room). */
  error: unknown;
};

/** How often the key's attempts are read while it awaits redemption: wrong guesses change no session state. */
const KEY_POLL_MS = 2_000;

/**
 * The agent's side: start a share, show the key with its attempts and expiry, watch the session, show the sharer's
 * screen, cancel or leave, and pick up the agent's live session on every start-up (after a refresh, or a console
 * closed and opened again within the grace window).
 */
export class ScreenShareViewer extends Emitter<ViewerEvents> {
  private readonly viewer;
  private readonly watch;
  private session: Session | undefined;
  /** The last key an RPC answered with; watch events never carry it. */
  private key: SecurityKey | undefined;
  private room: Room | undefined;
  private following: AbortController | undefined;
  private keyPoll: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: { serverUrl: string; token: string; video?: HTMLVideoElement }) {
    super();
    const transport = createConnectTransport({ baseUrl: options.serverUrl, interceptors: [bearer(() => options.token)] });
    this.viewer = createClient(ViewerService, transport);
    this.watch = createClient(WatchService, transport);
  }

  /** The current session, if any, with its key while it awaits redemption. */
  get current(): Session | undefined {
    return this.session;
  }

  /**
   * Starts a share on `interactionId` (retries are safe: one idempotency key per call). A viewer runs one share at a
   * time: with a live one this rejects with FAILED_PRECONDITION and a `LiveSessionConflict` detail; {@link resume}
   * picks that one up.
   */
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

  /**
   * "Ask to resume": asks the customer to unpause a paused share. Their page shows the request; only they can
   * resume, so the session stays paused (with `unpauseRequestedAt` set) until they do.
   */
  async askToUnpause(): Promise<Session> {
    const { session } = await this.viewer.askToUnpause({ sessionId: this.sessionId(), idempotencyKey: crypto.randomUUID() });
    return this.update(session as Session);
  }

  /**
   * Finds the agent's live session, if any, and resumes it: call on every start-up. The server is asked, not the
   * browser's storage, so a console closed and opened again finds its session as surely as a refreshed one.
   */
  async resume(): Promise<Session | undefined> {
    const { sessions } = await this.viewer.listSessions({ liveOnly: true, pageSize: 1 });
    const live = sessions[0];
    if (!live) return undefined;
    try {
      const { session } = await this.viewer.resumeSession({ sessionId: live.sessionId });
      return this.follow(session as Session);
    } catch (error) {
      // It ended between the listing and the resume: there is nothing to pick up.
      if (ConnectError.from(error).code === Code.FailedPrecondition) return undefined;
      throw error;
    }
  }

  /** Leaves the media room and stops watching (page unload). */
  async close(): Promise<void> {
    this.following?.abort();
    clearInterval(this.keyPoll);
    await this.room?.disconnect();
  }

  private sessionId(): string {
    if (!this.session) throw new Error("no screen share session: start one first");
    return this.session.sessionId;
  }

  private follow(session: Session): Session {
    this.following?.abort();
    const following = new AbortController();
    this.following = following;
    this.update(session);
    // From the answer's own sequence: older events would show states the session has already left.
    followSession(
      this.watch,
      session.sessionId,
      session.lastSequence,
      (event) => {
        this.emit("event", event);
        if (event.session.viewerUserId === session.viewerUserId) this.update(event.session);
        else this.transferredAway(event.session);
      },
      following.signal,
    ).catch((error) => this.emit("error", error));
    this.joinMedia(session.sessionId).catch((error) => this.emit("error", error));
    return this.session as Session;
  }

  private update(session: Session): Session {
    if (session.securityKey) this.key = session.securityKey;
    // The key stays while the session still waits for it; the viewer's own reconnect does not change that.
    const waitsForKey = session.state === SessionState.AWAITING_KEY_REDEMPTION || session.state === SessionState.RECONNECTING_VIEWER;
    if (!waitsForKey) this.key = undefined;
    this.session = this.key && !session.securityKey ? { ...session, securityKey: this.key } : session;
    this.pollKey(session.state === SessionState.AWAITING_KEY_REDEMPTION);
    if (session.state === SessionState.ENDED) {
      this.following?.abort();
      void this.room?.disconnect();
      this.room = undefined;
    }
    this.emit("session", this.session);
    return this.session;
  }

  /** The session went to another viewer with its interaction: let it go, media and all. */
  private transferredAway(session: Session): void {
    this.following?.abort();
    this.pollKey(false);
    this.key = undefined;
    this.session = undefined;
    void this.room?.disconnect();
    this.room = undefined;
    this.emit("transferred", session);
  }

  /** Reads the key's attempts while it awaits redemption; emits `session` when they change. */
  private pollKey(on: boolean): void {
    if (!on) {
      clearInterval(this.keyPoll);
      this.keyPoll = undefined;
      return;
    }
    this.keyPoll ??= setInterval(() => {
      const current = this.session;
      if (!current) return;
      this.viewer.getSession({ sessionId: current.sessionId }).then(
        ({ session }) => {
          const key = session?.securityKey;
          if (!key || this.session?.sessionId !== current.sessionId) return;
          if (key.key !== this.key?.key || key.attemptsRemaining !== this.key?.attemptsRemaining) {
            this.key = key;
            if (this.session.state === SessionState.AWAITING_KEY_REDEMPTION) this.update({ ...this.session, securityKey: key });
          }
        },
        (error) => this.emit("error", error),
      );
    }, KEY_POLL_MS);
  }

  /** Joins the room subscribe-only and attaches the sharer's screen-share track to the video element. */
  private async joinMedia(sessionId: string): Promise<void> {
    const { media } = await this.viewer.getViewerMediaJoinInfo({ sessionId });
    const livekit = livekitOf(media);
    await this.room?.disconnect();
    const room = new Room({ adaptiveStream: false, dynacast: false });
    this.room = room;
    const video = this.options.video;
    room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
      if (track.source !== Track.Source.ScreenShare || !video) return;
      track.attach(video);
      this.emit("screen", video);
    });
    room.on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack) => {
      if (track.source !== Track.Source.ScreenShare || !video) return;
      track.detach(video);
      this.emit("screenGone", video);
    });
    await room.connect(livekit.serverUrl, livekit.participantToken);
  }
}

/** The LiveKit variant of a join info; other transports are not known to this SDK. */
export function livekitOf(media: MediaJoinInfo | undefined) {
  if (media?.transport.case !== "livekit") throw new Error(`unsupported media transport: ${media?.transport.case ?? "none"}`);
  return media.transport.value;
}
