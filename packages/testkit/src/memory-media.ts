import type { MediaPlane } from "@screenshare/server/engine";

/**
 * A media plane that does no I/O and keeps its rooms in memory: for tests of everything but media. `rooms` is
 * open, so a test can make a room vanish; `failing` makes every call fail as an unreachable LiveKit would.
 */
export function memoryMedia(): MediaPlane & { rooms: Map<string, number>; failing: boolean } {
  const rooms = new Map<string, number>();
  const media = {
    url: "ws://127.0.0.1:1",
    rooms,
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
    async token(role: "viewer" | "sharer", sessionId: string) {
      return { token: "", identity: `${role}-${sessionId}`, expiresAt: Date.now() };
    },
  };
  return media;
}
