import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Room, TrackSource } from "@livekit/rtc-node";
import { type PublishedScreen, publishScreen, receiveFrames } from "@screenshare/devstack";
import {
  Channel,
  InteractionService,
  type MediaJoinInfo,
  type ServerInfo,
  ServerInfoService,
  type Session,
  SessionState,
  SharerService,
  ViewerService,
  WatchService,
} from "@screenshare/protocol";
import { SignJWT } from "jose";
import type { VendorConfig } from "./config.js";
import { check, Mismatch } from "./expect.js";

/** The permission the protocol requires of viewers. */
export const VIEW_PERMISSION = "screenshare:session:view";

export interface Clients {
  viewer: Client<typeof ViewerService>;
  sharer: Client<typeof SharerService>;
  platform: Client<typeof InteractionService>;
  watch: Client<typeof WatchService>;
  info: Client<typeof ServerInfoService>;
}

/** What every case gets: the server, the vendor config, clients and helpers. Cases share nothing else. */
export class CaseContext {
  readonly cleanups: Array<() => Promise<unknown>> = [];

  constructor(
    readonly url: string,
    readonly config: VendorConfig,
    readonly info: ServerInfo,
  ) {}

  /** Clients that send `Authorization: Bearer <token>` (none without a token). */
  clients(token?: string): Clients {
    const transport: Transport = createConnectTransport({
      baseUrl: this.url,
      httpVersion: "1.1",
      interceptors: token ? [(next) => (request) => (request.header.set("authorization", `Bearer ${token}`), next(request))] : [],
    });
    return {
      viewer: createClient(ViewerService, transport),
      sharer: createClient(SharerService, transport),
      platform: createClient(InteractionService, transport),
      watch: createClient(WatchService, transport),
      info: createClient(ServerInfoService, transport),
    };
  }

  get platform() {
    return this.clients(this.config.integrationApiKey).platform;
  }

  /** A viewer token for `user` in `org` with `permissions`. */
  async viewerToken(org: string, user: string, permissions: string[] = [VIEW_PERMISSION]): Promise<string> {
    const source = this.config.viewerTokens;
    if (source.kind === "hs256") {
      return new SignJWT({ org, permissions })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(user)
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(new TextEncoder().encode(source.secret));
    }
    const { stdout } = await promisify(execFile)("sh", ["-c", source.command], {
      env: { ...process.env, ORG: org, USER: user, PERMISSIONS: permissions.join(",") },
    });
    return stdout.trim();
  }

  /** A fresh agent with a registered, connected interaction of `channel`, in the first org unless told. */
  async agent(channel: Channel, org = this.config.orgs[0]): Promise<Agent> {
    const user = `agent-${randomUUID()}`;
    const interactionId = `interaction-${randomUUID()}`;
    await this.platform.registerInteraction({ orgId: org, interactionId, channel, agentUserId: user, customerDisplayName: "Conformance" });
    const token = await this.viewerToken(org, user);
    return { org, user, interactionId, channel, token, clients: this.clients(token) };
  }

  /** Waits until the session (seen by the viewer) is in `state`, polling GetSession. */
  async until(agent: Agent, sessionId: string, state: SessionState, timeoutMs = 8_000): Promise<Session> {
    const deadline = Date.now() + timeoutMs;
    let session: Session | undefined;
    while (Date.now() < deadline) {
      ({ session } = await agent.clients.viewer.getSession({ sessionId }));
      if (session?.state === state) return session;
      await sleep(50);
    }
    throw new Mismatch(`session ${SessionState[state]} within ${timeoutMs} ms`, `${SessionState[session?.state ?? 0]}`);
  }

  /** Joins a LiveKit room with a join info; the peer leaves when the case ends. */
  async join(media: MediaJoinInfo | undefined): Promise<MediaPeer> {
    check(media?.transport.case === "livekit", "a LiveKit join info", media?.transport.case ?? "none");
    const info = media?.transport.value as { serverUrl: string; participantToken: string };
    const room = new Room();
    await room.connect(info.serverUrl, info.participantToken, { autoSubscribe: true, dynacast: false });
    const peer = new MediaPeer(room);
    this.cleanups.push(() => peer.leave());
    return peer;
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.cleanups.splice(0).map((cleanup) => cleanup()));
  }
}

/** An agent and its interaction. */
export interface Agent {
  org: string;
  user: string;
  interactionId: string;
  channel: Channel;
  token: string;
  clients: Clients;
}

/** A headless LiveKit participant. */
export class MediaPeer {
  private screen: PublishedScreen | undefined;

  constructor(readonly room: Room) {}

  /** Publishes a synthetic video track with `source` (screen share by default) and keeps feeding it frames. */
  async publish(source = TrackSource.SOURCE_SCREENSHARE, width = 320, height = 180): Promise<void> {
    this.screen = await publishScreen(this.room, { source, width, height, intervalMs: 50 });
  }

  async unpublish(): Promise<void> {
    await this.screen?.stop();
    this.screen = undefined;
  }

  /** Resolves with the size of the `count`th decoded frame of the first video track received. */
  async frames(count: number): Promise<{ width: number; height: number }> {
    const { width, height } = await receiveFrames(this.room, count);
    return { width, height };
  }

  async leave(): Promise<void> {
    await this.screen?.stop();
    if (this.room.isConnected) await this.room.disconnect();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
