import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { type Invitation, type Session, SessionState, SharerService, WatchService } from "@screenshare/protocol";
import { type LocalVideoTrack, Room } from "livekit-client";
import { publishScreen, screenCaptureOptions } from "./screen-publish.js";
import { Emitter, followSession, withBearer } from "./session-stream.js";
import { livekitOf } from "./viewer.js";

export { SessionState, type Session } from "@screenshare/protocol";

/** Events of {@link ScreenShareSharer}. */
export type SharerEvents = {
  /** The session changed (every state change, from the server's watch stream). */
  session: Session;
  /** A chat invitation to accept or decline. */
  invitation: Invitation;
};

const STORAGE_KEY = "screenshare.sharer";

/**
 * The customer's side: redeem a key (voice) or accept an invitation (chat), choose a screen, publish it for
 * reading text, stop, and resume after a refresh (the picker opens again: browsers keep no capture permission).
 */
export class ScreenShareSharer extends Emitter<SharerEvents> {
  private credential = "";
  private session: Session | undefined;
  private room: Room | undefined;
  private track: LocalVideoTrack | undefined;
  private following: AbortController | undefined;
  private readonly anonymous;

  constructor(private readonly options: { serverUrl: string; orgId: string; customerCredential?: string }) {
    super();
    this.anonymous = this.clients(() => "");
  }

  get current(): Session | undefined {
    return this.session;
  }

  private clients(token: () => string) {
    const transport = createConnectTransport({ baseUrl: this.options.serverUrl, interceptors: [withBearer(token) as never] });
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

  /** Chat: emits `invitation` for each pending invitation until the returned function is called. */
  watchInvitations(): () => void {
    const controller = new AbortController();
    const customer = this.clients(() => this.options.customerCredential ?? "");
    void (async () => {
      for await (const { invitation } of customer.sharer.watchInvitations({}, { signal: controller.signal })) {
        if (invitation) this.emit("invitation", invitation);
      }
    })().catch(() => {});
    return () => controller.abort();
  }

  /** Chat: "Accept". */
  async accept(sessionId: string): Promise<Session> {
    const customer = this.clients(() => this.options.customerCredential ?? "");
    const response = await customer.sharer.acceptInvitation({ sessionId, idempotencyKey: crypto.randomUUID() });
    return this.joined(response.session as Session, response.sharerCredential);
  }

  /** Chat: "Decline". */
  async decline(sessionId: string): Promise<Session> {
    const customer = this.clients(() => this.options.customerCredential ?? "");
    const { session } = await customer.sharer.declineInvitation({ sessionId, idempotencyKey: crypto.randomUUID() });
    return this.update(session as Session);
  }

  /**
   * Opens the screen picker and publishes the chosen screen as LiveKit's screen-share source, tuned for reading
   * text (see {@link publishScreen}). The browser's own "Stop sharing" control ends the session like {@link stop}.
   */
  async share(): Promise<void> {
    const session = this.session;
    if (!session) throw new Error("no screen share session: redeem a key or accept an invitation first");
    const stream = await navigator.mediaDevices.getDisplayMedia(screenCaptureOptions);
    const [mediaTrack] = stream.getVideoTracks();
    if (!mediaTrack) throw new Error("no screen was chosen");
    const { media } = await this.mine.sharer.getSharerMediaJoinInfo({ sessionId: session.sessionId });
    const livekit = livekitOf(media);
    const room = new Room({ adaptiveStream: false, dynacast: false });
    this.room = room;
    await room.connect(livekit.serverUrl, livekit.participantToken);
    this.track = await publishScreen(room.localParticipant, mediaTrack);
    mediaTrack.addEventListener("ended", () => void this.stop());
  }

  /** "Stop sharing" / "End screen share". */
  async stop(): Promise<Session | undefined> {
    const session = this.session;
    this.track?.mediaStreamTrack.stop();
    await this.room?.disconnect();
    this.room = undefined;
    if (!session || session.state === SessionState.ENDED) return session;
    const { session: stopped } = await this.mine.sharer.stopSharing({ sessionId: session.sessionId, idempotencyKey: crypto.randomUUID() });
    return this.update(stopped as Session);
  }

  /** After a refresh: picks up the session kept in sessionStorage; call {@link share} again to choose a screen. */
  async resume(): Promise<Session | undefined> {
    const saved = sessionStorage.getItem(STORAGE_KEY);
    if (!saved) return undefined;
    const { sessionId, credential } = JSON.parse(saved) as { sessionId: string; credential: string };
    this.credential = credential;
    try {
      const { session } = await this.mine.sharer.resumeSharing({ sessionId });
      return this.joined(session as Session, credential);
    } catch {
      sessionStorage.removeItem(STORAGE_KEY);
      return undefined;
    }
  }

  private joined(session: Session, credential: string): Session {
    this.credential = credential;
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ sessionId: session.sessionId, credential }));
    this.following?.abort();
    this.following = new AbortController();
    void followSession(this.mine.watch, session.sessionId, (next) => this.update(next), this.following.signal).catch(() => {});
    return this.update(session);
  }

  private update(session: Session): Session {
    this.session = session;
    if (session.state === SessionState.ENDED) {
      sessionStorage.removeItem(STORAGE_KEY);
      this.track?.mediaStreamTrack.stop();
      void this.room?.disconnect();
    }
    this.emit("session", session);
    return session;
  }
}

