// The agent's view of the shared screen: fit to the window, 100 %, zoom with panning, full screen and a pop-out
// window. A 1080p screen's text needs one of these to be read.
import { agentText } from "./agent-messages.js";

const STEPS = [0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1, 1.25, 1.5, 2, 3, 4];

const button = (id: string) => document.getElementById(id) as HTMLButtonElement;

/** Wires the toolbar to the video; returns a function that says whether a screen is there to be looked at. */
export function screenView(video: HTMLVideoElement, stage: HTMLElement, onFailure: (sentence: string) => void) {
  let scale: number | "fit" = "fit";
  let popup: Window | undefined;
  const note = document.getElementById("stage-note") as HTMLElement;
  const level = document.getElementById("zoom-level") as HTMLOutputElement;

  /** The scale "fit" shows the screen at, to zoom on from there. */
  const fitScale = () => (video.videoWidth ? Math.min(stage.clientWidth / video.videoWidth, stage.clientHeight / video.videoHeight) : 1);

  const apply = () => {
    stage.classList.toggle("fit", scale === "fit");
    if (scale === "fit") {
      video.style.width = "";
      video.style.height = "";
    } else {
      video.style.width = `${Math.round(video.videoWidth * scale)}px`;
      video.style.height = `${Math.round(video.videoHeight * scale)}px`;
    }
    level.value = agentText.zoom(scale === "fit" ? "fit" : Math.round(scale * 100));
    button("fit").setAttribute("aria-pressed", String(scale === "fit"));
    button("actual").setAttribute("aria-pressed", String(scale === 1));
  };
  const zoom = (direction: 1 | -1) => {
    const from = scale === "fit" ? fitScale() : scale;
    const next = direction > 0 ? STEPS.find((step) => step > from + 0.001) : [...STEPS].reverse().find((step) => step < from - 0.001);
    scale = next ?? from;
    apply();
  };
  button("fit").addEventListener("click", () => {
    scale = "fit";
    apply();
  });
  button("actual").addEventListener("click", () => {
    scale = 1;
    apply();
  });
  button("zoom-in").addEventListener("click", () => zoom(1));
  button("zoom-out").addEventListener("click", () => zoom(-1));
  video.addEventListener("resize", apply);

  // Drag to pan when the screen is larger than the stage; the arrow keys scroll the focused stage natively.
  let drag: { x: number; y: number } | undefined;
  stage.addEventListener("pointerdown", (event) => {
    if (scale === "fit") return;
    drag = { x: event.clientX, y: event.clientY };
    stage.setPointerCapture(event.pointerId);
    stage.classList.add("dragging");
  });
  stage.addEventListener("pointermove", (event) => {
    if (!drag) return;
    stage.scrollBy(drag.x - event.clientX, drag.y - event.clientY);
    drag = { x: event.clientX, y: event.clientY };
  });
  const endDrag = () => {
    drag = undefined;
    stage.classList.remove("dragging");
  };
  stage.addEventListener("pointerup", endDrag);
  stage.addEventListener("pointercancel", endDrag);

  button("fullscreen").addEventListener("click", () => {
    if (document.fullscreenElement) {
      document.exitFullscreen().catch((error) => console.error("leaving full screen failed", error));
      return;
    }
    // The toolbar goes along, so the agent can zoom and leave full screen from there.
    (document.getElementById("viewer") as HTMLElement).requestFullscreen().catch((error) => {
      console.error("full screen refused", error);
      onFailure(agentText.fullScreenRefused);
    });
  });
  document.addEventListener("fullscreenchange", () => {
    button("fullscreen").textContent = document.fullscreenElement ? "Exit full screen" : "Full screen";
  });

  const closePopup = () => {
    popup?.close();
    popup = undefined;
    note.textContent = "";
    stage.classList.remove("popped");
  };
  button("popout").addEventListener("click", () => {
    if (popup && !popup.closed) {
      closePopup();
      return;
    }
    const opened = window.open("", "shared-screen", "popup,width=1280,height=760");
    if (!opened) {
      onFailure(agentText.popOutBlocked);
      return;
    }
    popup = opened;
    const page = opened.document;
    page.title = video.getAttribute("aria-label") ?? "Shared screen";
    page.documentElement.lang = "en";
    page.body.style.cssText = "margin:0;background:#0b1420;height:100vh;display:grid";
    const copy = page.createElement("video");
    copy.id = "screen";
    copy.autoplay = copy.muted = copy.playsInline = true;
    copy.setAttribute("aria-label", page.title);
    copy.style.cssText = "width:100%;height:100%;object-fit:contain";
    copy.srcObject = video.srcObject;
    page.body.replaceChildren(copy);
    opened.addEventListener("pagehide", () => {
      popup = undefined;
      note.textContent = "";
      stage.classList.remove("popped");
      button("popout").textContent = "Pop out";
    });
    note.textContent = agentText.poppedOut;
    stage.classList.add("popped");
    button("popout").textContent = "Bring back";
  });

  return {
    /** The screen arrived (again): show it, and in the pop-out too. */
    shown(customerLabel: string) {
      video.setAttribute("aria-label", customerLabel);
      if (popup && !popup.closed) (popup.document.getElementById("screen") as HTMLVideoElement).srcObject = video.srcObject;
      apply();
    },
    /** The session is over: no pop-out is left behind. */
    closed() {
      if (document.fullscreenElement) document.exitFullscreen().catch((error) => console.error("leaving full screen failed", error));
      closePopup();
      button("popout").textContent = "Pop out";
    },
  };
}
