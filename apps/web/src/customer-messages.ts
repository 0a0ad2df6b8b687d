// Every sentence the customer page shows, in one place so it can be translated. Keys are the protocol's names;
// the values are what a customer reads.
import { Code } from "@connectrpc/connect";
import { EndReason, SessionState } from "@screenshare/protocol";
import type { Failure } from "./errors.js";

/** A status: what is happening, and what the customer can do next. */
export interface Status {
  headline: string;
  next: string;
}

type Channel = "voice" | "chat";

const AGAIN: Record<Channel, string> = {
  voice: "If the agent asks to see your screen again, type the new key they read to you.",
  chat: "If the agent asks to see your screen again, a new request appears in the chat.",
};

/** Where a live session is, for the customer. */
export function liveStatus(state: SessionState, agent: string, sharing: boolean): Status {
  if (state === SessionState.RECONNECTING_VIEWER)
    return { headline: `${agent}'s connection dropped for a moment.`, next: "Please wait; they come back by themselves." };
  if (state === SessionState.PAUSED) {
    return {
      headline: `Your screen is paused: ${agent} cannot see it.`,
      next: "Click Resume sharing when you are ready, or Stop sharing to end the screen share.",
    };
  }
  if (sharing) return { headline: `You are sharing your screen with ${agent}.`, next: "Only this screen is shared, never your voice or camera." };
  switch (state) {
    case SessionState.SELECTING_SCREEN:
    case SessionState.RECONNECTING_SHARER:
      return { headline: "Choose the screen to share.", next: "In the window your browser shows, click a screen and then Share." };
    case SessionState.SHARING:
      return { headline: `Your screen is being shared with ${agent}.`, next: "Click Stop sharing at any time." };
    default:
      return { headline: "Please wait…", next: "The screen share is getting ready." };
  }
}

/** Why a session ended, for the customer, with the next step. */
export function endedStatus(reason: EndReason, agent: string, channel: Channel): Status {
  const again = AGAIN[channel];
  const sentences: Partial<Record<EndReason, string>> = {
    [EndReason.VIEWER_CANCELLED]: `${agent} cancelled the screen share.`,
    [EndReason.VIEWER_LEFT]: `${agent} ended the screen share. Your screen is no longer shared.`,
    [EndReason.SHARER_DECLINED]: "You declined the screen share. Nothing was shared.",
    [EndReason.SHARER_STOPPED]: "You stopped sharing your screen.",
    [EndReason.KEY_EXPIRED]: "The security key expired.",
    [EndReason.ACCEPTANCE_TIMED_OUT]: "The screen share request expired.",
    [EndReason.SCREEN_SELECTION_TIMED_OUT]: "No screen was chosen in time, so the screen share ended. Nothing was shared.",
    [EndReason.INTERACTION_DISCONNECTED]: "The call or chat ended, so the screen share ended too.",
    [EndReason.VIEWER_LOST]: `${agent}'s connection was lost, so the screen share ended.`,
    [EndReason.SHARER_LOST]: "Your connection was lost for too long, so the screen share ended.",
    [EndReason.MAX_DURATION_REACHED]: "The screen share reached its maximum length and ended.",
    [EndReason.ADMINISTRATOR_TERMINATED]: "The screen share was ended by the support team.",
    [EndReason.MEDIA_FAILURE]: "The screen share ended because its video connection failed.",
    [EndReason.SHARER_UNSUPPORTED]: unsupported.headline,
    [EndReason.TRANSFER_TARGET_BUSY]: "Your call or chat was transferred to another agent, so this screen share ended.",
    [EndReason.PAUSE_TIMED_OUT]: "Your screen was paused for too long, so the screen share ended.",
  };
  if (reason === EndReason.SHARER_UNSUPPORTED) return unsupported;
  return { headline: sentences[reason] ?? "The screen share ended.", next: again };
}

const unsupported: Status = {
  headline: "This browser cannot share a screen, and the agent has been told.",
  next: "To share your screen, open this page on a computer with Chrome, Edge or Firefox.",
};

export const customerText = {
  /** Shown while a supervisor watches, when the org tells customers so (Session.observers_announced). */
  observed: (agent: string, observers: number) =>
    observers === 1
      ? `Someone else from ${agent}'s team is also watching your screen.`
      : `${observers} other people from ${agent}'s team are also watching your screen.`,
  voiceIntro: {
    headline: "Share your screen with the agent.",
    next: "Type the security key the agent reads to you, then click Share your screen.",
  } satisfies Status,
  chatIntro: { headline: "Your screen is not shared.", next: "If the agent asks to see your screen, a request appears in the chat." } satisfies Status,
  unsupported,
  unsupportedVoice: {
    headline: "This browser cannot share a screen.",
    next: "Open this page on a computer with Chrome, Edge or Firefox. To let the agent know now, type their key and click Tell the agent.",
  } satisfies Status,
  pickerClosed: {
    headline: "You closed the screen picker without choosing a screen.",
    next: "Click Share your screen to choose one, or Don't share to cancel. The agent has been told.",
  } satisfies Status,
  resumed: {
    headline: "Your page was reloaded, so your screen is not shared right now.",
    next: "Click Share your screen and choose the screen again to carry on.",
  } satisfies Status,
  askedToResume: (agent: string): Status => ({
    headline: `${agent} asked you to resume sharing your screen.`,
    next: "Your screen stays hidden until you click Resume sharing. Click Stop sharing to end the screen share instead.",
  }),
  pausedAfterReload: {
    headline: "Your page was reloaded and your screen is still paused: nothing is shared.",
    next: "Click Resume sharing and choose the screen again when you are ready.",
  } satisfies Status,
  pausedWith: (agent: string) => `Your screen is paused: ${agent} cannot see it.`,
  connecting: { headline: "Starting to share your screen…", next: "This takes a moment." } satisfies Status,
  invitation: (agent: string) => `${agent} would like to see your screen.`,
  invitationHint: "Click Accept, then choose the screen to show. Only that screen is shared.",
  invitationUnsupported: (agent: string) => `${agent} asked to see your screen, but this browser cannot share a screen. We have told them.`,
  greeting: "Hello! How can I help?",
  sharingWith: (agent: string) => `You are sharing your screen with ${agent}.`,
  transferredTo: (agent: string) => `You are now sharing your screen with ${agent}.`,
  keyLabel: "Security key",
  keyHint: "The agent reads you a 6-digit key. Spaces and dashes do not matter.",
  keyMissing: "Type the security key the agent read to you first.",
  share: "Share your screen",
  tellAgent: "Tell the agent",
};

/** A failed action, for the customer. `during` says what they were doing. */
export function customerFailure(failure: Failure, during: "key" | "invitation" | "share" | "other"): string {
  if (during === "key") {
    if (failure.code === Code.NotFound) return "That key did not work. Check the digits with the agent, or ask them for a new key.";
    if (failure.code === Code.InvalidArgument) return "That does not look like a security key. Type the digits the agent read to you.";
    if (failure.code === Code.ResourceExhausted) {
      return `Too many keys were tried. Please wait ${failure.retryAfterSeconds ?? 60} seconds, then try again.`;
    }
  }
  if (during === "invitation" && (failure.code === Code.FailedPrecondition || failure.code === Code.NotFound)) {
    return "This request is no longer available. Ask the agent to send a new one.";
  }
  switch (failure.code) {
    case Code.Unauthenticated:
    case Code.FailedPrecondition:
      return "This screen share has already ended.";
    case Code.Unavailable:
    case Code.DeadlineExceeded:
      return "We cannot reach the screen share service. Check your internet connection, then try again.";
    case Code.ResourceExhausted:
      return `Too many tries. Please wait ${failure.retryAfterSeconds ?? 60} seconds, then try again.`;
    default:
      return "Something went wrong. Please try again, or tell the agent.";
  }
}
