// The suite's fast cases against an in-process reference server, once per store: the test StrykerJS runs for each
// mutant of the server's contract code (scripts/mutation.sh). Not part of the test command.
import { randomUUID } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type RedisHandle, startRedis } from "@screenshare/devstack";
import { type ServerInfo, ServerInfoService } from "@screenshare/protocol";
import { type RunningServer, startServer } from "@screenshare/server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Case } from "../case.js";
import { checkVendorConfig } from "../config.js";
import { runSingle } from "../runner.js";
import { grouped, mutationCases } from "./groups.js";

const tokens = { secret: `mutation-viewer-secret-${randomUUID()}`, issuer: "mutation-issuer", audience: "screenshare" };
const integrationApiKey = `mutation-integration-key-${randomUUID()}`;

/**
 * MUTATION_STORES=memory,redis runs both stores. scripts/mutation.sh mutates the shared code against the memory
 * store and redis-store.ts against Redis: every covering test of a surviving mutant runs, so a second store would
 * double the run for nothing the first one misses.
 */
const stores = (process.env.MUTATION_STORES ?? "memory,redis").split(",") as Array<"memory" | "redis">;

function suite(title: string, store: "memory" | "redis", timerMs: number, cases: Case[]) {
  describe(title, () => {
    let server: RunningServer;
    let redis: RedisHandle | undefined;
    let info: ServerInfo;
    beforeAll(async () => {
      redis = store === "redis" ? await startRedis() : undefined;
      server = await startServer({
        port: 0,
        livekit: inject("livekit" as never) as { url: string; apiKey: string; apiSecret: string },
        viewerTokens: tokens,
        integrationApiKey,
        quiet: true,
        timeouts: {
          securityKeyTtlMs: timerMs,
          acceptanceTimeoutMs: timerMs,
          screenSelectionTimeoutMs: 20_000,
          viewerReconnectGraceMs: 2_000,
          sharerReconnectGraceMs: 2_000,
          maxSessionDurationMs: 60_000,
        },
        limits: { securityKeyMaxAttempts: 3, redeemAttemptsPerClient: 60, redeemAttemptsPerOrg: 20 },
        ...(redis && { store: { kind: "redis" as const, url: redis.url } }),
      });
      info = (await createClient(ServerInfoService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })).getServerInfo({})).info as ServerInfo;
    });
    afterAll(async () => {
      await server?.stop();
      await redis?.stop();
    });
    const config = () =>
      checkVendorConfig({ integrationApiKey, viewerTokens: { kind: "hs256", ...tokens }, orgs: [`mutation-a-${randomUUID()}`, `mutation-b-${randomUUID()}`] });
    for (const [group, members] of grouped(cases)) {
      it(group, async () => {
        // Side by side, as the suite runs against a vendor (runConformance's parallel 6).
        const queue = [...members];
        const failures: string[] = [];
        const worker = async () => {
          for (let item = queue.shift(); item; item = queue.shift()) {
            const result = await runSingle(item, { url: server.url, config: config(), info });
            if (result.status === "failed") failures.push(`${item.name}: ${result.message}`);
          }
        };
        await Promise.all(Array.from({ length: 6 }, worker));
        expect(failures).toEqual([]);
      });
    }
  });
}

// The fast cases first: most mutants die there, before the timer cases' waits.
for (const store of stores) suite(`${store} store`, store, 20_000, mutationCases(store === "redis" ? "store-dependent" : "fast"));
for (const store of stores) suite(`${store} store, 1 s timers`, store, 1_000, mutationCases("timed"));
