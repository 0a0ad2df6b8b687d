import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { applyEvent, type SessionEventType } from "@screenshare/machine";
import { InteractionService, SessionState, SharerService, ViewerService } from "@screenshare/protocol";
import { protoStateOf } from "./session-view.js";
import type { SessionRecord } from "./store.js";

// Why a command was refused, and what its sender can do instead: read from the machine, so the advice never drifts
// from the lifecycle, and written once for every RPC.

/** The RPC through which a party sends each command; the party is the RPC's service. */
const RPC_OF = {
  KEY_REGENERATED: ViewerService.method.regenerateSecurityKey,
  VIEWER_CANCELLED: ViewerService.method.cancelScreenShare,
  VIEWER_LEFT: ViewerService.method.leaveSession,
  VIEWER_RESUMED: ViewerService.method.resumeSession,
  UNPAUSE_REQUESTED: ViewerService.method.askToUnpause,
  KEY_REDEEMED: SharerService.method.redeemSecurityKey,
  INVITATION_ACCEPTED: SharerService.method.acceptInvitation,
  INVITATION_DECLINED: SharerService.method.declineInvitation,
  SCREEN_PICKER_CLOSED: SharerService.method.reportScreenSelectionProblem,
  SHARER_UNSUPPORTED: SharerService.method.reportScreenSelectionProblem,
  SHARER_PAUSED: SharerService.method.pauseSharing,
  SHARER_UNPAUSED: SharerService.method.unpauseSharing,
  SHARER_STOPPED: SharerService.method.stopSharing,
  SHARER_RESUMED: SharerService.method.resumeSharing,
  ADMINISTRATOR_TERMINATED: InteractionService.method.terminateSession,
} satisfies Partial<Record<SessionEventType, DescMethod>>;

/** A command a party sends through an RPC (facts and the platform's interaction events are never refused). */
export type PartyCommand = keyof typeof RPC_OF;

/** What a party can still do about a session that has ended. */
const AFTER_THE_END = new Map<DescService, string>([
  [ViewerService, `start a new one with ${ViewerService.method.startScreenShare.name}`],
  [SharerService, "ask the agent to start a new screen share"],
  [InteractionService, "nothing is left to end"],
]);

/**
 * FAILED_PRECONDITION for a command the session's state refuses: the RPC and the state, then the party's other RPCs
 * that would change the session now, or, once it has ended, what that party can still do.
 */
export function refusal(record: Pick<SessionRecord, "machine">, type: PartyCommand): ConnectError {
  const rpc: DescMethod = RPC_OF[type];
  const changes = (event: string) => {
    const outcome = applyEvent(record.machine, { type: event, at: Date.now() });
    return outcome.kind === "applied" && outcome.step.changed;
  };
  const allowed = new Set(
    Object.entries(RPC_OF)
      .filter(([event, method]) => method.parent === rpc.parent && method !== rpc && changes(event))
      .map(([, method]) => method.name),
  );
  const state = SessionState[protoStateOf(record)];
  const next = allowed.size > 0 ? `call ${[...allowed].join(" or ")} instead` : `the session has ended: ${AFTER_THE_END.get(rpc.parent)}`;
  return new ConnectError(`${rpc.name} is not allowed in state ${state}; ${next}`, Code.FailedPrecondition);
}
