import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { bearer, type Invitation, ScreenSelectionProblem, type Session, SessionState, SharerService, WatchService } from "@screenshare/protocol";
import { type LocalVideoTrack, Room, RoomEvent } from "livekit-client";
import { publishScreen, screenCaptureOptions } from "./screen-publish.js";
import { Emitter, followSession } from "./session-stream.js";
import { isObserver } from "./supervisor.js";
import { livekitOf } from "./viewer.js";

export { type Session, SessionState } from "@screenshare/protocol";

/** Events of {@link ScreenShareSharer}. */
export type SharerEvents = {
  /** The session changed (every state change, from the server's watch stream). */
  session: Session;
  /** A chat invitation to accept or decline. */
  invitation: Invitation;
  /** An invitation is no longer pending (the agent cancelled it, it timed out, or it was answered): remove it. */
  invitationWithdrawn: string;
  /**
   * How many observers (supervisors) are in the media room now. Only an org that announces observers
   * (Session.observers_announced) lets the sharer see them; with silent monitoring this stays 0.
   */
  observers: number;
  /** Something failed in the background (watching the session or the invitations). */
  error: unknown;
};

/** Why {@link ScreenShareSharer.share} produced no screen. */
export type ScreenShareFailure = "unsupported" | "picker-closed";

/** {@link ScreenShareSharer.share} ended without a screen; the agent has been told why. */
export class ScreenShareError extends Error {
  constructor(readonly reason: ScreenShareFailure) {
    super(reason === "unsupported" ? "this browser cannot share a screen" : "the screen picker was closed without choosing a screen");
    this.name = "ScreenShareError";
  }
}

/** Whether this browser can share a screen at all (phone browsers cannot: they have no getDisplayMedia). */
export function canShareScreen(): boolean {
  return typeof navigator.mediaDevices?.getDisplayMedia === "function";
}

const STORAGE_KEY = "screenshare.sharer";

/**
 * The customer's side: redeem a key (voice) or accept an invitation (chat), choose a screen, publish it for
 * reading text, stop, and resume after a refresh (the picker opens again: browsers keep no capture permission).
 * When no screen comes of it (an unsupported browser, a closed picker) the agent is told at once.
 */
export class ScreenShareSharer extends Emitter<SharerEvents> {
  private credential = "";
  private session: Session | undefined;
  private room: Room | undefined;
  private track: LocalVideoTrack | undefined;
  private following: AbortController | undefined;
  private readonly anonymous;
  private readonly customer;

  constructor(private readonly options: { serverUrl: string; orgId: string; customerCredential?: string }) {
    super();
    this.anonymous = this.clients(() => "");
    this.customer = this.clients(() => options.customerCredential ?? "");
  }

  get current(): Session | undefined {
    return this.session;
  }

  /** Whether the chosen screen is being published right now. */
  get publishing(): boolean {
    return this.track !== undefined && this.track.mediaStreamTrack.readyState === "live";
  }

  private clients(token: () => string) {
    const transport = createConnectTransport({ baseUrl: this.options.serverUrl, interceptors: [bearer(token)] });
    return { sharer: createClient(SharerService, transport), watch: createClient(WatchService, transport) };
  }

  private get mine() {
    return this.clients(() => this.credential);
  }

  /** Voice: "Share your screen" with the key the agent read out (spaces and dashes are fine). */
  async redeemKey(securityKey: string): Promise<Session> {
    const response = await this.anonymous.sharer.redeemSecurityKey({ orgId: this.options.orgId, securityKey, idempotencyKey: crypto.randomUUID() });
    return this.joined(response.session as Session, response.sharerCredential);
  }

  /**
   * Chat: emits `invitation` for each pending invitation and `invitationWithdrawn` when one stops being pending,
   * until the returned function is called.
   */
  watchInvitations(): () => void {
    const controller = new AbortController();
    void (async () => {
      while (!controller.signal.aborted) {
        try {
          for await (const change of this.customer.sharer.watchInvitations({}, { signal: controller.signal })) {
            if (change.invitation) this.emit("invitation", change.invitation);
            if (change.withdrawnSessionId) this.emit("invitationWithdrawn", change.withdrawnSessionId);
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          if (ConnectError.from(error).code === Code.Unauthenticated) return this.emit("error", error);
          // Anything else (a server restart, a proxy cutting the stream, UNAVAILABLE) passes: listening again is the remedy.
        }
        // The stream ends when the server restarts or a proxy cuts it: listen again after a pause.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    return () => controller.abort();
  }

  /**
   * Chat: "Accept", then the screen picker at once (the click is the user gesture the browser asks for). Rejects
   * with {@link ScreenShareError} when no screen was chosen; the session then waits for {@link share}.
   */
  async accept(sessionId: string): Promise<Session> {
    const response = await this.customer.sharer.acceptInvitation({ sessionId, idempotencyKey: crypto.randomUUID() });
    const session = this.joined(response.session as Session, response.sharerCredential);
    await this.share();
    return session;
  }

  /** Chat: "Decline". */
  async decline(sessionId: string): Promise<Session> {
    const { session } = await this.customer.sharer.declineInvitation({ sessionId, idempotencyKey: crypto.randomUUID() });
    return this.update(session as Session);
  }

  /**
   * Tells the agent this browser cannot share a screen, which ends the session (SHARER_UNSUPPORTED): for a chat
   * invitation pass its session id; after a key was redeemed, the current session is meant.
   */
  async reportUnsupported(invitationSessionId?: string): Promise<Session> {
    const sessionId = invitationSessionId ?? this.session?.sessionId;
    if (!sessionId) throw new Error("no screen share session or invitation to report on");
    const client = invitationSessionId ? this.customer : this.mine;
    const { session } = await client.sharer.reportScreenSelectionProblem({
      sessionId,
      problem: ScreenSelectionProblem.BROWSER_UNSUPPORTED,
      idempotencyKey: crypto.randomUUID(),
    });
    return this.update(session as Session);
  }

  /**
   * Opens the screen picker and publishes the chosen screen as LiveKit's screen-share source, tuned for reading
   * text (see {@link publishScreen}). The browser's own "Stop sharing" control ends the session like {@link stop}.
   * Rejects with {@link ScreenShareError} when the browser cannot share or the picker was closed, after telling the
   * agent.
   */
  async share(): Promise<void> {
    const session = this.session;
    if (!session) throw new Error("no screen share session: redeem a key or accept an invitation first");
    if (!canShareScreen()) {
      await this.reportUnsupported();
      throw new ScreenShareError("unsupported");
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia(screenCaptureOptions);
    } catch (error) {
      // NotAllowedError: the picker was closed or sharing refused; AbortError: the browser gave up on it.
      if (!(error instanceof DOMException) || (error.name !== "NotAllowedError" && error.name !== "AbortError")) throw error;
      await this.mine.sharer.reportScreenSelectionProblem({
        sessionId: session.sessionId,
        problem: ScreenSelectionProblem.PICKER_CLOSED,
        idempotencyKey: crypto.randomUUID(),
      });
      throw new ScreenShareError("picker-closed");
    }
    const [mediaTrack] = stream.getVideoTracks();
    if (!mediaTrack) throw new ScreenShareError("picker-closed");
    const { media } = await this.mine.sharer.getSharerMediaJoinInfo({ sessionId: session.sessionId });
    const livekit = livekitOf(media);
    await this.room?.disconnect();
    const room = new Room({ adaptiveStream: false, dynacast: false });
    this.room = room;
    const countObservers = () => this.emit("observers", [...room.remoteParticipants.values()].filter(isObserver).length);
    room.on(RoomEvent.ParticipantConnected, countObservers).on(RoomEvent.ParticipantDisconnected, countObservers);
    await room.connect(livekit.serverUrl, livekit.participantToken);
    countObservers();
    this.track = await publishScreen(room.localParticipant, mediaTrack);
    mediaTrack.addEventListener("ended", () => void this.stop().catch((error) => this.emit("error", error)));
  }

  /** "Stop sharing" / "End screen share". */
  async stop(): Promise<Session | undefined> {
    const session = this.session;
    this.track?.mediaStreamTrack.stop();
    this.track = undefined;
    await this.room?.disconnect();
    this.room = undefined;
    if (!session || session.state === SessionState.ENDED) return session;
    const { session: stopped } = await this.mine.sharer.stopSharing({ sessionId: session.sessionId, idempotencyKey: crypto.randomUUID() });
    return this.update(stopped as Session);
  }

  /**
   * "Pause": hides the screen from the agent for a moment (a password to type). The server has the media plane hold
   * the track back whatever this page does; the track is muted here too, so the browser sends nothing. The agent
   * may ask to resume (`Session.unpauseRequestedAt`); only {@link unpause} resumes.
   */
  async pause(): Promise<Session> {
    const { session } = await this.mine.sharer.pauseSharing({ sessionId: this.sessionId(), idempotencyKey: crypto.randomUUID() });
    await this.track?.mute();
    return this.update(session as Session);
  }

  /**
   * "Resume sharing": the same screen again, with no picker. After a reload while paused there is no screen: the
   * session moves to choosing one and the picker opens (the click is the user gesture it needs).
   */
  async unpause(): Promise<Session> {
    // A reloaded page's old connection may be reported gone after the reload resumed: resume again, then unpause.
    if (this.session?.state === SessionState.RECONNECTING_SHARER)
      this.update((await this.mine.sharer.resumeSharing({ sessionId: this.sessionId() })).session as Session);
    const { session } = await this.mine.sharer.unpauseSharing({ sessionId: this.sessionId(), idempotencyKey: crypto.randomUUID() });
    const next = this.update(session as Session);
    // The server unmutes the track too; unmuting here also covers a media plane that refuses remote unmutes.
    if (next.state === SessionState.SHARING) await this.track?.unmute();
    else if (next.state === SessionState.SELECTING_SCREEN) await this.share();
    return this.session ?? next;
  }

  private sessionId(): string {
    if (!this.session) throw new Error("no screen share session: redeem a key or accept an invitation first");
    return this.session.sessionId;
  }

  /**
   * After a refresh: picks up the session kept in sessionStorage; call {@link share} again to choose a screen,
   * unless it comes back paused (`SessionState.PAUSED`): then {@link unpause} chooses the screen when the customer
   * is ready, and nothing is shown meanwhile.
   */
  async resume(): Promise<Session | undefined> {
    const saved = sessionStorage.getItem(STORAGE_KEY);
    if (!saved) return undefined;
    const { sessionId, credential } = JSON.parse(saved) as { sessionId: string; credential: string };
    this.credential = credential;
    try {
      const { session } = await this.mine.sharer.resumeSharing({ sessionId });
      return this.joined(session as Session, credential);
    } catch (error) {
      // A credential dies with its session: an ended session is nothing to resume. Anything else is a real failure.
      const code = ConnectError.from(error).code;
      sessionStorage.removeItem(STORAGE_KEY);
      if (code === Code.Unauthenticated || code === Code.NotFound) return undefined;
      throw error;
    }
  }

  private joined(session: Session, credential: string): Session {
    this.credential = credential;
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ sessionId: session.sessionId, credential }));
    this.following?.abort();
    const following = new AbortController();
    this.following = following;
    followSession(this.mine.watch, session.sessionId, session.lastSequence, (event) => this.update(event.session), following.signal).catch((error) => {
      // The credential dies when the session ends; the ending itself has been reported by then.
      if (this.session?.state !== SessionState.ENDED) this.emit("error", error);
    });
    return this.update(session);
  }

  private update(session: Session): Session {
    this.session = session;
    if (session.state === SessionState.ENDED) {
      sessionStorage.removeItem(STORAGE_KEY);
      this.following?.abort();
      this.track?.mediaStreamTrack.stop();
      this.track = undefined;
      void this.room?.disconnect();
      this.room = undefined;
    }
    this.emit("session", session);
    return session;
  }
}
