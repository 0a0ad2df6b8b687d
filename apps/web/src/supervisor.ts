import { ScreenShareSupervisor, type Session } from "@screenshare/client/supervisor";
import { Channel } from "@screenshare/protocol";
import { clearFailure, failureOf, secondsSince, showFailure } from "./errors.js";
import { type Status, supervisorText } from "./supervisor-messages.js";

interface SupervisorConfig {
  serverUrl: string;
  token: string;
}

/** The list is read again this often: live shares come and go without telling a supervisor. */
const LIST_POLL_MS = 2_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const config = (await (await fetch("/platform/supervisor")).json()) as SupervisorConfig;
const video = $<HTMLVideoElement>("screen");
const supervisor = new ScreenShareSupervisor({ serverUrl: config.serverUrl, token: config.token, video });

let watched: Session | undefined;
let screenShown = false;
let status: Status = supervisorText.idle;

function render(): void {
  $("headline").textContent = status.headline;
  $("next").textContent = status.next;
  $("stop-watching").hidden = !supervisor.current;
  $("stage").hidden = !screenShown;
}

function say(next: Status): void {
  status = next;
  render();
}

function listItem(session: Session): HTMLElement {
  const item = document.createElement("li");
  item.dataset.session = session.sessionId;
  const what = document.createElement("span");
  what.className = "name";
  what.textContent = `${supervisorText.channel(session.channel === Channel.VOICE)} · ${supervisorText.agent(session.viewerUserId)}`;
  const detail = document.createElement("span");
  detail.className = "quiet";
  detail.textContent = `${supervisorText.state(session.state)}. ${supervisorText.age(secondsSince(session.createdAt) ?? 0)}.`;
  const watch = document.createElement("button");
  watch.type = "button";
  watch.textContent = supervisorText.watch;
  watch.setAttribute("aria-label", supervisorText.watchLabel(session.viewerUserId));
  watch.disabled = supervisor.current === session.sessionId;
  watch.addEventListener("click", () => void watchSession(session));
  item.append(what, " ", detail, " ", watch);
  return item;
}

async function refresh(): Promise<void> {
  try {
    const sessions = await supervisor.liveSessions();
    $("sessions").replaceChildren(...sessions.map(listItem));
    $("no-sessions").hidden = sessions.length > 0;
    $("no-sessions").textContent = supervisorText.noSessions;
  } catch (error) {
    showFailure(supervisorText.listFailed, failureOf(error), error);
  }
}

async function watchSession(session: Session): Promise<void> {
  clearFailure();
  screenShown = false;
  say(supervisorText.connecting(session.viewerUserId));
  // The screen may arrive while the room is still being joined: the listed session names it meanwhile.
  watched = session;
  try {
    watched = await supervisor.watch(session.sessionId);
    say(screenShown ? supervisorText.watching(watched.viewerUserId, watched.observersAnnounced) : supervisorText.waitingForScreen(session.viewerUserId));
  } catch (error) {
    watched = undefined;
    say(supervisorText.idle);
    showFailure(supervisorText.failed, failureOf(error), error);
  }
  await refresh();
}

supervisor.on("screen", () => {
  screenShown = true;
  if (watched) say(supervisorText.watching(watched.viewerUserId, watched.observersAnnounced));
});
supervisor.on("screenGone", () => {
  screenShown = false;
  if (watched) say(supervisorText.waitingForScreen(watched.viewerUserId));
});
supervisor.on("ended", () => {
  watched = undefined;
  screenShown = false;
  say(supervisorText.ended);
  void refresh();
});
supervisor.on("error", (error) => showFailure(supervisorText.failed, failureOf(error), error));
$("stop-watching").addEventListener("click", async () => {
  await supervisor.stopWatching();
  watched = undefined;
  screenShown = false;
  say(supervisorText.idle);
  await refresh();
});
addEventListener("pagehide", () => void supervisor.stopWatching());

render();
await refresh();
setInterval(() => void refresh(), LIST_POLL_MS);
