import { identityOf, type MediaPlane } from "@screenshare/server/engine";

/**
 * A media plane that does no I/O and keeps its rooms in memory: for tests of everything but media. `rooms` is
 * open, so a test can make a room vanish; `failing` makes every call fail as an unreachable LiveKit would;
 * `removed` lists the participants the server removed.
 */
export function memoryMedia(): MediaPlane & { rooms: Map<string, number>; mutedScreens: Set<string>; failing: boolean; removed: string[] } {
  const rooms = new Map<string, number>();
  const mutedScreens = new Set<string>();
  const media = {
    url: "ws://127.0.0.1:1",
    rooms,
    /** Sessions whose sharer's screen the server has muted (paused). */
    mutedScreens,
    failing: false,
    check() {
      if (media.failing) throw new Error("media plane unreachable (test)");
    },
    async createRoom(sessionId: string) {
      media.check();
      rooms.set(sessionId, Date.now());
    },
    async deleteRoom(sessionId: string) {
      media.check();
      rooms.delete(sessionId);
    },
    async ping() {
      media.check();
    },
    async listRooms() {
      media.check();
      return [...rooms].map(([sessionId, createdAt]) => ({ sessionId, createdAt }));
    },
    async setScreenMuted(sessionId: string, muted: boolean) {
      media.check();
      if (muted) mutedScreens.add(sessionId);
      else mutedScreens.delete(sessionId);
    },
    /** Every participant removal asked for, as `sessionId|identity`. */
    removed: [] as string[],
    async removeParticipant(sessionId: string, identity: string) {
      media.check();
      media.removed.push(`${sessionId}|${identity}`);
    },
    async token(role: "viewer" | "sharer", sessionId: string, transfers = 0) {
      return { token: "", identity: identityOf(role, sessionId, transfers), expiresAt: Date.now() };
    },
    async observerToken(sessionId: string, number: number) {
      return { token: "", identity: `observer-${number}-${sessionId}`, expiresAt: Date.now() };
    },
  };
  return media;
}
