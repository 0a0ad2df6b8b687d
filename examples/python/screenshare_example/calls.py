"""What every call shares: the bearer header that authenticates it, and the media transport an answer names."""
from screenshare.v1 import session_pb2


def bearer(token: str) -> tuple:
    """gRPC metadata carrying "authorization: Bearer <token>", the one way every service authenticates a caller."""
    return (("authorization", f"Bearer {token}"),)


def livekit_of(media: session_pb2.MediaJoinInfo) -> session_pb2.LiveKitJoinInfo:
    """The LiveKit room and token of a media join answer.

    MediaJoinInfo is a oneof so servers can add transports: a client must say when it knows none of them.
    """
    if media.WhichOneof("transport") != "livekit":
        raise RuntimeError("the server offers no media transport this client knows")
    return media.livekit
