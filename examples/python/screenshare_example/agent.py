"""The viewer's side: the agent's console starts a screen share and watches the session."""
import queue
import threading
from typing import Optional

import grpc

from screenshare.v1 import session_pb2
from screenshare.v1 import viewer_service_pb2 as viewer
from screenshare.v1 import viewer_service_pb2_grpc
from screenshare.v1 import watch_service_pb2 as watch
from screenshare.v1 import watch_service_pb2_grpc

from .calls import bearer, livekit_of


class Agent:
    def __init__(self, channel: grpc.Channel, viewer_token: str):
        self._viewer = viewer_service_pb2_grpc.ViewerServiceStub(channel)
        self._watch = watch_service_pb2_grpc.WatchServiceStub(channel)
        self._auth = bearer(viewer_token)

    def start(self, interaction_id: str, idempotency_key: str = "") -> session_pb2.Session:
        """Starts a screen share. With an idempotency key, a retry after a lost response returns the same session."""
        request = viewer.StartScreenShareRequest(interaction_id=interaction_id, idempotency_key=idempotency_key)
        return self._viewer.StartScreenShare(request, metadata=self._auth).session

    def end(self, session: session_pb2.Session) -> session_pb2.Session:
        """"End screen share" before the customer's screen is shown, "Leave session" after."""
        if session.state == session_pb2.SESSION_STATE_SHARING:
            return self._viewer.LeaveSession(viewer.LeaveSessionRequest(session_id=session.session_id), metadata=self._auth).session
        request = viewer.CancelScreenShareRequest(session_id=session.session_id)
        return self._viewer.CancelScreenShare(request, metadata=self._auth).session

    def media_room(self, session_id: str) -> session_pb2.LiveKitJoinInfo:
        """The LiveKit room and subscribe-only token the console joins to show the customer's screen."""
        media = self._viewer.GetViewerMediaJoinInfo(
            viewer.GetViewerMediaJoinInfoRequest(session_id=session_id), metadata=self._auth
        ).media
        return livekit_of(media)

    def follow(self, session_id: str) -> "WatchedSession":
        return WatchedSession(self._watch, self._auth, session_id)


class WatchedSession:
    """One session's events from WatchSession, read on a thread, resumed after the last sequence if the stream drops."""

    def __init__(self, stub: watch_service_pb2_grpc.WatchServiceStub, auth, session_id: str):
        self._stub, self._auth, self._session_id = stub, auth, session_id
        self._events: "queue.Queue[Optional[session_pb2.SessionEvent] | Exception]" = queue.Queue()
        self._call = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        last = 0
        for attempt in range(4):
            try:
                self._call = self._stub.WatchSession(
                    watch.WatchSessionRequest(session_id=self._session_id, after_sequence=last), metadata=self._auth
                )
                for response in self._call:
                    event = response.event
                    if event.sequence != last + 1:
                        raise RuntimeError(f"event {event.sequence} after {last}: WatchSession promises no gap")
                    last = event.sequence
                    self._events.put(event)
                    if event.session.state == session_pb2.SESSION_STATE_ENDED:
                        self._events.put(None)
                        return
            except grpc.RpcError as error:
                if error.code() == grpc.StatusCode.CANCELLED or attempt == 3:
                    self._events.put(error)
                    return
            except RuntimeError as error:
                self._events.put(error)
                return
        self._events.put(RuntimeError(f"WatchSession for {self._session_id} kept closing before the session ended"))

    def until(self, state: "session_pb2.SessionState", timeout: float = 30) -> session_pb2.Session:
        """Waits for the session to reach `state` and returns it as of that event."""
        while True:
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no {session_pb2.SessionState.Name(state)} within {timeout} s") from None
            if isinstance(event, Exception):
                raise event
            if event is None:
                raise RuntimeError(f"the session ended before {session_pb2.SessionState.Name(state)}")
            if event.session.state == state:
                return event.session

    def close(self) -> None:
        if self._call is not None:
            self._call.cancel()
