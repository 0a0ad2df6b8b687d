import { ScreenShareViewer, type Session, SessionState } from "@screenshare/client/viewer";
import { eventsHandledIn } from "@screenshare/machine";
import { Channel } from "@screenshare/protocol";
import { agentFailure, agentText, endedStatus, liveStatus, type Status } from "./agent-messages.js";
import { clearFailure, failureOf, secondsSince, secondsUntil, showFailure } from "./errors.js";
import { screenView } from "./screen-view.js";

interface Interaction {
  interactionId: string;
  channel: "voice" | "chat";
  customerName: string;
  customerUrl: string;
}

interface AgentConfig {
  serverUrl: string;
  agentId: string;
  agentName: string;
  token: string;
  interactions: Interaction[];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const show = (id: string, visible: boolean) => ($(id).hidden = !visible);
/** The link icon between an interaction and its screen share (inline SVG: no icon font needed). */
const LINK_ICON = `<svg class="link" role="img" aria-label="screen share linked" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round"><path d="M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7"/><path d="M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"/></svg>`;
const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

// The demo platform has several agents: ?agent=<id> picks one (the first by default).
const agentQuery = new URLSearchParams(location.search).get("agent");
const forAgent = agentQuery ? `?agent=${encodeURIComponent(agentQuery)}` : "";
const config = (await (await fetch(`/platform/agent${forAgent}`)).json()) as AgentConfig;
$("agent").textContent = agentText.signedInAs(`${config.agentName} (${config.agentId})`);
const video = $<HTMLVideoElement>("screen");
const viewer = new ScreenShareViewer({ serverUrl: config.serverUrl, token: config.token, video });

let interactions = config.interactions;
/** Customers' names by interaction, kept after an interaction leaves the list so its ended share still names them. */
const names = new Map<string, string>();
let session: Session | undefined;
let checking = true;
let pickerClosed = false;
let screenShown = false;
/** The share this console had until its call or chat was transferred to another agent, who has it now. */
let transferred: Session | undefined;

const customerOf = (current: Session) => names.get(current.interactionId) ?? "the customer";
const live = () => !!session && session.state !== SessionState.ENDED;

function fail(error: unknown): void {
  const failure = failureOf(error);
  showFailure(agentFailure(failure), failure, error);
  // A start refused because a share is already running: show that one, with its controls.
  if (failure.liveSessionId && !live()) void viewer.resume().catch(fail);
}

const view = screenView(video, $("stage"), (sentence) => showFailure(sentence, failureOf(new Error(sentence)), sentence));

function renderInteractions(): void {
  for (const interaction of interactions) names.set(interaction.interactionId, interaction.customerName);
  show("no-interactions", interactions.length === 0);
  $("no-interactions").textContent = agentText.noInteractions;
  $("interactions").replaceChildren(
    ...interactions.map((interaction) => {
      const item = document.createElement("li");
      item.dataset.interaction = interaction.interactionId;
      const linked = live() && session?.interactionId === interaction.interactionId;
      const who = document.createElement("span");
      who.className = "who";
      who.innerHTML = `<span class="channel">${agentText.channel(interaction.channel)}</span> <span class="name"></span>${linked ? ` ${LINK_ICON}` : ""}`;
      (who.querySelector(".name") as HTMLElement).textContent = interaction.customerName;
      const actions = document.createElement("span");
      actions.className = "actions";
      const page = document.createElement("a");
      page.href = interaction.customerUrl;
      page.target = "_blank";
      page.textContent = "Customer page";
      page.setAttribute("aria-label", `Customer page of ${interaction.customerName} (demo)`);
      actions.append(page);
      // Never a Start button that can only fail: none while looking for a live share or while one runs.
      if (!checking && !live()) {
        const start = document.createElement("button");
        start.type = "button";
        start.textContent = "Start Screen Share";
        start.setAttribute("aria-label", `Start Screen Share with ${interaction.customerName}`);
        start.addEventListener("click", () => {
          clearFailure();
          start.disabled = true;
          viewer
            .start(interaction.interactionId)
            .catch(fail)
            .finally(() => (start.disabled = false));
        });
        actions.append(start);
      }
      item.append(who, actions);
      return item;
    }),
  );
}

function statusOf(): Status {
  if (checking) return agentText.checking;
  if (!session && transferred) {
    const to = transferred.viewerDisplayName || agentText.anotherAgent;
    return agentText.transferredAway(transferred.channel === Channel.CHAT ? "chat" : "voice", to, customerOf(transferred));
  }
  if (!session) return agentText.noSession;
  const customer = customerOf(session);
  if (session.state === SessionState.ENDED) return endedStatus(session.endReason, customer);
  if (pickerClosed && session.state === SessionState.SELECTING_SCREEN) return agentText.pickerClosed(customer);
  if (session.state === SessionState.PAUSED && session.unpauseRequestedAt) return agentText.askedToResume(customer);
  return liveStatus(session.state, customer);
}

function render(): void {
  const status = statusOf();
  $("headline").textContent = capital(status.headline);
  $("next").textContent = status.next;
  show("linked", !!session);
  // The link icon means a live link to the interaction; an ended share only names it.
  $("link-icon").style.display = live() ? "" : "none";
  if (session) {
    const linked = agentText.linkedTo(session.channel === Channel.CHAT ? "chat" : "voice", customerOf(session));
    $("linked-text").textContent = live() ? linked : `(${linked})`;
  }
  const key = session?.securityKey;
  show("key-box", !!key);
  $("key").textContent = key?.display ?? "";
  // Which controls apply comes from the lifecycle machine, not from a list of states kept here.
  const handled = session ? eventsHandledIn(session.state) : new Set<string>();
  show("reload", handled.has("KEY_REGENERATED"));
  show("end", handled.has("VIEWER_CANCELLED"));
  show("leave", handled.has("VIEWER_LEFT"));
  show("ask-resume", handled.has("UNPAUSE_REQUESTED"));
  $<HTMLButtonElement>("ask-resume").disabled = !!session?.unpauseRequestedAt;
  // A paused screen is hidden, not frozen on its last frame: the customer paused to hide what comes next.
  const paused = session?.state === SessionState.PAUSED;
  $("stage").classList.toggle("paused", paused);
  show("viewer", live() || screenShown);
  for (const id of ["fit", "actual", "zoom-in", "zoom-out", "fullscreen", "popout"]) $<HTMLButtonElement>(id).disabled = !screenShown;
  $("stage").classList.toggle("empty", !screenShown);
  // The note over the stage: waiting for the screen, or (set by the view) where the popped-out screen went.
  if (paused) $("stage-note").textContent = agentText.pausedScreen;
  else if (!screenShown) $("stage-note").textContent = live() ? agentText.waitingForScreen : "";
  else if (!$("stage").classList.contains("popped")) $("stage-note").textContent = "";
  renderInteractions();
  renderClock();
}

/** The parts that change every second: the key's countdown and attempts, the waiting deadline, the session timer. */
function renderClock(): void {
  const key = session?.securityKey;
  if (key) {
    const left = secondsUntil(key.expiresAt) ?? 0;
    $("key-expiry").textContent = left > 0 ? agentText.keyExpiresIn(left) : agentText.keyExpired;
    $("attempts").textContent = key.attemptsRemaining > 0 ? agentText.attemptsLeft(key.attemptsRemaining) : agentText.keyLocked;
  }
  const deadline = session && session.state !== SessionState.ENDED ? secondsUntil(session.stateDeadline) : undefined;
  $("deadline").textContent = session && deadline !== undefined && !key ? agentText.deadline(session.state, deadline) : "";
  const since = session?.state === SessionState.SHARING ? secondsSince(session.updatedAt) : undefined;
  $("timer").textContent = since !== undefined ? agentText.sharingFor(since) : "";
}

viewer.on("session", (next) => {
  transferred = undefined;
  if (next.state !== SessionState.SELECTING_SCREEN || next.sessionId !== session?.sessionId) pickerClosed = false;
  if (next.state === SessionState.ENDED && live()) view.closed();
  session = next;
  if (next.state === SessionState.ENDED) screenShown = false;
  render();
});
viewer.on("event", (event) => {
  // The customer closed the picker: the session stays where it was, so only the event says so.
  if (event.trigger === "SCREEN_PICKER_CLOSED") pickerClosed = true;
});
viewer.on("screen", () => {
  screenShown = true;
  if (session) view.shown(agentText.screenLabel(capital(customerOf(session))));
  render();
});
viewer.on("screenGone", () => {
  screenShown = false;
  render();
});
viewer.on("transferred", (gone) => {
  // The call moved to another agent and the share with it: nothing of it stays on this console.
  view.closed();
  session = undefined;
  screenShown = false;
  pickerClosed = false;
  transferred = gone;
  render();
});
viewer.on("error", fail);

$("reload").addEventListener("click", () => {
  clearFailure();
  viewer.regenerateKey().catch(fail);
});
$("copy").addEventListener("click", () => {
  const key = viewer.current?.securityKey?.key ?? "";
  navigator.clipboard.writeText(key).then(
    () => ($("copied").textContent = agentText.keyCopied),
    (error) => console.error("the clipboard refused the key; it stays readable on the page", error),
  );
});
$("end").addEventListener("click", () => {
  clearFailure();
  viewer.cancel().catch(fail);
});
$("ask-resume").addEventListener("click", () => {
  clearFailure();
  viewer.askToUnpause().catch(fail);
});
$("leave").addEventListener("click", () => {
  clearFailure();
  viewer.leave().catch(fail);
});
window.addEventListener("pagehide", () => void viewer.close());
setInterval(renderClock, 1_000);

// The list follows the platform: new, disconnected and transferred calls and chats. A call transferred to this agent
// may bring its live screen share along: without one of its own, the console picks it up as after a refresh.
const platformEvents = new EventSource("/platform/events");
const reloadInteractions = () =>
  fetch(`/platform/interactions${forAgent}`)
    .then((response) => response.json() as Promise<Interaction[]>)
    .then(async (next) => {
      interactions = next;
      renderInteractions();
      if (!checking && !live()) await viewer.resume();
    })
    .catch(fail);
platformEvents.addEventListener("message", reloadInteractions);
// What changed before the stream was (re)connected would be missed otherwise.
platformEvents.addEventListener("open", reloadInteractions);

render();
try {
  await viewer.resume();
} catch (error) {
  fail(error);
} finally {
  checking = false;
  render();
}
