// Clients for every service with per-caller credentials, and the test fixtures built on them.
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import {
  bearer,
  type Channel,
  InteractionService,
  ServerInfoService,
  type SessionEvent,
  SharerService,
  ViewerService,
  WatchService,
} from "@screenshare/protocol";
import { mintViewerToken, VIEW_PERMISSION } from "@screenshare/server";
import type { ReferenceStack } from "./stack.js";

export type Clients = {
  viewer: Client<typeof ViewerService>;
  sharer: Client<typeof SharerService>;
  platform: Client<typeof InteractionService>;
  watch: Client<typeof WatchService>;
  info: Client<typeof ServerInfoService>;
};

/** A Connect transport over HTTP/1.1 that sends `Authorization: Bearer <token>` (nothing without a token). */
export function bearerTransport(baseUrl: string, token = ""): Transport {
  return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(token)] });
}

/** Clients that send `Authorization: Bearer <token>`. */
export function clientsFor(baseUrl: string, token?: string, transport?: Transport): Clients {
  const t = transport ?? bearerTransport(baseUrl, token);
  return {
    viewer: createClient(ViewerService, t),
    sharer: createClient(SharerService, t),
    platform: createClient(InteractionService, t),
    watch: createClient(WatchService, t),
    info: createClient(ServerInfoService, t),
  };
}

let counter = 0;
/** A unique id for this test run. */
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

/** A viewer with the permission, an interaction of theirs, and clients for both. */
export async function agentWithInteraction(stack: ReferenceStack, channel: Channel, orgId = unique("org")) {
  const agent = unique("agent");
  const interactionId = unique("interaction");
  const token = await mintViewerToken({ ...stack.viewerTokens, org: orgId, sub: agent, permissions: [VIEW_PERMISSION] });
  const platform = clientsFor(stack.server.url, stack.integrationApiKey).platform;
  await platform.registerInteraction({ orgId, interactionId, channel, agentUserId: agent, customerDisplayName: "Customer" });
  return { orgId, agent, interactionId, token, viewer: clientsFor(stack.server.url, token), platform };
}

/** Collects events of a session until it ends or `until` returns true. */
export async function collectEvents(
  watch: Clients["watch"],
  sessionId: string,
  until: (event: SessionEvent) => boolean = () => false,
  afterSequence = 0n,
  timeoutMs = 15_000,
): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    for await (const { event } of watch.watchSession({ sessionId, afterSequence }, { signal })) {
      if (!event) continue;
      events.push(event);
      if (until(event)) break;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  return events;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
