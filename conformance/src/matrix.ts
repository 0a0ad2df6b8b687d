// Long on purpose: one table of RPC specs (credentials, field rules, documented errors) and the generator that turns
// it into cases; the table is the part that grows, one entry per RPC, and reads best in one place.
import { randomUUID } from "node:crypto";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Channel, FieldViolationSchema, InteractionStatus, ScreenSelectionProblem, SessionState } from "@screenshare/protocol";
import type { Case } from "./case.js";
import type { Agent, CaseContext } from "./context.js";
import { MONITOR_PERMISSION, VIEW_PERMISSION, withAlgorithmNone, withWrongSignature } from "./context.js";
import { CODE_NAMES, type CredentialKind, deriveContract, type RpcContract, undeclaredNumbers, withEnumValue } from "./contract.js";
import { check, equal, Mismatch } from "./expect.js";

/** What a call answered: a code (undefined for success), its message, the responses, and whether a stream was still open. */
export interface Outcome {
  code: Code | undefined;
  error?: ConnectError;
  message: string;
  responses: unknown[];
  open: boolean;
}

const describe = (outcome: Outcome) =>
  outcome.code === undefined
    ? outcome.open
      ? `an open stream after ${outcome.responses.length} responses`
      : "success"
    : `${Code[outcome.code]}: ${outcome.message}`;

/** Calls any RPC by its descriptor; a stream is read until it closes, `take` responses arrived or `timeoutMs` passed. */
export async function invoke(
  context: CaseContext,
  rpc: RpcContract,
  request: object,
  token: string | undefined,
  { take = Number.POSITIVE_INFINITY, timeoutMs = 4_000 } = {},
): Promise<Outcome> {
  const client = createClient(rpc.service, context.transport(token)) as unknown as Record<string, (request: object, options?: object) => unknown>;
  const call = client[rpc.method.localName];
  if (!call) throw new Error(`no client method for ${rpc.id}`);
  const responses: unknown[] = [];
  // Only a stream is cut short: it may rightly stay open. A unary call waits for its answer (the run's case timeout bounds it).
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    if (rpc.method.methodKind === "unary") return { code: undefined, message: "", responses: [await call(request)], open: false };
    for await (const response of call(request, { signal }) as AsyncIterable<unknown>) {
      responses.push(response);
      if (responses.length >= take) return { code: undefined, message: "", responses, open: true };
    }
    return { code: undefined, message: "", responses, open: false };
  } catch (error) {
    if (signal.aborted && rpc.method.methodKind !== "unary") return { code: undefined, message: "", responses, open: true };
    const connectError = ConnectError.from(error);
    return { code: connectError.code, error: connectError, message: connectError.rawMessage, responses, open: false };
  }
}

function expectCode(outcome: Outcome, code: Code, what: string): void {
  if (outcome.code !== code) throw new Mismatch(`${what} to answer ${Code[code]}`, describe(outcome));
}

/** Everything one matrix case needs: an agent, a live session of theirs, and the credentials around it. */
export interface Fixture {
  agent: Agent;
  sessionId: string;
  /** The voice session's security key. */
  key: string;
  /** A chat fixture's customer credential. */
  customer: string;
  /** A redeemed fixture's sharer credential. */
  sharer: string;
  /** A supervisor of the agent's org (user `supervisorUser`): a token with the monitor permission only. */
  supervisor: string;
  supervisorUser: string;
}

/** The state a fixture is built to: an interaction only, a session awaiting its sharer, or a redeemed key. */
type Setup = "voice-interaction" | "chat-interaction" | "voice" | "chat" | "redeemed";

async function fixture(context: CaseContext, setup: Setup, org = context.config.orgs[0]): Promise<Fixture> {
  const channel = setup === "chat" || setup === "chat-interaction" ? Channel.CHAT : Channel.VOICE;
  const agent = await context.agent(channel, org);
  const customer =
    channel === Channel.CHAT
      ? (await context.platform.issueCustomerCredential({ orgId: agent.org, interactionId: agent.interactionId })).customerCredential
      : "";
  const supervisorUser = `supervisor-${randomUUID()}`;
  const supervisor = await context.viewerToken(agent.org, supervisorUser, [MONITOR_PERMISSION]);
  if (setup === "voice-interaction" || setup === "chat-interaction") return { agent, sessionId: "", key: "", customer, sharer: "", supervisor, supervisorUser };
  const { session } = await agent.clients.viewer.startScreenShare({ interactionId: agent.interactionId });
  const sessionId = session?.sessionId ?? "";
  const key = session?.securityKey?.key ?? "";
  const sharer = setup === "redeemed" ? (await context.clients().sharer.redeemSecurityKey({ orgId: agent.org, securityKey: key })).sharerCredential : "";
  return { agent, sessionId, key, customer, sharer, supervisor, supervisorUser };
}

/** Ends a fixture's session the way its viewer does before sharing starts. */
async function end(fixture: Fixture): Promise<void> {
  await fixture.agent.clients.viewer.cancelScreenShare({ sessionId: fixture.sessionId });
}

/** How each RPC is called in a valid way, called wrongly, and what it answers on an ended session. */
interface RpcSpec {
  setup: Setup | ((kind: CredentialKind) => Setup);
  request(fixture: Fixture, context: CaseContext): object;
  /** A request with a malformed field, for RPCs that document INVALID_ARGUMENT. */
  invalid?(fixture: Fixture, context: CaseContext): object;
  /** What the RPC answers its own party on an ended session, as its comment says. */
  ended?: Code | "ok" | "stream-closes";
}

const BAD_ID = "not an id!";
const session = (fixture: Fixture) => ({ sessionId: fixture.sessionId });
const badSession = () => ({ sessionId: BAD_ID });

/**
 * The suite's knowledge of each RPC, keyed by `Service.Method`. An RPC of the proto that is missing here gets
 * failing cases ("the suite has no spec for …") for every rule its comments imply, so it cannot slip through.
 */
export const RPC_SPECS: Record<string, RpcSpec> = {
  "ViewerService.StartScreenShare": {
    setup: "voice-interaction",
    request: (f) => ({ interactionId: f.agent.interactionId }),
    invalid: () => ({ interactionId: BAD_ID }),
  },
  "ViewerService.RegenerateSecurityKey": { setup: "voice", request: session, invalid: badSession, ended: Code.FailedPrecondition },
  "ViewerService.CancelScreenShare": { setup: "voice", request: session, invalid: badSession, ended: Code.FailedPrecondition },
  "ViewerService.LeaveSession": { setup: "voice", request: session, invalid: badSession, ended: Code.FailedPrecondition },
  "ViewerService.GetViewerMediaJoinInfo": { setup: "voice", request: session, invalid: badSession, ended: Code.FailedPrecondition },
  "ViewerService.GetSession": { setup: "voice", request: session, invalid: badSession, ended: "ok" },
  "ViewerService.ListSessions": { setup: "voice", request: () => ({}), invalid: () => ({ pageSize: 101 }) },
  "ViewerService.GetSessionHistory": { setup: "voice", request: session, invalid: badSession, ended: "ok" },
  "ViewerService.ResumeSession": { setup: "voice", request: session, invalid: badSession, ended: Code.FailedPrecondition },
  "ViewerService.AskToUnpause": { setup: "voice", request: session, invalid: badSession, ended: Code.FailedPrecondition },
  "SharerService.RedeemSecurityKey": {
    setup: "voice",
    request: (f) => ({ orgId: f.agent.org, securityKey: f.key }),
    invalid: (f) => ({ orgId: f.agent.org, securityKey: "12a" }),
  },
  "SharerService.WatchInvitations": { setup: "chat", request: () => ({}) },
  "SharerService.AcceptInvitation": { setup: "chat", request: session, invalid: badSession, ended: Code.FailedPrecondition },
  "SharerService.DeclineInvitation": { setup: "chat", request: session, invalid: badSession, ended: Code.FailedPrecondition },
  "SharerService.GetSharerMediaJoinInfo": { setup: "redeemed", request: session, invalid: badSession, ended: Code.Unauthenticated },
  "SharerService.StopSharing": { setup: "redeemed", request: session, invalid: badSession, ended: Code.Unauthenticated },
  "SharerService.ResumeSharing": { setup: "redeemed", request: session, invalid: badSession, ended: Code.Unauthenticated },
  "SharerService.ReportScreenSelectionProblem": {
    // The chat customer reports only BROWSER_UNSUPPORTED, on the pending invitation; the sharer may report either.
    setup: (kind) => (kind === "customer" ? "chat" : "redeemed"),
    request: (f) => ({ sessionId: f.sessionId, problem: f.sharer ? ScreenSelectionProblem.PICKER_CLOSED : ScreenSelectionProblem.BROWSER_UNSUPPORTED }),
    invalid: (f) => ({ sessionId: f.sessionId, problem: ScreenSelectionProblem.UNSPECIFIED }),
    ended: Code.Unauthenticated,
  },
  "SharerService.PauseSharing": { setup: "redeemed", request: session, invalid: badSession, ended: Code.Unauthenticated },
  "SharerService.UnpauseSharing": { setup: "redeemed", request: session, invalid: badSession, ended: Code.Unauthenticated },
  "InteractionService.RegisterInteraction": {
    setup: "voice-interaction",
    request: (f) => ({ orgId: f.agent.org, interactionId: `interaction-${randomUUID()}`, channel: Channel.VOICE, agentUserId: f.agent.user }),
    invalid: (f) => ({ orgId: f.agent.org, interactionId: `interaction-${randomUUID()}`, channel: Channel.UNSPECIFIED, agentUserId: f.agent.user }),
  },
  "InteractionService.SetInteractionStatus": {
    setup: "voice-interaction",
    request: (f) => ({ orgId: f.agent.org, interactionId: f.agent.interactionId, status: InteractionStatus.CONNECTED }),
    invalid: (f) => ({ orgId: f.agent.org, interactionId: f.agent.interactionId, status: InteractionStatus.UNSPECIFIED }),
  },
  "InteractionService.IssueCustomerCredential": {
    setup: "chat-interaction",
    request: (f) => ({ orgId: f.agent.org, interactionId: f.agent.interactionId }),
    invalid: (f) => ({ orgId: f.agent.org, interactionId: BAD_ID }),
  },
  "InteractionService.TerminateSession": {
    setup: "voice",
    request: (f) => ({ orgId: f.agent.org, sessionId: f.sessionId }),
    invalid: (f) => ({ orgId: f.agent.org, sessionId: BAD_ID }),
    ended: Code.FailedPrecondition,
  },
  "InteractionService.TransferInteraction": {
    setup: "voice-interaction",
    // To the agent who has it already: valid, and it changes nothing.
    request: (f) => ({ orgId: f.agent.org, interactionId: f.agent.interactionId, toAgentUserId: f.agent.user }),
    invalid: (f) => ({ orgId: f.agent.org, interactionId: f.agent.interactionId, toAgentUserId: BAD_ID }),
  },
  "WatchService.WatchSession": {
    setup: (kind) => (kind === "sharer" ? "redeemed" : "voice"),
    request: session,
    invalid: (f) => ({ sessionId: f.sessionId, afterSequence: 1_000n }),
    ended: "stream-closes",
  },
  "ServerInfoService.GetServerInfo": { setup: "voice-interaction", request: () => ({}) },
  "MonitorService.ListLiveSessions": { setup: "voice", request: () => ({}), invalid: () => ({ pageSize: 101 }) },
  "MonitorService.GetMonitoredSession": { setup: "voice", request: session, invalid: badSession, ended: "ok" },
  "MonitorService.ObserveSession": { setup: "voice", request: session, invalid: badSession, ended: Code.FailedPrecondition },
};

/** The credential `kind` of a fixture. */
function credential(context: CaseContext, fixture: Fixture, kind: CredentialKind): string | undefined {
  return {
    none: undefined,
    viewer: fixture.agent.token,
    supervisor: fixture.supervisor,
    integration: context.config.integrationApiKey,
    customer: fixture.customer,
    sharer: fixture.sharer,
  }[kind];
}

const setupOf = (spec: RpcSpec, kind: CredentialKind): Setup => (typeof spec.setup === "function" ? spec.setup(kind) : spec.setup);

/** The error rule a case checks when it expects `code` from an RPC that documents it. */
const errorRule = (rpc: RpcContract, code: Code) => {
  const name = [...CODE_NAMES].find(([, value]) => value === code)?.[0] ?? "";
  return rpc.errors.includes(name) ? [`${rpc.id}/error/${name}`] : [];
};

/** Two NOT_FOUND answers are indistinguishable when their messages match once each names its own id as `<id>`. */
function indistinguishable(probe: Outcome, probeId: string, never: Outcome, neverId: string, what: string): void {
  expectCode(never, Code.NotFound, `${what} with an id that never existed`);
  expectCode(probe, Code.NotFound, what);
  const a = probe.message.split(probeId).join("<id>");
  const b = never.message.split(neverId).join("<id>");
  check(a === b, `${what} to answer exactly as for an id that never existed ("${b}")`, a);
}

type Variant = { name: string; expect: Code; token(context: CaseContext, fixture: Fixture): Promise<string | undefined> };

const VARIANTS: Record<Exclude<CredentialKind, "none">, Variant[]> = {
  viewer: [
    { name: "no-token", expect: Code.Unauthenticated, token: async () => undefined },
    { name: "wrong-signature", expect: Code.Unauthenticated, token: async (_c, f) => withWrongSignature(f.agent.token) },
    { name: "expired", expect: Code.Unauthenticated, token: (c, f) => c.viewerToken(f.agent.org, f.agent.user, [VIEW_PERMISSION], "expired") },
    { name: "not-yet-valid", expect: Code.Unauthenticated, token: (c, f) => c.viewerToken(f.agent.org, f.agent.user, [VIEW_PERMISSION], "not-yet-valid") },
    { name: "wrong-algorithm", expect: Code.Unauthenticated, token: async (_c, f) => withAlgorithmNone(f.agent.token) },
    { name: "foreign-issuer", expect: Code.Unauthenticated, token: (c, f) => c.viewerToken(f.agent.org, f.agent.user, [VIEW_PERMISSION], "foreign-issuer") },
    {
      name: "foreign-audience",
      expect: Code.Unauthenticated,
      token: (c, f) => c.viewerToken(f.agent.org, f.agent.user, [VIEW_PERMISSION], "foreign-audience"),
    },
    { name: "missing-permission", expect: Code.PermissionDenied, token: (c, f) => c.viewerToken(f.agent.org, f.agent.user, ["screenshare:session:other"]) },
  ],
  supervisor: [
    { name: "no-token", expect: Code.Unauthenticated, token: async () => undefined },
    { name: "wrong-signature", expect: Code.Unauthenticated, token: async (_c, f) => withWrongSignature(f.supervisor) },
    ...(["expired", "not-yet-valid", "foreign-issuer", "foreign-audience"] as const).map((timing) => ({
      name: timing,
      expect: Code.Unauthenticated,
      token: (c: CaseContext, f: Fixture) => c.viewerToken(f.agent.org, f.supervisorUser, [MONITOR_PERMISSION], timing),
    })),
    { name: "wrong-algorithm", expect: Code.Unauthenticated, token: async (_c, f) => withAlgorithmNone(f.supervisor) },
    { name: "missing-permission", expect: Code.PermissionDenied, token: (c, f) => c.viewerToken(f.agent.org, f.supervisorUser, ["screenshare:session:other"]) },
    // The agent's own token: screenshare:session:view does not stand in for the monitor permission.
    { name: "view-permission-only", expect: Code.PermissionDenied, token: async (_c, f) => f.agent.token },
  ],
  integration: [
    { name: "no-key", expect: Code.Unauthenticated, token: async () => undefined },
    { name: "wrong-key", expect: Code.Unauthenticated, token: async (c) => `${c.config.integrationApiKey}-wrong` },
  ],
  sharer: [
    { name: "no-credential", expect: Code.Unauthenticated, token: async () => undefined },
    { name: "wrong-credential", expect: Code.Unauthenticated, token: async () => `not-a-credential-${randomUUID()}` },
    { name: "other-session", expect: Code.NotFound, token: async (c) => (await fixture(c, "redeemed")).sharer },
  ],
  customer: [
    { name: "no-credential", expect: Code.Unauthenticated, token: async () => undefined },
    { name: "wrong-credential", expect: Code.Unauthenticated, token: async () => `not-a-credential-${randomUUID()}` },
  ],
};

function authCases(rpc: RpcContract, spec: RpcSpec): Case[] {
  const cases: Case[] = [];
  for (const kind of rpc.credentials) {
    const prefix = `matrix/${rpc.id}/auth/${kind}`;
    if (kind === "none") {
      cases.push({
        name: `${prefix}/none-needed`,
        covers: [`${rpc.id}/auth/none/none-needed`],
        async run(context) {
          const f = await fixture(context, setupOf(spec, kind));
          const outcome = await invoke(context, rpc, spec.request(f, context), undefined, { take: 1 });
          check(outcome.code === undefined, `${rpc.id} without credentials to succeed`, describe(outcome));
        },
      });
      continue;
    }
    for (const variant of VARIANTS[kind]) {
      cases.push({
        name: `${prefix}/${variant.name}`,
        covers: [`${rpc.id}/auth/${kind}/${variant.name}`, ...errorRule(rpc, variant.expect)],
        async run(context) {
          const f = await fixture(context, setupOf(spec, kind));
          const outcome = await invoke(context, rpc, spec.request(f, context), await variant.token(context, f), { take: 1 });
          expectCode(outcome, variant.expect, `${rpc.id} with ${kind} credential "${variant.name}"`);
        },
      });
    }
    if (kind === "sharer") {
      cases.push({
        name: `${prefix}/ended-session`,
        covers: [`${rpc.id}/auth/sharer/ended-session`, ...errorRule(rpc, Code.Unauthenticated)],
        async run(context) {
          const f = await fixture(context, "redeemed");
          await end(f);
          expectCode(
            await invoke(context, rpc, spec.request(f, context), f.sharer, { take: 1 }),
            Code.Unauthenticated,
            `${rpc.id} with the sharer credential of an ended session`,
          );
        },
      });
    }
    if (kind === "customer") {
      cases.push({
        name: `${prefix}/other-interaction`,
        covers: [`${rpc.id}/auth/customer/other-interaction`, ...(rpc.takesSession ? errorRule(rpc, Code.NotFound) : [])],
        async run(context) {
          const f = await fixture(context, "chat");
          const other = await fixture(context, "chat-interaction");
          const outcome = await invoke(context, rpc, spec.request(f, context), other.customer, { timeoutMs: 800 });
          if (rpc.takesSession) {
            expectCode(outcome, Code.NotFound, `${rpc.id} with the customer credential of another chat`);
          } else {
            const leaked = JSON.stringify(outcome.responses, (_k, v) => (typeof v === "bigint" ? String(v) : v)).includes(f.sessionId);
            check(!leaked, `${rpc.id} with another chat's credential to show none of this chat's invitations`, describe(outcome));
          }
        },
      });
    }
  }
  return cases;
}

function isolationCases(rpc: RpcContract, spec: RpcSpec): Case[] {
  const cases: Case[] = [];
  const strangers: Array<
    [string, (context: CaseContext, owner: Fixture) => Promise<{ token: string | undefined; request: (f: Fixture, id: string) => object }>]
  > = [];
  if (rpc.takesSession && rpc.credentials.includes("viewer")) {
    const asViewer = (org: (c: CaseContext) => string) => async (context: CaseContext) => {
      const stranger = await context.agent(Channel.VOICE, org(context));
      return { token: stranger.token, request: (f: Fixture, id: string) => ({ ...spec.request(f, context), sessionId: id }) };
    };
    strangers.push(["other-org", asViewer((c) => c.config.orgs[1])], ["other-viewer", asViewer((c) => c.config.orgs[0])]);
  } else if (rpc.takesSession && rpc.credentials.includes("supervisor")) {
    strangers.push([
      "other-org",
      async (context) => ({
        token: await context.viewerToken(context.config.orgs[1], `supervisor-${randomUUID()}`, [MONITOR_PERMISSION]),
        request: (f, id) => ({ ...spec.request(f, context), sessionId: id }),
      }),
    ]);
  } else if (rpc.takesOrgAndSession) {
    strangers.push([
      "other-org",
      async (context) => ({
        token: context.config.integrationApiKey,
        request: (f, id) => ({ ...spec.request(f, context), orgId: context.config.orgs[1], sessionId: id }),
      }),
    ]);
  }
  for (const [name, stranger] of strangers) {
    cases.push({
      name: `matrix/${rpc.id}/isolation/${name}`,
      covers: [`${rpc.id}/isolation/${name}`, ...errorRule(rpc, Code.NotFound)],
      async run(context) {
        const owner = await fixture(context, "voice");
        const { token, request } = await stranger(context, owner);
        const never = randomUUID();
        const probe = async (what: string) =>
          indistinguishable(
            await invoke(context, rpc, request(owner, owner.sessionId), token, { take: 1 }),
            owner.sessionId,
            await invoke(context, rpc, request(owner, never), token, { take: 1 }),
            never,
            `${rpc.id} on ${what} session of ${name === "other-org" ? "another org" : "another viewer of the same org"}`,
          );
        await probe("a live");
        await end(owner);
        await probe("an ended");
      },
    });
  }
  if (rpc.listsSessions && rpc.credentials.includes("supervisor")) cases.push(orgLiveSessionsCase(rpc, spec));
  else if (rpc.listsSessions) {
    cases.push({
      name: `matrix/${rpc.id}/isolation/only-callers-sessions`,
      covers: [`${rpc.id}/isolation/only-callers-sessions`],
      async run(context) {
        const owner = await fixture(context, "voice");
        await end(owner);
        const { session } = await owner.agent.clients.viewer.startScreenShare({ interactionId: owner.agent.interactionId });
        await fixture(context, "voice", context.config.orgs[0]);
        await fixture(context, "voice", context.config.orgs[1]);
        const ids = async (request: object) => {
          const outcome = await invoke(context, rpc, { ...spec.request(owner, context), ...request }, owner.agent.token);
          check(outcome.code === undefined, `${rpc.id} to succeed`, describe(outcome));
          return ((outcome.responses[0] as { sessions: Array<{ sessionId: string }> }).sessions ?? []).map((item) => item.sessionId).join(",");
        };
        check((await ids({})) === `${session?.sessionId},${owner.sessionId}`, `exactly the caller's 2 sessions, newest first`, await ids({}));
        check((await ids({ liveOnly: true })) === `${session?.sessionId}`, "exactly the caller's live session with live_only", await ids({ liveOnly: true }));
      },
    });
  }
  return cases;
}

/** A supervisor's list: the org's live sessions, whoever's they are; never an ended one, never another org's. */
function orgLiveSessionsCase(rpc: RpcContract, spec: RpcSpec): Case {
  return {
    name: `matrix/${rpc.id}/isolation/only-org-live-sessions`,
    covers: [`${rpc.id}/isolation/only-org-live-sessions`],
    async run(context) {
      // Redeemed: its screen-selection timeout outlives the case, where a short key TTL might not.
      const live = await fixture(context, "redeemed");
      const ended = await fixture(context, "voice");
      await end(ended);
      const otherOrg = await fixture(context, "voice", context.config.orgs[1]);
      const listed: Array<{ sessionId: string; orgId: string; state: SessionState; createdAt?: { seconds: bigint; nanos: number } }> = [];
      for (let pageToken = "", pages = 0; pages === 0 || (pageToken !== "" && pages < 50); pages++) {
        const outcome = await invoke(context, rpc, { ...spec.request(live, context), pageSize: 100, pageToken }, live.supervisor);
        check(outcome.code === undefined, `${rpc.id} to succeed`, describe(outcome));
        const response = outcome.responses[0] as { sessions: typeof listed; nextPageToken: string };
        listed.push(...response.sessions);
        pageToken = response.nextPageToken;
      }
      const ids = new Set(listed.map((item) => item.sessionId));
      check(ids.has(live.sessionId), "the org's live session (of another user) to be listed", [...ids].join(","));
      check(!ids.has(ended.sessionId), "the org's ended session not to be listed", "listed");
      check(!ids.has(otherOrg.sessionId), "another org's live session not to be listed", "listed");
      const millis = (item: (typeof listed)[number]) => Number(item.createdAt?.seconds ?? 0n) * 1000 + (item.createdAt?.nanos ?? 0) / 1e6;
      const unordered = listed.findIndex((item, index) => index > 0 && millis(item) > millis(listed[index - 1] as (typeof listed)[number]));
      check(unordered < 0, "the sessions newest first", `${listed[unordered]?.sessionId} listed after an older one`);
      const stranger = listed.find((item) => item.orgId !== live.agent.org || item.state === SessionState.ENDED);
      check(!stranger, "only live sessions of the caller's org", `${stranger?.sessionId} of ${stranger?.orgId} in ${SessionState[stranger?.state ?? 0]}`);
    },
  };
}

function endedCase(rpc: RpcContract, spec: RpcSpec): Case[] {
  if (!rpc.takesSession || spec.ended === undefined) return [];
  const expected = spec.ended;
  const kind = rpc.credentials.includes("viewer") ? "viewer" : (rpc.credentials[0] as CredentialKind);
  return [
    {
      name: `matrix/${rpc.id}/ended-session`,
      covers: [`${rpc.id}/ended-session`, ...(typeof expected === "number" ? errorRule(rpc, expected) : [])],
      async run(context) {
        const f = await fixture(context, setupOf(spec, kind));
        await end(f);
        const outcome = await invoke(context, rpc, spec.request(f, context), credential(context, f, kind));
        const what = `${rpc.id} on an ended session`;
        if (typeof expected === "number") return expectCode(outcome, expected, what);
        check(
          outcome.code === undefined && !outcome.open,
          `${what} to succeed${expected === "stream-closes" ? " and close the stream" : ""}`,
          describe(outcome),
        );
        if (expected === "stream-closes") {
          const last = outcome.responses.at(-1) as { event?: { session?: { state: SessionState } } } | undefined;
          check(last?.event?.session?.state === SessionState.ENDED, "the stream's last event to show the session ENDED", describe(outcome));
        }
      },
    },
  ];
}

function invalidCase(rpc: RpcContract, spec: RpcSpec): Case[] {
  if (!rpc.errors.includes("INVALID_ARGUMENT") || !spec.invalid) return [];
  const invalid = spec.invalid;
  const kind = rpc.credentials[0] as CredentialKind;
  return [
    {
      name: `matrix/${rpc.id}/error/INVALID_ARGUMENT`,
      covers: [`${rpc.id}/error/INVALID_ARGUMENT`],
      async run(context) {
        const f = await fixture(context, setupOf(spec, kind));
        const outcome = await invoke(context, rpc, invalid(f, context), credential(context, f, kind), { take: 1 });
        expectCode(outcome, Code.InvalidArgument, `${rpc.id} with a malformed field`);
        // errors.proto: a FieldViolation per bad field, naming the field as the .proto does and saying what to fix.
        const violations = outcome.error?.findDetails(FieldViolationSchema) ?? [];
        const fields = new Set(rpc.method.input.fields.map((field) => field.name));
        check(violations.length > 0, "a FieldViolation detail", "none");
        for (const violation of violations) {
          check(fields.has(violation.field), `FieldViolation.field one of ${[...fields].join(", ")}`, violation.field);
          check(violation.description.length > 0, `a description of what is wrong with ${violation.field}`, "empty");
          check(outcome.message.includes(violation.field), `the message to name ${violation.field}`, outcome.message);
        }
      },
    },
  ];
}

/**
 * errors.proto: an enum field holding a number its enum does not declare is a bad field, on every RPC and codec. The
 * rest of the request is valid, so the one violation must be that field's.
 */
function undeclaredEnumCases(rpc: RpcContract, spec: RpcSpec): Case[] {
  const kind = rpc.credentials[0] as CredentialKind;
  return rpc.enumFields.map((field) => ({
    name: `matrix/${rpc.id}/undeclared-enum/${field.path}`,
    covers: [`${rpc.id}/undeclared-enum/${field.path}`, ...errorRule(rpc, Code.InvalidArgument)],
    async run(context) {
      const f = await fixture(context, setupOf(spec, kind));
      for (const number of undeclaredNumbers(field.enum)) {
        const request = withEnumValue(spec.request(f, context), field, number);
        const outcome = await invoke(context, rpc, request, credential(context, f, kind), { take: 1 });
        expectCode(outcome, Code.InvalidArgument, `${rpc.id} with ${field.path} = ${number}, a number ${field.enum.name} does not declare`);
        const violations = outcome.error?.findDetails(FieldViolationSchema) ?? [];
        equal(violations.map((violation) => violation.field).join(","), field.path, `the FieldViolation.field of each violation (${number})`);
        const named = new Set(violations[0]?.description.split(/[^A-Za-z0-9_]+/));
        const unnamed = field.enum.values.filter((value) => !named.has(value.name)).map((value) => value.name);
        check(unnamed.length === 0, `the description to name each value of ${field.enum.name} (missing ${unnamed.join(", ")})`, violations[0]?.description);
        check(outcome.message.includes(field.path), `the message to name ${field.path}`, outcome.message);
      }
    },
  }));
}

/** The matrix: for every RPC of the proto, the cases its comments imply. */
export function matrixCases(contract: readonly RpcContract[] = deriveContract()): Case[] {
  return contract.flatMap((rpc) => {
    const spec = RPC_SPECS[rpc.id];
    if (!spec) {
      return rpc.rules.map((rule) => ({
        name: `matrix/${rule}`,
        covers: [],
        async run() {
          throw new Mismatch(`the suite to know how to call ${rpc.id}`, `no entry in RPC_SPECS (conformance/src/matrix.ts); add one`);
        },
      }));
    }
    return [...authCases(rpc, spec), ...isolationCases(rpc, spec), ...endedCase(rpc, spec), ...invalidCase(rpc, spec), ...undeclaredEnumCases(rpc, spec)];
  });
}
