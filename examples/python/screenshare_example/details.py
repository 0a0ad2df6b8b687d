"""Typed error details: LiveSessionConflict, RetryDelay and FieldViolation (errors.proto)."""
from typing import Optional, TypeVar

import grpc
from google.protobuf.message import Message
from grpc_status import rpc_status

T = TypeVar("T", bound=Message)


def detail(error: grpc.RpcError, kind: type[T]) -> Optional[T]:
    """The first detail of type `kind` that the error carries, or None.

    gRPC sends details in the grpc-status-details-bin trailer as a google.rpc.Status; grpcio-status decodes it.
    Never parse the message for them.
    """
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for any_detail in status.details if status else ():
        if any_detail.Is(kind.DESCRIPTOR):
            value = kind()
            any_detail.Unpack(value)
            return value
    return None
