// Long on purpose: the whole lifecycle is one machine definition (setup, delays, guards, every state), the single
// source the server, SDKs, docs and conformance derive from; split across files it could no longer be read as one chart.
import { assign, setup } from "xstate";

/** How the sharer joins: voice redeems a security key, chat accepts an invitation. */
export type Channel = "voice" | "chat";

/** Every way a session ends; the names are the protocol's `EndReason` values without their prefix. */
export const END_REASONS = [
  "VIEWER_CANCELLED",
  "VIEWER_LEFT",
  "SHARER_DECLINED",
  "SHARER_STOPPED",
  "KEY_EXPIRED",
  "ACCEPTANCE_TIMED_OUT",
  "SCREEN_SELECTION_TIMED_OUT",
  "INTERACTION_DISCONNECTED",
  "VIEWER_LOST",
  "SHARER_LOST",
  "MAX_DURATION_REACHED",
  "ADMINISTRATOR_TERMINATED",
  "MEDIA_FAILURE",
  "SHARER_UNSUPPORTED",
  "PAUSE_TIMED_OUT",
  "TRANSFER_TARGET_BUSY",
] as const;

/** Why a session ended. */
export type EndReason = (typeof END_REASONS)[number];

/** Timeouts in milliseconds. Every waiting state has one, so no session can live forever. */
export interface LifecycleTimeouts {
  /** Voice: how long a security key waits for redemption (default 5 minutes). */
  securityKeyTtlMs: number;
  /** Chat: how long an invitation waits for Accept or Decline. */
  acceptanceTimeoutMs: number;
  /** How long a joined sharer has to publish a screen. */
  screenSelectionTimeoutMs: number;
  /** How long a dropped viewer may take to resume; 0 ends the session at once (the legacy behaviour). */
  viewerReconnectGraceMs: number;
  /** How long a dropped sharer may take to resume; 0 ends the session at once. */
  sharerReconnectGraceMs: number;
  /** The longest a session may live, counted from its creation. */
  maxSessionDurationMs: number;
  /** How long the sharer may keep the screen paused before the session ends with PAUSE_TIMED_OUT. */
  pauseTimeoutMs: number;
}

/** The defaults the reference server advertises unless configured otherwise. */
export const DEFAULT_TIMEOUTS: LifecycleTimeouts = {
  securityKeyTtlMs: 5 * 60_000,
  acceptanceTimeoutMs: 2 * 60_000,
  screenSelectionTimeoutMs: 2 * 60_000,
  viewerReconnectGraceMs: 30_000,
  sharerReconnectGraceMs: 30_000,
  maxSessionDurationMs: 4 * 60 * 60_000,
  pauseTimeoutMs: 5 * 60_000,
};

/** What a session is created from. `at` is the host's clock in epoch milliseconds. */
export interface SessionInput {
  sessionId: string;
  orgId: string;
  interactionId: string;
  viewerUserId: string;
  channel: Channel;
  timeouts: LifecycleTimeouts;
  at: number;
}

/**
 * Absolute deadlines (epoch ms). They duplicate the machine's `after` timers on purpose: a persisted snapshot
 * does not carry pending timers (xstate#5331), so a host stores these and re-arms them after a restart.
 */
export interface Deadlines {
  /** When the current lifecycle waiting state times out; undefined while sharing. */
  lifecycle?: number;
  /** When a reconnecting viewer is given up. */
  viewerGrace?: number;
  /** When a paused screen share ends with PAUSE_TIMED_OUT; runs on while a paused sharer reconnects. */
  pause?: number;
  /** When the session ends with MAX_DURATION_REACHED. */
  maxDuration: number;
}

/** Everything the machine remembers about one session: what it was created from, and what happened since. Plain JSON. */
export interface SessionContext extends Omit<SessionInput, "at"> {
  createdAt: number;
  updatedAt: number;
  /** Counts issued security keys; a host derives key identity from it so a regenerated key replaces the old. */
  securityKeyGeneration: number;
  /**
   * How often the interaction moved the session to another viewer (absent: never). A host names each viewer's
   * media identity after it, so a former viewer's media token is told apart from the current viewer's.
   */
  transfers?: number;
  /** The viewer before the latest transfer. */
  previousViewerUserId?: string;
  /** The viewer's name for the customer, as the latest transfer gave it. */
  viewerDisplayName?: string;
  deadlines: Deadlines;
  /** When the sharer paused the screen; undefined unless paused. */
  pausedAt?: number;
  /** When the viewer last asked the paused sharer to unpause; undefined unless asked during this pause. */
  unpauseRequestedAt?: number;
  endReason?: EndReason;
  endedAt?: number;
}

/** Events sent by a party or the platform through an RPC. Not applicable in a state: rejected. */
export const COMMAND_EVENTS = [
  "KEY_REDEEMED",
  "KEY_REGENERATED",
  "INVITATION_ACCEPTED",
  "INVITATION_DECLINED",
  "SHARER_STOPPED",
  "SHARER_RESUMED",
  "SCREEN_PICKER_CLOSED",
  "SHARER_UNSUPPORTED",
  "SHARER_PAUSED",
  "SHARER_UNPAUSED",
  "UNPAUSE_REQUESTED",
  "VIEWER_CANCELLED",
  "VIEWER_LEFT",
  "VIEWER_RESUMED",
  "VIEWER_TRANSFERRED",
  "TRANSFER_TARGET_BUSY",
  "INTERACTION_DISCONNECTED",
  "ADMINISTRATOR_TERMINATED",
] as const;

/**
 * Facts reported by the media plane. They may arrive late or twice, so where they do not apply they are
 * ignored, never an error.
 */
export const FACT_EVENTS = [
  "SHARER_JOINED",
  "SHARER_DISCONNECTED",
  "SCREEN_TRACK_PUBLISHED",
  "SCREEN_TRACK_UNPUBLISHED",
  "VIEWER_JOINED",
  "VIEWER_DISCONNECTED",
  "MEDIA_FAILED",
] as const;

/** Who a transfer moves the session to: the only event that carries data beyond its time. */
export interface TransferTarget {
  toViewerUserId: string;
  /** The new viewer's name for the customer; optional. */
  toViewerDisplayName?: string;
}

/** An event a host sends, stamped with the host's clock (epoch ms). */
export type SessionEvent =
  | { type: Exclude<(typeof COMMAND_EVENTS)[number] | (typeof FACT_EVENTS)[number], "VIEWER_TRANSFERRED">; at: number }
  | ({ type: "VIEWER_TRANSFERRED"; at: number } & TransferTarget);

/** The type names of all events a host may send (timer events aside). */
export type SessionEventType = SessionEvent["type"];

/**
 * The machine's timers, by the stable names hosts store: each is the name of a delay below, and no two states that
 * can be active together use the same one, so it identifies a session's timer. Never XState's internal event names,
 * which carry state ids.
 */
export const TIMERS = [
  "securityKeyTtl",
  "acceptanceTimeout",
  "screenSelectionTimeout",
  "viewerReconnectGrace",
  "sharerReconnectGrace",
  "maxSessionDuration",
  "pauseTimeout",
] as const;

/** One timer of the machine. */
export type TimerName = (typeof TIMERS)[number];

/** The event a host sends when a timer falls due, e.g. `TIMEOUT:securityKeyTtl`; also the event's trigger in the protocol. */
export type TimerEventType = `TIMEOUT:${TimerName}`;

/** The event type of a timer. */
export const timerEventType = (timer: TimerName): TimerEventType => `TIMEOUT:${timer}`;

const TIMER_BY_EVENT: ReadonlyMap<string, TimerName> = new Map(TIMERS.map((timer) => [timerEventType(timer), timer]));

/** The timer a host event type stands for, or undefined for commands and facts. */
export const timerOf = (eventType: string): TimerName | undefined => TIMER_BY_EVENT.get(eventType);

/** An event a host sends: a command, a fact, or a timer that fell due. */
export type HostEvent = SessionEvent | { type: TimerEventType; at: number };

const end = (reason: EndReason) => ({ type: "recordEnd", params: { reason } }) as const;
const toEnded = (reason: EndReason) => ({ target: "#session.ended", actions: end(reason) }) as const;

/** A sharer's connection dropped while choosing or sharing: lost at once without a grace window, else awaited. */
const sharerDropped = [
  { guard: "noSharerGrace", ...toEnded("SHARER_LOST") },
  { target: "sharerReconnecting", actions: "touch" },
] as const;

/** A sharer's connection dropped while paused: the same, but the session comes back paused. */
const pausedSharerDropped = [
  { guard: "noSharerGrace", ...toEnded("SHARER_LOST") },
  { target: "sharerAway", actions: "touch" },
] as const;

/** The time an event happened: timer events carry no clock of their own, so they fall due at their deadline. */
function timeOf(context: SessionContext, event: { type: string; at?: number }): number {
  return event.at ?? context.updatedAt;
}

/**
 * The screen share session lifecycle. Pure: side effects are the named actions below, which do nothing here and
 * are carried out by the host (`applyEvent` in ./host.ts lists them for each step).
 */
export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as SessionInput,
  },
  delays: {
    // The keys are TIMERS (a test checks it).
    securityKeyTtl: ({ context }) => context.timeouts.securityKeyTtlMs,
    acceptanceTimeout: ({ context }) => context.timeouts.acceptanceTimeoutMs,
    screenSelectionTimeout: ({ context }) => context.timeouts.screenSelectionTimeoutMs,
    viewerReconnectGrace: ({ context }) => context.timeouts.viewerReconnectGraceMs,
    sharerReconnectGrace: ({ context }) => context.timeouts.sharerReconnectGraceMs,
    maxSessionDuration: ({ context }) => context.timeouts.maxSessionDurationMs,
    pauseTimeout: ({ context }) => context.timeouts.pauseTimeoutMs,
  },
  guards: {
    isVoice: ({ context }) => context.channel === "voice",
    noViewerGrace: ({ context }) => context.timeouts.viewerReconnectGraceMs === 0,
    noSharerGrace: ({ context }) => context.timeouts.sharerReconnectGraceMs === 0,
    // A host sends a transfer only to another viewer (one to the same viewer changes nothing and is no event).
    toAnotherViewer: ({ context, event }) =>
      event.type === "VIEWER_TRANSFERRED" &&
      typeof event.toViewerUserId === "string" &&
      event.toViewerUserId !== "" &&
      event.toViewerUserId !== context.viewerUserId,
  },
  actions: {
    // Host effects: named here, implemented by the host.
    createMediaRoom: () => {},
    deleteMediaRoom: () => {},
    issueSecurityKey: () => {},
    revokeSecurityKey: () => {},
    sendInvitation: () => {},
    withdrawInvitation: () => {},
    revokeSharerCredential: () => {},
    // The media plane stops (and starts again) forwarding the sharer's screen track to every subscriber, whatever
    // the sharer's browser does: the privacy pause is enforced by the server, not by the customer's page.
    muteScreen: () => {},
    unmuteScreen: () => {},
    evictFormerViewer: () => {},
    // Accepts an event that changes nothing, so that `can()` reports it handled rather than rejected.
    acknowledge: () => {},
    // Bookkeeping in context.
    touch: assign({ updatedAt: ({ context, event }) => timeOf(context, event) }),
    countSecurityKey: assign({ securityKeyGeneration: ({ context }) => context.securityKeyGeneration + 1 }),
    setLifecycleDeadline: assign({
      deadlines: ({ context, event }, params: { after: keyof LifecycleTimeouts }) => ({
        ...context.deadlines,
        lifecycle: timeOf(context, event) + context.timeouts[params.after],
      }),
    }),
    clearLifecycleDeadline: assign({
      deadlines: ({ context }) => ({ ...context.deadlines, lifecycle: undefined }),
    }),
    setViewerGraceDeadline: assign({
      deadlines: ({ context, event }) => ({
        ...context.deadlines,
        viewerGrace: timeOf(context, event) + context.timeouts.viewerReconnectGraceMs,
      }),
    }),
    clearViewerGraceDeadline: assign({
      deadlines: ({ context }) => ({ ...context.deadlines, viewerGrace: undefined }),
    }),
    startPause: assign(({ context, event }) => ({
      pausedAt: timeOf(context, event),
      deadlines: { ...context.deadlines, pause: timeOf(context, event) + context.timeouts.pauseTimeoutMs },
    })),
    endPause: assign(({ context }) => ({
      pausedAt: undefined,
      unpauseRequestedAt: undefined,
      deadlines: { ...context.deadlines, pause: undefined },
    })),
    recordUnpauseRequest: assign({ unpauseRequestedAt: ({ context, event }) => timeOf(context, event) }),
    transferViewer: assign(({ context, event }) => {
      const target = event as Extract<SessionEvent, { type: "VIEWER_TRANSFERRED" }>;
      return {
        previousViewerUserId: context.viewerUserId,
        viewerUserId: target.toViewerUserId,
        viewerDisplayName: target.toViewerDisplayName ?? "",
        transfers: (context.transfers ?? 0) + 1,
      };
    }),
    recordEnd: assign(({ context, event }, params: { reason: EndReason }) => ({
      endReason: params.reason,
      endedAt: timeOf(context, event),
      updatedAt: timeOf(context, event),
      deadlines: { maxDuration: context.deadlines.maxDuration },
    })),
  },
}).createMachine({
  id: "session",
  context: ({ input }) => ({
    sessionId: input.sessionId,
    orgId: input.orgId,
    interactionId: input.interactionId,
    viewerUserId: input.viewerUserId,
    channel: input.channel,
    timeouts: input.timeouts,
    createdAt: input.at,
    updatedAt: input.at,
    securityKeyGeneration: 0,
    deadlines: { maxDuration: input.at + input.timeouts.maxSessionDurationMs },
  }),
  initial: "live",
  states: {
    live: {
      type: "parallel",
      entry: "createMediaRoom",
      after: { maxSessionDuration: toEnded("MAX_DURATION_REACHED") },
      on: {
        INTERACTION_DISCONNECTED: toEnded("INTERACTION_DISCONNECTED"),
        ADMINISTRATOR_TERMINATED: toEnded("ADMINISTRATOR_TERMINATED"),
        MEDIA_FAILED: toEnded("MEDIA_FAILURE"),
        // The interaction moved to an agent who already watches another share: one live share per viewer.
        TRANSFER_TARGET_BUSY: toEnded("TRANSFER_TARGET_BUSY"),
      },
      states: {
        lifecycle: {
          initial: "routing",
          states: {
            routing: {
              always: [{ guard: "isVoice", target: "awaitingKeyRedemption" }, { target: "awaitingAcceptance" }],
            },
            awaitingKeyRedemption: {
              entry: ["countSecurityKey", "issueSecurityKey", { type: "setLifecycleDeadline", params: { after: "securityKeyTtlMs" } }],
              exit: "revokeSecurityKey",
              after: { securityKeyTtl: toEnded("KEY_EXPIRED") },
              on: {
                KEY_REDEEMED: { target: "selectingScreen", actions: "touch" },
                KEY_REGENERATED: { target: "awaitingKeyRedemption", reenter: true, actions: "touch" },
                VIEWER_CANCELLED: toEnded("VIEWER_CANCELLED"),
              },
            },
            awaitingAcceptance: {
              entry: ["sendInvitation", { type: "setLifecycleDeadline", params: { after: "acceptanceTimeoutMs" } }],
              exit: "withdrawInvitation",
              after: { acceptanceTimeout: toEnded("ACCEPTANCE_TIMED_OUT") },
              on: {
                INVITATION_ACCEPTED: { target: "selectingScreen", actions: "touch" },
                INVITATION_DECLINED: toEnded("SHARER_DECLINED"),
                // A chat customer whose browser cannot share is told so on the invitation; the agent learns why.
                SHARER_UNSUPPORTED: toEnded("SHARER_UNSUPPORTED"),
                VIEWER_CANCELLED: toEnded("VIEWER_CANCELLED"),
              },
            },
            selectingScreen: {
              entry: { type: "setLifecycleDeadline", params: { after: "screenSelectionTimeoutMs" } },
              after: { screenSelectionTimeout: toEnded("SCREEN_SELECTION_TIMED_OUT") },
              on: {
                SCREEN_TRACK_PUBLISHED: { target: "sharing", actions: "touch" },
                // A sharer's reload while choosing: already where it must be.
                SHARER_RESUMED: { actions: "acknowledge" },
                // The customer closed the screen picker: still choosing, but the agent is told at once.
                SCREEN_PICKER_CLOSED: { actions: "touch" },
                SHARER_UNSUPPORTED: toEnded("SHARER_UNSUPPORTED"),
                SHARER_DISCONNECTED: sharerDropped,
                SHARER_STOPPED: toEnded("SHARER_STOPPED"),
                VIEWER_CANCELLED: toEnded("VIEWER_CANCELLED"),
              },
            },
            sharing: {
              entry: "clearLifecycleDeadline",
              on: {
                // The sharer may switch screens: back to choosing, under the selection timeout.
                SCREEN_TRACK_UNPUBLISHED: { target: "selectingScreen", actions: "touch" },
                // A browser cannot keep capture permission across a reload, so the sharer chooses again.
                SHARER_RESUMED: { target: "selectingScreen", actions: "touch" },
                SHARER_DISCONNECTED: sharerDropped,
                SHARER_STOPPED: toEnded("SHARER_STOPPED"),
                VIEWER_LEFT: toEnded("VIEWER_LEFT"),
                SHARER_PAUSED: { target: "paused", actions: "touch" },
                // Unpausing what is not paused: already where it must be (a retry after a lost answer).
                SHARER_UNPAUSED: { actions: "acknowledge" },
              },
            },
            // The sharer hid the screen (a password to type). The pause has one timeout for all of it, reconnects
            // included; only the sharer ends it, the viewer may only ask.
            paused: {
              initial: "hidden",
              entry: "startPause",
              exit: "endPause",
              after: { pauseTimeout: toEnded("PAUSE_TIMED_OUT") },
              on: {
                SHARER_PAUSED: { actions: "acknowledge" },
                UNPAUSE_REQUESTED: { actions: ["touch", "recordUnpauseRequest"] },
                SHARER_STOPPED: toEnded("SHARER_STOPPED"),
                VIEWER_LEFT: toEnded("VIEWER_LEFT"),
              },
              states: {
                // The screen track is published and muted by the media plane.
                hidden: {
                  entry: "muteScreen",
                  on: {
                    // The same track again, without choosing a screen.
                    SHARER_UNPAUSED: { target: "#session.live.lifecycle.sharing", actions: ["touch", "unmuteScreen"] },
                    SCREEN_TRACK_UNPUBLISHED: { target: "noScreen", actions: "touch" },
                    // A reloaded page has no track of its own; the old page's track goes with it.
                    SHARER_RESUMED: { target: "noScreen", actions: "touch" },
                    SHARER_DISCONNECTED: pausedSharerDropped,
                  },
                },
                // No screen track (the sharer's page reloaded or its capture ended): unpausing means choosing one.
                noScreen: {
                  on: {
                    SHARER_UNPAUSED: { target: "#session.live.lifecycle.selectingScreen", actions: "touch" },
                    // A track published while paused is muted at once: the pause holds for a new track too.
                    SCREEN_TRACK_PUBLISHED: { target: "hidden", actions: "touch" },
                    SHARER_RESUMED: { actions: "acknowledge" },
                    SHARER_DISCONNECTED: pausedSharerDropped,
                  },
                },
                // The sharer dropped while paused; shown as RECONNECTING_SHARER, and back to paused, never sharing.
                sharerAway: {
                  entry: { type: "setLifecycleDeadline", params: { after: "sharerReconnectGraceMs" } },
                  exit: "clearLifecycleDeadline",
                  after: { sharerReconnectGrace: toEnded("SHARER_LOST") },
                  on: {
                    SHARER_RESUMED: { target: "noScreen", actions: "touch" },
                    SHARER_JOINED: { target: "noScreen", actions: "touch" },
                    SCREEN_TRACK_PUBLISHED: { target: "hidden", actions: "touch" },
                  },
                },
              },
            },
            sharerReconnecting: {
              entry: { type: "setLifecycleDeadline", params: { after: "sharerReconnectGraceMs" } },
              after: { sharerReconnectGrace: toEnded("SHARER_LOST") },
              on: {
                SHARER_RESUMED: { target: "selectingScreen", actions: "touch" },
                SHARER_JOINED: { target: "selectingScreen", actions: "touch" },
                SCREEN_TRACK_PUBLISHED: { target: "sharing", actions: "touch" },
                SHARER_STOPPED: toEnded("SHARER_STOPPED"),
                VIEWER_LEFT: toEnded("VIEWER_LEFT"),
              },
            },
          },
        },
        viewer: {
          initial: "connected",
          states: {
            connected: {
              on: {
                // A viewer's page calls resume on every start-up; while connected there is nothing to do.
                VIEWER_RESUMED: { actions: "acknowledge" },
                // The interaction moved to another agent: the session follows it in whatever lifecycle state it is
                // (a key read aloud stays valid, an invitation stays pending) and the former viewer leaves the room.
                VIEWER_TRANSFERRED: { guard: "toAnotherViewer", actions: ["transferViewer", "evictFormerViewer"] },
                VIEWER_DISCONNECTED: [
                  { guard: "noViewerGrace", ...toEnded("VIEWER_LOST") },
                  { target: "reconnecting", actions: "touch" },
                ],
              },
            },
            reconnecting: {
              entry: "setViewerGraceDeadline",
              exit: "clearViewerGraceDeadline",
              after: { viewerReconnectGrace: toEnded("VIEWER_LOST") },
              on: {
                VIEWER_RESUMED: { target: "connected", actions: "touch" },
                VIEWER_JOINED: { target: "connected", actions: "touch" },
                // The dropped viewer no longer matters: the new one counts as connected, as a starting viewer does.
                VIEWER_TRANSFERRED: { guard: "toAnotherViewer", target: "connected", actions: ["transferViewer", "evictFormerViewer"] },
              },
            },
          },
        },
      },
    },
    ended: {
      type: "final",
      entry: ["deleteMediaRoom", "revokeSharerCredential"],
    },
  },
});

/** The machine's type, for hosts that hold snapshots. */
export type SessionMachine = typeof sessionMachine;
