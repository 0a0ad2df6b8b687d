// Every sentence the supervisor page shows, in one place so it can be translated.
import { SessionState } from "@screenshare/protocol";

/** A status: what is happening, and what the supervisor can do next. */
export interface Status {
  headline: string;
  next: string;
}

/** Where a live share is, in a few words for the list. */
const STATES: Partial<Record<SessionState, string>> = {
  [SessionState.AWAITING_KEY_REDEMPTION]: "Waiting for the customer to type the key",
  [SessionState.AWAITING_ACCEPTANCE]: "Waiting for the customer to accept",
  [SessionState.SELECTING_SCREEN]: "The customer is choosing a screen",
  [SessionState.SHARING]: "The customer is sharing their screen",
  [SessionState.RECONNECTING_VIEWER]: "The agent's connection dropped; waiting for them",
  [SessionState.RECONNECTING_SHARER]: "The customer's connection dropped; waiting for them",
};

export const supervisorText = {
  state: (state: SessionState) => STATES[state] ?? "In progress",
  channel: (voice: boolean) => (voice ? "Voice call" : "Web chat"),
  agent: (agent: string) => `Agent ${agent}`,
  age: (seconds: number) =>
    seconds < 60 ? "Started less than a minute ago" : seconds < 120 ? "Started a minute ago" : `Started ${Math.floor(seconds / 60)} minutes ago`,
  watch: "Watch",
  watchLabel: (agent: string) => `Watch agent ${agent}'s screen share`,
  noSessions: "No one is sharing a screen right now. This list updates by itself.",
  idle: { headline: "You are not watching a screen share.", next: "Choose Watch next to a share on the left." } satisfies Status,
  connecting: (agent: string) => ({ headline: `Joining agent ${agent}'s screen share…`, next: "This takes a few seconds." }),
  watching: (agent: string, announced: boolean) => ({
    headline: `You are watching agent ${agent}'s screen share.`,
    next: announced
      ? "The customer is told that someone else is watching. Click Stop watching when you are done; the share goes on."
      : "Your organisation does not tell the customer that you are watching. Click Stop watching when you are done; the share goes on.",
  }),
  waitingForScreen: (agent: string) => ({
    headline: `You have joined agent ${agent}'s screen share.`,
    next: "The customer's screen appears here as soon as they share it.",
  }),
  ended: { headline: "The screen share you were watching has ended.", next: "Choose another share on the left to watch it." } satisfies Status,
  failed: "The screen share could not be shown. Try Watch again; if it keeps failing, the share may have just ended.",
  listFailed: "The list of live screen shares could not be loaded. It is tried again in a few seconds.",
};
