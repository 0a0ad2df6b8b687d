// A demo-only stand-in for the contact-center platform: it serves the built web apps, registers interactions for
// one agent, mints that agent's viewer token and issues chat customers' credentials, using InteractionService with
// the integration API key. Real deployments do this in their own platform; it is never part of the SDK.
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, resolve } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Channel, InteractionService, InteractionStatus } from "@screenshare/protocol";
import { mintViewerToken, VIEW_PERMISSION } from "@screenshare/server";
import type { ReferenceStack } from "@screenshare/server/stack";

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml" };

/** A running platform simulator. */
export interface Platform {
  url: string;
  orgId: string;
  agentId: string;
  /** Registers a new connected interaction for the agent. */
  addInteraction(channel: "voice" | "chat"): Promise<string>;
  disconnect(interactionId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPlatform(stack: ReferenceStack, options: { port?: number; staticDir?: string } = {}): Promise<Platform> {
  const staticDir = options.staticDir ?? resolve(import.meta.dirname, "../dist");
  const orgId = "demo-org";
  const agentId = "agent-1";
  const platform = createClient(
    InteractionService,
    createConnectTransport({
      baseUrl: stack.server.url,
      httpVersion: "1.1",
      interceptors: [(next) => (request) => (request.header.set("authorization", `Bearer ${stack.integrationApiKey}`), next(request))],
    }),
  );
  const interactions: Array<{ interactionId: string; channel: "voice" | "chat" }> = [];
  let counter = 0;
  const addInteraction = async (channel: "voice" | "chat") => {
    const interactionId = `${channel === "voice" ? "call" : "chat"}-${++counter}`;
    await platform.registerInteraction({ orgId, interactionId, channel: channel === "voice" ? Channel.VOICE : Channel.CHAT, agentUserId: agentId, customerDisplayName: "Demo customer" });
    interactions.push({ interactionId, channel });
    return interactionId;
  };
  let url = "";
  const json = (body: unknown) => ({ status: 200, type: "application/json", body: JSON.stringify(body) });
  const routes: Record<string, (query: URLSearchParams) => Promise<{ status: number; type: string; body: string | Buffer }>> = {
    "/platform/agent": async () =>
      json({
        serverUrl: stack.server.url,
        agentId,
        token: await mintViewerToken({ secret: stack.viewerTokenSecret, org: orgId, sub: agentId, permissions: [VIEW_PERMISSION], ttlSeconds: 8 * 3600 }),
        interactions: interactions.map((interaction) => ({ ...interaction, customerUrl: `${url}/customer.html?interaction=${interaction.interactionId}` })),
      }),
    "/platform/customer": async (query) => {
      const interaction = interactions.find((candidate) => candidate.interactionId === query.get("interaction"));
      if (!interaction) return { status: 404, type: "text/plain", body: "no such interaction" };
      const credential =
        interaction.channel === "chat" ? (await platform.issueCustomerCredential({ orgId, interactionId: interaction.interactionId })).customerCredential : undefined;
      return json({ serverUrl: stack.server.url, orgId, channel: interaction.channel, ...(credential && { customerCredential: credential }) });
    },
  };
  const server: Server = createServer(async (request, response) => {
    const target = new URL(request.url ?? "/", "http://localhost");
    try {
      const route = routes[target.pathname];
      const reply = route
        ? await route(target.searchParams)
        : await readFile(join(staticDir, normalize(target.pathname === "/" ? "/index.html" : target.pathname).replace(/^(\.\.[/\\])+/, ""))).then(
            (body) => ({ status: 200, type: TYPES[extname(target.pathname)] ?? "text/html", body }),
            () => ({ status: 404, type: "text/plain", body: "not found" }),
          );
      response.writeHead(reply.status, { "content-type": reply.type }).end(reply.body);
    } catch (error) {
      response.writeHead(500, { "content-type": "text/plain" }).end(String(error));
    }
  });
  await new Promise<void>((done) => server.listen(options.port ?? 0, "127.0.0.1", done));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    url,
    orgId,
    agentId,
    addInteraction,
    disconnect: async (interactionId) => {
      await platform.setInteractionStatus({ orgId, interactionId, status: InteractionStatus.DISCONNECTED });
      interactions.splice(interactions.findIndex((interaction) => interaction.interactionId === interactionId), 1);
    },
    stop: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
