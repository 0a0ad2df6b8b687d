import { ScreenShareViewer, type Session, SessionState } from "@screenshare/client/viewer";
import { eventsHandledIn } from "@screenshare/machine";
import { Channel, EndReason } from "@screenshare/protocol";

interface AgentConfig {
  serverUrl: string;
  agentId: string;
  token: string;
  interactions: Array<{ interactionId: string; channel: "voice" | "chat"; customerUrl: string }>;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const show = (id: string, visible: boolean) => ($(id).hidden = !visible);
/** The link icon between an interaction and its screen share (inline SVG: no icon font needed). */
const LINK_ICON = `<svg class="link" role="img" aria-label="linked screen share" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round"><path d="M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7"/><path d="M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"/></svg>`;
const fail = (error: unknown) => ($("error").textContent = String((error as Error).message ?? error));

const config = (await (await fetch("/platform/agent")).json()) as AgentConfig;
$("agent").textContent = `signed in as ${config.agentId}`;
const viewer = new ScreenShareViewer({ serverUrl: config.serverUrl, token: config.token, video: $<HTMLVideoElement>("screen") });

function renderInteractions(session: Session | undefined): void {
  const live = session && session.state !== SessionState.ENDED;
  $("interactions").replaceChildren(
    ...config.interactions.map((interaction) => {
      const item = document.createElement("li");
      item.dataset.interaction = interaction.interactionId;
      const linked = live && session.interactionId === interaction.interactionId ? ` ${LINK_ICON}` : "";
      item.innerHTML = `<span><span class="channel">${interaction.channel === "voice" ? "Voice" : "Chat"}</span> ${interaction.interactionId}${linked}</span>
        <span><a href="${interaction.customerUrl}" target="_blank">customer</a> ${live ? "" : "<button>Start Screen Share</button>"}</span>`;
      item.querySelector("button")?.addEventListener("click", () => void viewer.start(interaction.interactionId).catch(fail));
      return item;
    }),
  );
}

viewer.on("session", (session) => {
  $("error").textContent = "";
  show("share", true);
  $("linked").textContent = `${session.channel === Channel.VOICE ? "call" : "chat"} ${session.interactionId}`;
  $("state").textContent = SessionState[session.state];
  $("reason").textContent = session.endReason ? `(${EndReason[session.endReason]})` : "";
  const key = session.securityKey;
  show("key-box", !!key);
  $("key").textContent = key?.display ?? "";
  $("attempts").textContent = key ? `${key.attemptsRemaining} attempts left` : "";
  // Which controls apply comes from the lifecycle machine, not from a list of states kept here.
  const handled = eventsHandledIn(session.state);
  show("end", handled.has("VIEWER_CANCELLED"));
  show("leave", handled.has("VIEWER_LEFT"));
  renderInteractions(session);
});

$("reload").addEventListener("click", () => void viewer.regenerateKey().catch(fail));
$("copy").addEventListener("click", () => void navigator.clipboard?.writeText(viewer.current?.securityKey?.key ?? "").catch(() => {}));
$("end").addEventListener("click", () => void viewer.cancel().catch(fail));
$("leave").addEventListener("click", () => void viewer.leave().catch(fail));
window.addEventListener("pagehide", () => void viewer.close());

renderInteractions(undefined);
await viewer.resume().catch(fail);
