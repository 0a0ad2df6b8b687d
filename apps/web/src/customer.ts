import { ScreenShareSharer, SessionState } from "@screenshare/client/sharer";
import { eventsHandledIn } from "@screenshare/machine";
import { EndReason } from "@screenshare/protocol";

interface CustomerConfig {
  serverUrl: string;
  orgId: string;
  channel: "voice" | "chat";
  customerCredential?: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const show = (id: string, visible: boolean) => ($(id).hidden = !visible);
const fail = (error: unknown) => ($("error").textContent = String((error as Error).message ?? error));

const interaction = new URLSearchParams(location.search).get("interaction") ?? "";
const config = (await (await fetch(`/platform/customer?interaction=${encodeURIComponent(interaction)}`)).json()) as CustomerConfig;
const sharer = new ScreenShareSharer({
  serverUrl: config.serverUrl,
  orgId: config.orgId,
  ...(config.customerCredential && { customerCredential: config.customerCredential }),
});
show(config.channel, true);

let invitationId = "";
sharer.on("invitation", (invitation) => {
  invitationId = invitation.sessionId;
  show("invitation", true);
});
sharer.on("session", (session) => {
  $("error").textContent = "";
  $("state").textContent = SessionState[session.state];
  $("reason").textContent = session.endReason ? `(${EndReason[session.endReason]})` : "";
  // Which controls apply comes from the lifecycle machine, not from a list of states kept here.
  const handled = eventsHandledIn(session.state);
  show("stop", handled.has("SHARER_STOPPED"));
  show("end-chat", config.channel === "chat" && handled.has("SHARER_STOPPED"));
  show("share-again", handled.has("SCREEN_TRACK_PUBLISHED"));
  if (!handled.has("INVITATION_ACCEPTED")) show("invitation", false);
});

const share = () => sharer.share().catch(fail);
$("share-voice").addEventListener("click", async () => {
  try {
    await sharer.redeemKey($<HTMLInputElement>("security-key").value);
    await share();
  } catch (error) {
    fail(error);
  }
});
$("accept").addEventListener("click", () => void sharer.accept(invitationId).catch(fail));
$("decline").addEventListener("click", () => void sharer.decline(invitationId).catch(fail));
$("share-again").addEventListener("click", () => void share());
$("stop").addEventListener("click", () => void sharer.stop().catch(fail));
$("end-chat").addEventListener("click", () => void sharer.stop().catch(fail));

if (config.channel === "chat") sharer.watchInvitations();
await sharer.resume().catch(fail);
