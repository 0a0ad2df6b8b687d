import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { SessionState } from "@screenshare/protocol";
import type { Case } from "./case.js";
import { redeemedSession } from "./cases.js";
import { type CaseContext, sleep } from "./context.js";
import { check, equal, rejects, Skip } from "./expect.js";

// The privacy pause (SharerService.PauseSharing / UnpauseSharing, ViewerService.AskToUnpause). The media cases
// count the frames the viewer decodes: a pause must stop them in the media plane, not only change a state.

/** Time for frames already on their way when the media plane stopped forwarding to drain. */
const DRAIN_MS = 500;
/** How long the viewer watches for frames that must not come; a shared screen showed 5 or more in this time. */
const WATCH_MS = 2_000;
/** Frames the viewer may still decode in the watch window (a media plane may send a blank frame on a mute). */
const MAX_STRAY_FRAMES = 1;

/** A voice session whose sharer publishes a screen the viewer receives, and the viewer's frame count. */
async function sharingSession(context: CaseContext) {
  const session = await redeemedSession(context);
  const { agent, sessionId, sharer } = session;
  const sharerPeer = await context.join((await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media);
  const viewerPeer = await context.join((await agent.clients.viewer.getViewerMediaJoinInfo({ sessionId })).media);
  const frames = viewerPeer.countFrames();
  await sharerPeer.publish();
  await context.until(agent, sessionId, SessionState.SHARING, 5_000);
  await frames.waitForMore(5, 10_000);
  return { ...session, sharerPeer, frames };
}

/** Expects the viewer to decode (almost) no frames for a while. */
async function expectNoFrames(frames: { readonly frames: number }, what: string): Promise<void> {
  await sleep(DRAIN_MS);
  const before = frames.frames;
  await sleep(WATCH_MS);
  const stray = frames.frames - before;
  check(stray <= MAX_STRAY_FRAMES, `at most ${MAX_STRAY_FRAMES} frames at the viewer in ${WATCH_MS} ms ${what}`, `${stray} frames`);
}

export const pauseCases: Case[] = [
  {
    name: "media/pause-stops-frames-until-the-sharer-unpauses",
    covers: [],
    async run(context) {
      const { agent, sessionId, sharer, frames } = await sharingSession(context);
      const idempotencyKey = `pause-${sessionId}`;
      const { session } = await sharer.sharer.pauseSharing({ sessionId, idempotencyKey });
      equal(SessionState[session?.state ?? 0], "PAUSED", "state in the PauseSharing response");
      check(session?.pausedAt !== undefined, "paused_at set while paused", "unset");
      const pausedAt = session?.pausedAt ? timestampMs(session.pausedAt) : 0;
      const deadline = session?.stateDeadline ? timestampMs(session.stateDeadline) : 0;
      equal(deadline - pausedAt, context.info.pauseTimeoutSeconds * 1000, "state_deadline - paused_at (ms)");
      await context.until(agent, sessionId, SessionState.PAUSED, 3_000);
      // The sharer's peer keeps sending: the server, not the sharer's page, holds the screen back.
      await expectNoFrames(frames, "while paused");
      const again = await sharer.sharer.pauseSharing({ sessionId });
      equal(SessionState[again.session?.state ?? 0], "PAUSED", "state after pausing again (a no-op)");
      const unpaused = await sharer.sharer.unpauseSharing({ sessionId });
      equal(SessionState[unpaused.session?.state ?? 0], "SHARING", "state in the UnpauseSharing response");
      check(unpaused.session?.pausedAt === undefined, "paused_at unset after unpausing", "set");
      await frames.waitForMore(5, 10_000);
      // The same track: nothing was unpublished or published again, no screen chosen again.
      equal(frames.trackSids.length, 1, "video tracks the viewer subscribed to");
      const noop = await sharer.sharer.unpauseSharing({ sessionId });
      equal(SessionState[noop.session?.state ?? 0], "SHARING", "state after unpausing again (a no-op)");
      // A retry of the first pause (its answer lost) gets that answer again and pauses nothing.
      const retry = await sharer.sharer.pauseSharing({ sessionId, idempotencyKey });
      equal(retry.session?.lastSequence, session?.lastSequence, "last_sequence in a PauseSharing retry's answer (the first answer)");
      equal(SessionState[(await agent.clients.viewer.getSession({ sessionId })).session?.state ?? 0], "SHARING", "state after the retry");
    },
  },
  {
    name: "media/pause-only-the-sharer-unpauses",
    covers: [],
    async run(context) {
      const { agent, sessionId, sharer, frames } = await sharingSession(context);
      const paused = await sharer.sharer.pauseSharing({ sessionId });
      const asked = await agent.clients.viewer.askToUnpause({ sessionId });
      equal(SessionState[asked.session?.state ?? 0], "PAUSED", "state after AskToUnpause");
      check(asked.session?.unpauseRequestedAt !== undefined, "unpause_requested_at set after AskToUnpause", "unset");
      // The sharer hears of the request on its own stream.
      let trigger = "";
      for await (const { event } of sharer.watch.watchSession(
        { sessionId, afterSequence: paused.session?.lastSequence ?? 0n },
        { signal: AbortSignal.timeout(3_000) },
      )) {
        trigger = event?.trigger ?? "";
        break;
      }
      equal(trigger, "UNPAUSE_REQUESTED", "trigger of the event the sharer sees after AskToUnpause");
      const resumed = await agent.clients.viewer.resumeSession({ sessionId });
      equal(SessionState[resumed.session?.state ?? 0], "PAUSED", "state after the viewer's ResumeSession");
      await rejects(context.clients(agent.token).sharer.unpauseSharing({ sessionId }), Code.Unauthenticated, "UnpauseSharing with the viewer's token");
      await expectNoFrames(frames, "after the viewer asked, resumed and tried to unpause");
      await context.until(agent, sessionId, SessionState.PAUSED, 1_000);
      const unpaused = await sharer.sharer.unpauseSharing({ sessionId });
      check(unpaused.session?.unpauseRequestedAt === undefined, "unpause_requested_at unset once unpaused", "set");
      const pausedAgain = await sharer.sharer.pauseSharing({ sessionId });
      check(pausedAgain.session?.unpauseRequestedAt === undefined, "unpause_requested_at unset in a new pause", "set");
    },
  },
  {
    name: "media/pause-holds-back-the-track-of-a-reloaded-page",
    covers: [],
    async run(context) {
      if (context.info.sharerReconnectGraceSeconds === 0) throw new Skip("needs sharer reconnect grace > 0: a dropped sharer ends the session at once");
      const { agent, sessionId, sharer, sharerPeer, frames } = await sharingSession(context);
      const { session } = await sharer.sharer.pauseSharing({ sessionId });
      await agent.clients.viewer.askToUnpause({ sessionId });
      await sharerPeer.leave();
      const away = await context.until(agent, sessionId, SessionState.RECONNECTING_SHARER, 5_000);
      check(away.pausedAt !== undefined, "paused_at still set while the paused sharer reconnects", "unset");
      await rejects(sharer.sharer.unpauseSharing({ sessionId }), Code.FailedPrecondition, "UnpauseSharing before ResumeSharing");
      equal(SessionState[(await agent.clients.viewer.getSession({ sessionId })).session?.state ?? 0], "RECONNECTING_SHARER", "state after the refused unpause");
      const resumed = await sharer.sharer.resumeSharing({ sessionId });
      equal(SessionState[resumed.session?.state ?? 0], "PAUSED", "state after ResumeSharing of a sharer who dropped while paused");
      check(resumed.session?.unpauseRequestedAt !== undefined, "the viewer's request to unpause still shown after the reload", "unset");
      equal(
        resumed.session?.stateDeadline && timestampMs(resumed.session.stateDeadline),
        session?.stateDeadline && timestampMs(session.stateDeadline),
        "the pause's deadline after the reload (not restarted)",
      );
      const reloaded = await context.join((await sharer.sharer.getSharerMediaJoinInfo({ sessionId })).media);
      await reloaded.publish();
      // Held back once the server hears of the new track from the media plane.
      await sleep(1_000);
      await expectNoFrames(frames, "from the reloaded page's track while paused");
      await context.until(agent, sessionId, SessionState.PAUSED, 1_000);
      const unpaused = await sharer.sharer.unpauseSharing({ sessionId });
      equal(SessionState[unpaused.session?.state ?? 0], "SHARING", "state after unpausing with the new track published");
      await frames.waitForMore(5, 10_000);
    },
  },
  {
    name: "rules/pause/refused-where-it-does-not-apply",
    covers: [
      "SharerService.PauseSharing/error/FAILED_PRECONDITION",
      "SharerService.UnpauseSharing/error/FAILED_PRECONDITION",
      "ViewerService.AskToUnpause/error/FAILED_PRECONDITION",
    ],
    async run(context) {
      const { agent, sessionId, sharer } = await redeemedSession(context);
      await rejects(sharer.sharer.pauseSharing({ sessionId }), Code.FailedPrecondition, "PauseSharing while choosing a screen");
      await rejects(sharer.sharer.unpauseSharing({ sessionId }), Code.FailedPrecondition, "UnpauseSharing while choosing a screen");
      await rejects(agent.clients.viewer.askToUnpause({ sessionId }), Code.FailedPrecondition, "AskToUnpause while choosing a screen");
      const { session } = await agent.clients.viewer.getSession({ sessionId });
      equal(SessionState[session?.state ?? 0], "SELECTING_SCREEN", "state after the refused calls");
    },
  },
];
