import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { type Client, type Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { Room, RoomEvent, TrackSource } from "@livekit/rtc-node";
import { countFrames, type FrameCounter, type PublishedScreen, publishScreen, receiveFrames } from "@screenshare/devstack";
import {
  bearer,
  type Channel,
  InteractionService,
  type MediaJoinInfo,
  MonitorService,
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
import { CODE_NAMES } from "./contract.js";
import { check, Mismatch } from "./expect.js";
import { DEFAULT_WIRE, TransportFactory } from "./wire.js";

const CODE_OF = new Map<Code, string>([...CODE_NAMES].map(([name, code]) => [code, name]));

/** The permission the protocol requires of viewers. */
export const VIEW_PERMISSION = "screenshare:session:view";
/** The permission the protocol requires of supervisors (MonitorService). */
export const MONITOR_PERMISSION = "screenshare:session:monitor";

export interface Clients {
  viewer: Client<typeof ViewerService>;
  sharer: Client<typeof SharerService>;
  platform: Client<typeof InteractionService>;
  watch: Client<typeof WatchService>;
  info: Client<typeof ServerInfoService>;
  monitor: Client<typeof MonitorService>;
}

/**
 * A viewer token that is wrong in time (already expired, or valid only from an hour on) or made for another
 * deployment (an issuer or audience the server is not configured to accept).
 */
export type TokenTiming = "expired" | "not-yet-valid" | "foreign-issuer" | "foreign-audience";

/** What every case gets: the server, the vendor config, clients and helpers. Cases share nothing else. */
export class CaseContext {
  readonly cleanups: Array<() => Promise<unknown>> = [];
  /** `Service.Method/CODE` of every error the server answered during the case. */
  readonly observed = new Set<string>();
  /** `Service.Method/CODE` of every error answered without a message (errors.proto: every error says what to fix). */
  readonly withoutMessage = new Set<string>();
  private readonly observe: Interceptor = (next) => async (request) => {
    const record = (error: unknown) => {
      const connectError = ConnectError.from(error);
      const answer = `${request.service.name}.${request.method.name}/${CODE_OF.get(connectError.code)}`;
      this.observed.add(answer);
      if (!connectError.rawMessage.trim()) this.withoutMessage.add(answer);
    };
    try {
      const response = await next(request);
      if (!response.stream) return response;
      const messages = response.message;
      return {
        ...response,
        message: (async function* () {
          try {
            yield* messages;
          } catch (error) {
            record(error);
            throw error;
          }
        })(),
      };
    } catch (error) {
      record(error);
      throw error;
    }
  };

  constructor(
    readonly url: string,
    readonly config: VendorConfig,
    readonly info: ServerInfo,
    readonly transports: TransportFactory = new TransportFactory(url, DEFAULT_WIRE),
  ) {}

  /** A transport that sends `Authorization: Bearer <token>` (nothing without a token) on the run's wire. */
  transport(token?: string): Transport {
    return this.transports.create([this.observe, bearer(token ?? "")]);
  }

  /** Clients that send `Authorization: Bearer <token>` (none without a token). */
  clients(token?: string): Clients {
    const transport = this.transport(token);
    return {
      viewer: createClient(ViewerService, transport),
      sharer: createClient(SharerService, transport),
      platform: createClient(InteractionService, transport),
      watch: createClient(WatchService, transport),
      info: createClient(ServerInfoService, transport),
      monitor: createClient(MonitorService, transport),
    };
  }

  get platform() {
    return this.clients(this.config.integrationApiKey).platform;
  }

  /**
   * A viewer token for `user` in `org` with `permissions`, valid for an hour, or wrong in time when `timing` says
   * so. A command token source gets TIMING in its environment for those.
   */
  async viewerToken(org: string, user: string, permissions: string[] = [VIEW_PERMISSION], timing?: TokenTiming): Promise<string> {
    const source = this.config.viewerTokens;
    if (source.kind === "hs256") {
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ org, permissions }).setProtectedHeader({ alg: "HS256" }).setSubject(user);
      const issuer = timing === "foreign-issuer" ? "screenshare-conformance-foreign-issuer" : source.issuer;
      const audience = timing === "foreign-audience" ? "screenshare-conformance-foreign-audience" : source.audience;
      if (issuer) jwt.setIssuer(issuer);
      if (audience) jwt.setAudience(audience);
      if (timing === "expired") jwt.setIssuedAt(now - 7200).setExpirationTime(now - 3600);
      else if (timing === "not-yet-valid")
        jwt
          .setIssuedAt(now)
          .setNotBefore(now + 3600)
          .setExpirationTime(now + 7200);
      else jwt.setIssuedAt(now).setExpirationTime(now + 3600);
      return jwt.sign(new TextEncoder().encode(source.secret));
    }
    const { stdout } = await promisify(execFile)("sh", ["-c", source.command], {
      env: { ...process.env, ORG: org, USER: user, PERMISSIONS: permissions.join(","), TIMING: timing ?? "" },
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

  /** Another agent of `agent`'s org, for `agent`'s interaction once it is transferred to them. */
  async colleague(agent: Agent): Promise<Agent> {
    const user = `agent-${randomUUID()}`;
    const token = await this.viewerToken(agent.org, user);
    return { ...agent, user, token, clients: this.clients(token) };
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

  /** Whether the server disconnects this peer within `timeoutMs` (true at once when it is not connected). */
  disconnected(timeoutMs: number): Promise<boolean> {
    if (!this.room.isConnected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.room.once(RoomEvent.Disconnected, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Counts every frame this peer decodes from now on. */
  countFrames(): FrameCounter {
    return countFrames(this.room);
  }

  async leave(): Promise<void> {
    await this.screen?.stop();
    if (this.room.isConnected) await this.room.disconnect();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The token with its signature's first byte changed: well formed, signed by nobody. */
export function withWrongSignature(token: string): string {
  const [header, payload, signature = ""] = token.split(".");
  const bytes = Buffer.from(signature, "base64url");
  bytes[0] = (bytes[0] ?? 0) ^ 0xff;
  return `${header}.${payload}.${bytes.toString("base64url")}`;
}

/** The token's claims re-sent unsigned with `alg: none`, the classic algorithm confusion. */
export function withAlgorithmNone(token: string): string {
  const payload = token.split(".")[1] ?? "";
  return `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
}
