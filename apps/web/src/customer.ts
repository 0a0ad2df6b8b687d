import { canShareScreen, ScreenShareError, ScreenShareSharer, type Session, SessionState } from "@screenshare/client/sharer";
import { eventsHandledIn } from "@screenshare/machine";
import { customerFailure, customerText, endedStatus, liveStatus, type Status } from "./customer-messages.js";
import { clearFailure, failureOf, showFailure } from "./errors.js";

interface CustomerConfig {
  serverUrl: string;
  orgId: string;
  channel: "voice" | "chat";
  agentName: string;
  customerCredential?: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const show = (id: string, visible: boolean) => ($(id).hidden = !visible);

const interaction = new URLSearchParams(location.search).get("interaction") ?? "";
const config = (await (await fetch(`/platform/customer?interaction=${encodeURIComponent(interaction)}`)).json()) as CustomerConfig;
const sharer = new ScreenShareSharer({
  serverUrl: config.serverUrl,
  orgId: config.orgId,
  ...(config.customerCredential && { customerCredential: config.customerCredential }),
});
/** Who the customer shares with: the agent of the share (it changes when the call is transferred), else the page's. */
const agentName = () => session?.viewerDisplayName || config.agentName;
/** Checked before anything is offered: a browser without a screen picker is told so, and so is the agent. */
const supported = canShareScreen();

let session: Session | undefined;
/** The browser's screen picker is open, or the chosen screen is being connected. */
let picking = false;
let pickerClosed = false;
/** The page was reloaded in the middle of a share: the screen must be chosen again. */
let resumed = false;
/** Supervisors in the media room; the server shows them to this page only when the org announces them. */
let observers = 0;
/** The share moved to another agent with the call while this page was open. */
let transferred = false;

function fail(error: unknown, during: Parameters<typeof customerFailure>[1]): void {
  const failure = failureOf(error);
  showFailure(customerFailure(failure, during), failure, error);
}

const live = () => !!session && session.state !== SessionState.ENDED;
/** Paused, or this page's reload still being noticed while paused (the session keeps paused_at then). */
const pausedNow = () => session?.state === SessionState.PAUSED || (session?.state === SessionState.RECONNECTING_SHARER && !!session.pausedAt);

function statusOf(): Status {
  if (!session) {
    if (config.channel === "chat") return customerText.chatIntro;
    return supported ? customerText.voiceIntro : customerText.unsupportedVoice;
  }
  const agent = agentName();
  if (session.state === SessionState.ENDED) return endedStatus(session.endReason, agent, config.channel);
  if (pausedNow()) {
    if (session.unpauseRequestedAt) return customerText.askedToResume(agent);
    if (!sharer.publishing) return customerText.pausedAfterReload;
  }
  if (picking && !sharer.publishing) return customerText.connecting;
  if (!sharer.publishing && pickerClosed) return customerText.pickerClosed;
  if (!sharer.publishing && resumed) return customerText.resumed;
  return liveStatus(session.state, agent, sharer.publishing);
}

function render(): void {
  const status = statusOf();
  $("headline").textContent = status.headline;
  $("next").textContent = status.next;
  // The key box only when a key can start something: never during or over a running share.
  show("key-form", config.channel === "voice" && !live());
  $("share-voice").textContent = supported ? customerText.share : customerText.tellAgent;
  // Which controls apply comes from the lifecycle machine; whether a screen is out comes from this browser.
  const handled = session ? eventsHandledIn(session.state) : new Set<string>();
  const paused = pausedNow();
  const publishing = live() && sharer.publishing;
  const idle = live() && !publishing && !picking;
  // While paused nothing is chosen or shown until the customer resumes, with or without a screen.
  show("choose", idle && !paused && supported && handled.has("SCREEN_TRACK_PUBLISHED"));
  show("dont-share", idle && !paused && handled.has("SHARER_STOPPED"));
  show("sharing-bar", publishing || paused);
  show("stop", (publishing || paused) && handled.has("SHARER_STOPPED"));
  show("pause", publishing && handled.has("SHARER_PAUSED") && !paused);
  show("unpause", paused && !picking);
  $("sharing-bar").classList.toggle("paused", paused);
  const agent = agentName();
  // After a transfer the bar names the agent who sees the screen now, so the customer knows it changed hands.
  const sharingWith = transferred ? customerText.transferredTo(agent) : customerText.sharingWith(agent);
  $("sharing-text").textContent = paused ? customerText.pausedWith(agent) : sharingWith;
  // Told while the screen is out (paused too): an announced supervisor is in the room.
  show("observed", (publishing || paused) && observers > 0);
  $("observed").textContent = observers > 0 ? customerText.observed(agent, observers) : "";
}

/** Opens the picker and publishes the chosen screen; a closed picker or a browser that cannot share is said in words. */
async function share(): Promise<void> {
  picking = true;
  render();
  try {
    await sharer.share();
    pickerClosed = false;
    resumed = false;
  } catch (error) {
    if (error instanceof ScreenShareError) pickerClosed = error.reason === "picker-closed";
    else fail(error, "share");
  } finally {
    picking = false;
    render();
  }
}

// Voice: the key form. Enter submits; spaces and dashes are fine, the server ignores them.
$("key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearFailure();
  const input = $<HTMLInputElement>("security-key");
  if (!input.value.trim()) {
    showFailure(customerText.keyMissing, failureOf(new Error("empty key")), "empty key");
    input.focus();
    return;
  }
  try {
    await sharer.redeemKey(input.value);
  } catch (error) {
    fail(error, "key");
    input.select();
    return;
  }
  input.value = "";
  if (!supported) {
    await sharer.reportUnsupported().catch((error) => fail(error, "other"));
    return;
  }
  await share();
});

// Chat: invitations appear in the chat window and leave it as soon as they are no longer pending.
const invitations = new Map<string, HTMLElement>();
/** A line in the chat; without an author it is a note from the chat itself. */
function chatMessage(text: string, from?: string): HTMLElement {
  const message = document.createElement("div");
  message.className = from ? "message" : "message note";
  if (from) {
    const author = document.createElement("strong");
    author.textContent = `${from}: `;
    message.append(author);
  }
  message.append(text);
  $("messages").append(message);
  return message;
}
sharer.on("invitation", (invitation) => {
  if (invitations.has(invitation.sessionId)) return;
  if (!supported) {
    invitations.set(invitation.sessionId, chatMessage(customerText.invitationUnsupported(agentName())));
    sharer.reportUnsupported(invitation.sessionId).catch((error) => fail(error, "invitation"));
    return;
  }
  const card = chatMessage("");
  card.className = "message invitation";
  const title = document.createElement("strong");
  title.textContent = customerText.invitation(agentName());
  card.dataset.invitation = invitation.sessionId;
  const hint = document.createElement("p");
  hint.className = "quiet";
  hint.textContent = customerText.invitationHint;
  const accept = document.createElement("button");
  accept.type = "button";
  accept.textContent = "Accept";
  const decline = document.createElement("button");
  decline.type = "button";
  decline.textContent = "Decline";
  const answered = () => {
    accept.disabled = decline.disabled = true;
  };
  accept.addEventListener("click", async () => {
    clearFailure();
    answered();
    picking = true;
    render();
    try {
      // Accept is the user gesture that lets the screen picker open at once.
      await sharer.accept(invitation.sessionId);
    } catch (error) {
      if (error instanceof ScreenShareError) pickerClosed = error.reason === "picker-closed";
      else fail(error, sharer.current?.sessionId === invitation.sessionId ? "share" : "invitation");
    } finally {
      picking = false;
      render();
    }
  });
  decline.addEventListener("click", () => {
    clearFailure();
    answered();
    sharer.decline(invitation.sessionId).catch((error) => fail(error, "invitation"));
  });
  const buttons = document.createElement("p");
  buttons.append(accept, " ", decline);
  card.append(title, hint, buttons);
  invitations.set(invitation.sessionId, card);
});
sharer.on("invitationWithdrawn", (sessionId) => {
  const card = invitations.get(sessionId);
  // The note that this browser cannot share stays in the chat: it tells the customer what to do.
  if (card?.classList.contains("invitation")) {
    card.remove();
    invitations.delete(sessionId);
  }
});

sharer.on("session", (next) => {
  if (next.sessionId !== session?.sessionId) pickerClosed = resumed = transferred = false;
  else if (next.viewerUserId !== session.viewerUserId) transferred = true;
  session = next;
  render();
});
sharer.on("observers", (count) => {
  observers = count;
  render();
});
sharer.on("error", (error) => fail(error, "other"));
$("choose").addEventListener("click", () => {
  clearFailure();
  void share();
});
$("dont-share").addEventListener("click", () => {
  clearFailure();
  sharer.stop().catch((error) => fail(error, "other"));
});
$("pause").addEventListener("click", () => {
  clearFailure();
  sharer.pause().catch((error) => fail(error, "other"));
});
$("unpause").addEventListener("click", async () => {
  clearFailure();
  // Without a screen (the page was reloaded while paused) resuming opens the picker: shown as choosing.
  picking = !sharer.publishing;
  render();
  try {
    await sharer.unpause();
    resumed = false;
  } catch (error) {
    if (error instanceof ScreenShareError) pickerClosed = error.reason === "picker-closed";
    else fail(error, "other");
  } finally {
    picking = false;
    render();
  }
});
$("stop").addEventListener("click", () => {
  clearFailure();
  sharer.stop().catch((error) => fail(error, "other"));
});

show("chat", config.channel === "chat");
$("key-hint").textContent = customerText.keyHint;
if (config.channel === "chat") {
  // In chat the sharing bar and its End screen share button live in the chat window, as the help page has it.
  $("chat").prepend($("sharing-bar"));
  $("stop").innerHTML = `<span aria-hidden="true">■</span> End screen share`;
  chatMessage(customerText.greeting, config.agentName);
  sharer.watchInvitations();
}
render();
try {
  const resumedSession = await sharer.resume();
  resumed = !!resumedSession && resumedSession.state !== SessionState.ENDED;
} catch (error) {
  fail(error, "other");
}
render();
