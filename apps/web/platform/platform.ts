// A demo-only stand-in for the contact-center platform: it serves the built web apps, registers interactions for
// its agents, transfers them between agents, mints each agent's viewer token and issues chat customers' credentials,
// using InteractionService with the integration API key. Real deployments do this in their own platform; it is never
// part of the SDK.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import { extname, join, normalize, resolve } from "node:path";
import { createClient } from "@connectrpc/connect";
import { Channel, InteractionService, InteractionStatus } from "@screenshare/protocol";
import { MONITOR_PERMISSION, mintViewerToken, VIEW_PERMISSION } from "@screenshare/server";
import { bearerTransport, type ReferenceStack } from "@screenshare/testkit";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/** A running platform simulator. */
export interface Platform {
  url: string;
  orgId: string;
  /** The first agent's id: interactions go to them unless told otherwise. Its console is `/agent.html`. */
  agentId: string;
  /** Every agent; the console of one is `/agent.html?agent=<agentId>`. */
  agents: ReadonlyArray<{ agentId: string; agentName: string }>;
  /** Registers a new connected interaction for an agent (the first unless given); the customer gets the next demo name unless given one. */
  addInteraction(channel: "voice" | "chat", customerName?: string, agentId?: string): Promise<string>;
  /** The call or chat ends: the server ends its screen share, and it leaves the agent's list. */
  disconnect(interactionId: string): Promise<void>;
  /**
   * The call or chat moves to another agent of the demo (`toAgentId`: the server moves its live screen share with it)
   * or, without one, to someone outside the demo: either way it leaves its agent's list.
   */
  transfer(interactionId: string, toAgentId?: string): Promise<void>;
  stop(): Promise<void>;
}

const CUSTOMER_NAMES = ["Maria Garcia", "Sam Okafor", "Lena Schmidt", "Kenji Watanabe", "Aisha Khan", "Tom Brennan"];
const AGENTS = [
  { agentId: "agent-1", agentName: "Alex" },
  { agentId: "agent-2", agentName: "Bo" },
];
const SUPERVISOR_ID = "supervisor-1";

export async function startPlatform(stack: ReferenceStack, options: { port?: number; staticDir?: string } = {}): Promise<Platform> {
  const staticDir = options.staticDir ?? resolve(import.meta.dirname, "../dist");
  const orgId = "demo-org";
  const agentId = AGENTS[0]?.agentId ?? "";
  const nameOf = (id: string) => AGENTS.find((agent) => agent.agentId === id)?.agentName ?? "your agent";
  const platform = createClient(InteractionService, bearerTransport(stack.server.url, stack.integrationApiKey));
  const interactions: Array<{ interactionId: string; channel: "voice" | "chat"; customerName: string; agentId: string }> = [];
  let counter = 0;
  // The agent console listens here and reloads its list when the platform's interactions change.
  const listeners = new Set<ServerResponse>();
  const changed = () => {
    for (const listener of listeners) listener.write("data: interactions\n\n");
  };
  const addInteraction = async (channel: "voice" | "chat", customerName = CUSTOMER_NAMES[counter % CUSTOMER_NAMES.length] ?? "Customer", to = agentId) => {
    const interactionId = `${channel === "voice" ? "call" : "chat"}-${++counter}`;
    await platform.registerInteraction({
      orgId,
      interactionId,
      channel: channel === "voice" ? Channel.VOICE : Channel.CHAT,
      agentUserId: to,
      customerDisplayName: customerName,
    });
    interactions.push({ interactionId, channel, customerName, agentId: to });
    changed();
    return interactionId;
  };
  const transfer = async (interactionId: string, toAgentId?: string) => {
    const interaction = interactions.find((candidate) => candidate.interactionId === interactionId);
    if (!interaction || !toAgentId) return remove(interactionId);
    await platform.transferInteraction({
      orgId,
      interactionId,
      toAgentUserId: toAgentId,
      toAgentDisplayName: nameOf(toAgentId),
      idempotencyKey: randomUUID(),
    });
    interaction.agentId = toAgentId;
    changed();
  };
  const remove = (interactionId: string) => {
    const index = interactions.findIndex((interaction) => interaction.interactionId === interactionId);
    if (index >= 0) interactions.splice(index, 1);
    changed();
  };
  const listed = (agent: string) =>
    interactions
      .filter((interaction) => interaction.agentId === agent)
      .map((interaction) => ({ ...interaction, customerUrl: `${url}/customer.html?interaction=${interaction.interactionId}` }));
  let url = "";
  const json = (body: unknown) => ({ status: 200, type: "application/json", body: JSON.stringify(body) });
  const routes: Record<string, (query: URLSearchParams) => Promise<{ status: number; type: string; body: string | Buffer }>> = {
    "/platform/agent": async (query) => {
      const agent = AGENTS.find((candidate) => candidate.agentId === (query.get("agent") ?? agentId));
      if (!agent) return { status: 404, type: "text/plain", body: "no such agent" };
      return json({
        serverUrl: stack.server.url,
        ...agent,
        token: await mintViewerToken({ ...stack.viewerTokens, org: orgId, sub: agent.agentId, permissions: [VIEW_PERMISSION], ttlSeconds: 8 * 3600 }),
        interactions: listed(agent.agentId),
      });
    },
    "/platform/interactions": async (query) => json(listed(query.get("agent") ?? agentId)),
    // The demo org's supervisor: the monitor permission only, so it can watch shares but never start one.
    "/platform/supervisor": async () =>
      json({
        serverUrl: stack.server.url,
        token: await mintViewerToken({ ...stack.viewerTokens, org: orgId, sub: SUPERVISOR_ID, permissions: [MONITOR_PERMISSION], ttlSeconds: 8 * 3600 }),
      }),
    "/platform/customer": async (query) => {
      const interaction = interactions.find((candidate) => candidate.interactionId === query.get("interaction"));
      if (!interaction) return { status: 404, type: "text/plain", body: "no such interaction" };
      const credential =
        interaction.channel === "chat"
          ? (await platform.issueCustomerCredential({ orgId, interactionId: interaction.interactionId })).customerCredential
          : undefined;
      return json({
        serverUrl: stack.server.url,
        orgId,
        channel: interaction.channel,
        agentName: nameOf(interaction.agentId),
        ...(credential && { customerCredential: credential }),
      });
    },
  };
  const server: Server = createServer(async (request, response) => {
    const target = new URL(request.url ?? "/", "http://localhost");
    if (target.pathname === "/platform/events") {
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" }).write(": listening\n\n");
      listeners.add(response);
      request.on("close", () => listeners.delete(response));
      return;
    }
    try {
      const route = routes[target.pathname];
      const reply = route
        ? await route(target.searchParams)
        : await readFile(join(staticDir, normalize(target.pathname === "/" ? "/index.html" : target.pathname).replace(/^(\.\.[/\\])+/, ""))).then(
            (body) => ({ status: 200, type: TYPES[extname(target.pathname)] ?? "text/html", body }),
            // A file that cannot be read is, to the browser, a file that is not there.
            () => ({ status: 404, type: "text/plain", body: "not found" }),
          );
      response.writeHead(reply.status, { "content-type": reply.type }).end(reply.body);
    } catch (error) {
      console.error(`demo platform: ${request.method} ${request.url} failed`, error);
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
    agents: AGENTS,
    addInteraction,
    disconnect: async (interactionId) => {
      await platform.setInteractionStatus({ orgId, interactionId, status: InteractionStatus.DISCONNECTED });
      remove(interactionId);
    },
    transfer,
    stop: () =>
      new Promise((done) => {
        for (const listener of listeners) listener.end();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
