// Every sentence the agent console shows, in one place so it can be translated. Keys are the protocol's names;
// the values are what an agent reads.
import { Code } from "@connectrpc/connect";
import { EndReason, SessionState } from "@screenshare/protocol";
import { clock, type Failure } from "./errors.js";

/** A status: what is happening, and what the agent can do next. */
export interface Status {
  headline: string;
  next: string;
}

const START_AGAIN = "You can start a new screen share from a call or chat in the list.";

/** Where a live session is, for the agent. `customer` is the customer's name. */
export function liveStatus(state: SessionState, customer: string): Status {
  switch (state) {
    case SessionState.AWAITING_KEY_REDEMPTION:
      return {
        headline: `Waiting for ${customer} to enter the security key.`,
        next: "Read the key below aloud and ask them to click Share your screen. The space is not part of the key.",
      };
    case SessionState.AWAITING_ACCEPTANCE:
      return { headline: `Waiting for ${customer} to accept in the chat.`, next: "Ask them to click Accept in the chat window." };
    case SessionState.SELECTING_SCREEN:
      return { headline: `${customer} is choosing a screen to share.`, next: "Ask them to click the screen they want to show you, then Share." };
    case SessionState.SHARING:
      return { headline: `You are seeing ${customer}'s screen.`, next: "Use Fit, 100% or the zoom buttons to read it. Click Leave session when you are done." };
    case SessionState.PAUSED:
      return {
        headline: `Paused by ${customer}: their screen is hidden from you for now.`,
        next: "Wait for them to click Resume sharing, or click Ask to resume to ask them.",
      };
    case SessionState.RECONNECTING_SHARER:
      return {
        headline: `${customer}'s connection dropped. Waiting for them to come back.`,
        next: "Ask them to reopen the page; they will choose the screen again.",
      };
    case SessionState.RECONNECTING_VIEWER:
      return { headline: "Reconnecting you to the screen share…", next: "Keep this console open; it comes back by itself." };
    default:
      return { headline: "The screen share is in a state this console does not know.", next: "Reload the console to see where it is." };
  }
}

/** Why a session ended, for the agent, with the next step. */
export function endedStatus(reason: EndReason, customer: string): Status {
  const sentences: Partial<Record<EndReason, Status>> = {
    [EndReason.VIEWER_CANCELLED]: { headline: "You ended the screen share before it started.", next: START_AGAIN },
    [EndReason.VIEWER_LEFT]: { headline: `You left the session. ${customer}'s screen is no longer shared.`, next: START_AGAIN },
    [EndReason.SHARER_DECLINED]: {
      headline: `${customer} declined the screen share.`,
      next: `Ask if they would like to try again, then start a new screen share.`,
    },
    [EndReason.SHARER_STOPPED]: { headline: `${customer} stopped sharing their screen.`, next: START_AGAIN },
    [EndReason.KEY_EXPIRED]: { headline: "The security key expired before it was entered.", next: "Start a new screen share to get a new key." },
    [EndReason.ACCEPTANCE_TIMED_OUT]: {
      headline: `${customer} did not accept the invitation in time.`,
      next: "Start a new screen share to send a new invitation.",
    },
    [EndReason.SCREEN_SELECTION_TIMED_OUT]: { headline: `${customer} did not choose a screen in time.`, next: "Start a new screen share when they are ready." },
    [EndReason.INTERACTION_DISCONNECTED]: { headline: "The call or chat ended, so the screen share ended too.", next: START_AGAIN },
    [EndReason.VIEWER_LOST]: { headline: "The screen share ended because this console was away for too long.", next: START_AGAIN },
    [EndReason.SHARER_LOST]: { headline: `${customer}'s connection was lost and they did not come back in time.`, next: START_AGAIN },
    [EndReason.MAX_DURATION_REACHED]: { headline: "The screen share reached its maximum length.", next: START_AGAIN },
    [EndReason.ADMINISTRATOR_TERMINATED]: { headline: "An administrator ended the screen share.", next: START_AGAIN },
    [EndReason.MEDIA_FAILURE]: { headline: "The screen share ended because its video connection failed.", next: START_AGAIN },
    [EndReason.TRANSFER_TARGET_BUSY]: {
      headline: `The call or chat with ${customer} was transferred to an agent who already had a screen share running, so this one ended.`,
      next: START_AGAIN,
    },
    [EndReason.PAUSE_TIMED_OUT]: { headline: `${customer} kept their screen paused for too long, so the screen share ended.`, next: START_AGAIN },
    [EndReason.SHARER_UNSUPPORTED]: {
      headline: `${customer}'s browser cannot share a screen (phones and some browsers cannot).`,
      next: "Ask them to open the page on a computer with Chrome, Edge or Firefox, then start a new screen share.",
    },
  };
  return sentences[reason] ?? { headline: "The screen share ended.", next: START_AGAIN };
}

export const agentText = {
  noSession: { headline: "No screen share is running.", next: "Start one from a call or chat in the list: click Start Screen Share." } satisfies Status,
  checking: { headline: "Looking for a screen share you already have…", next: "This takes a moment." } satisfies Status,
  pickerClosed: (customer: string): Status => ({
    headline: `${customer} closed the screen picker without choosing a screen.`,
    next: "Ask them to click Share your screen again and pick a screen, or end the screen share.",
  }),
  askedToResume: (customer: string): Status => ({
    headline: `Paused by ${customer}. You asked them to resume sharing.`,
    next: "Their page shows your request; their screen comes back here when they click Resume sharing.",
  }),
  pausedScreen: "Paused by the customer. The screen comes back here when they resume sharing.",
  transferredAway: (channel: "voice" | "chat", to: string, customer: string): Status => ({
    headline: `The screen share went with the ${channel === "voice" ? "call" : "chat"} to ${to}.`,
    next: `${to} now has ${customer}'s screen share; it is no longer shown here. ${START_AGAIN}`,
  }),
  anotherAgent: "another agent",
  signedInAs: (name: string) => `Signed in as ${name}`,
  linkedTo: (channel: "voice" | "chat", customer: string) => `${channel === "voice" ? "Call" : "Chat"} with ${customer}`,
  channel: (channel: "voice" | "chat") => (channel === "voice" ? "Call" : "Chat"),
  noInteractions: "No calls or chats right now. New ones appear here by themselves.",
  keyExpiresIn: (seconds: number) => `Expires in ${clock(seconds)}`,
  keyExpired: "This key has expired.",
  attemptsLeft: (attempts: number) => (attempts === 1 ? "1 wrong try left" : `${attempts} wrong tries left`),
  keyLocked: "This key is locked after too many wrong tries. Click New key and read the new one.",
  keyCopied: "Key copied.",
  deadline: (state: SessionState, seconds: number): string => {
    const left = clock(seconds);
    if (state === SessionState.AWAITING_ACCEPTANCE) return `The invitation expires in ${left}.`;
    if (state === SessionState.SELECTING_SCREEN) return `They have ${left} left to choose a screen.`;
    if (state === SessionState.RECONNECTING_SHARER) return `Waiting ${left} more for them to come back.`;
    if (state === SessionState.RECONNECTING_VIEWER) return `The session is kept for you for ${left}.`;
    if (state === SessionState.PAUSED) return `The screen share ends in ${left} unless they resume sharing.`;
    return "";
  },
  sharingFor: (seconds: number) => `Sharing for ${clock(seconds)}`,
  zoom: (percent: number | "fit") => (percent === "fit" ? "Fit to window" : `${percent}%`),
  screenLabel: (customer: string) => `${customer}'s shared screen`,
  poppedOut: "The screen is open in a separate window.",
  popOutBlocked: "The browser blocked the pop-out window. Allow pop-ups for this console and try again.",
  fullScreenRefused: "The browser did not allow full screen here. Use Pop out instead.",
  waitingForScreen: "The customer's screen will appear here.",
};

/** A failed action, for the agent. */
export function agentFailure(failure: Failure): string {
  switch (failure.code) {
    case Code.FailedPrecondition:
      return failure.liveSessionId
        ? "You already have a screen share running, shown here. End it or leave it before starting another."
        : "That cannot be done any more: the screen share has moved on. The page now shows where it is.";
    case Code.NotFound:
      return "This call or screen share no longer exists. The list shows what is still open.";
    case Code.Unauthenticated:
      return "Your sign-in has expired. Reload the console to sign in again.";
    case Code.PermissionDenied:
      return "You do not have permission to view screen shares. Ask your supervisor for the screen share view permission.";
    case Code.ResourceExhausted:
      return `Too many requests. Try again in ${failure.retryAfterSeconds ?? 30} seconds.`;
    case Code.Unavailable:
    case Code.DeadlineExceeded:
      return "The screen share service cannot be reached. Check your connection, then try again.";
    case Code.InvalidArgument:
      return "The console sent a request the service did not accept. Reload the console and try again.";
    default:
      return "Something went wrong. Try again; if it keeps happening, reload the console.";
  }
}
