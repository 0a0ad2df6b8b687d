// A headless LiveKit peer (rtc-node) that joins with the join info the server hands out.
import { Room } from "@livekit/rtc-node";
import type { MediaJoinInfo } from "@screenshare/protocol";

/** Joins the room of `media` as the party it was issued for. */
export async function joinRoom(media: MediaJoinInfo | undefined): Promise<Room> {
  if (media?.transport.case !== "livekit") throw new Error("no LiveKit join info");
  const room = new Room();
  await room.connect(media.transport.value.serverUrl, media.transport.value.participantToken, { autoSubscribe: true, dynacast: false });
  return room;
}
