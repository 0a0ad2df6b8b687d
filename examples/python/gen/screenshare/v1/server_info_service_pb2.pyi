from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MediaTransport(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEDIA_TRANSPORT_UNSPECIFIED: _ClassVar[MediaTransport]
    MEDIA_TRANSPORT_LIVEKIT: _ClassVar[MediaTransport]
MEDIA_TRANSPORT_UNSPECIFIED: MediaTransport
MEDIA_TRANSPORT_LIVEKIT: MediaTransport

class ServerInfo(_message.Message):
    __slots__ = ("protocol_version", "implementation", "security_key_length", "security_key_ttl_seconds", "security_key_max_attempts", "redeem_attempts_per_client", "redeem_attempts_per_org", "redeem_window_seconds", "acceptance_timeout_seconds", "screen_selection_timeout_seconds", "viewer_reconnect_grace_seconds", "sharer_reconnect_grace_seconds", "max_session_duration_seconds", "idempotency_retention_seconds", "media_transports", "pause_timeout_seconds", "max_observers_per_session")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    IMPLEMENTATION_FIELD_NUMBER: _ClassVar[int]
    SECURITY_KEY_LENGTH_FIELD_NUMBER: _ClassVar[int]
    SECURITY_KEY_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SECURITY_KEY_MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    REDEEM_ATTEMPTS_PER_CLIENT_FIELD_NUMBER: _ClassVar[int]
    REDEEM_ATTEMPTS_PER_ORG_FIELD_NUMBER: _ClassVar[int]
    REDEEM_WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTANCE_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SCREEN_SELECTION_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    VIEWER_RECONNECT_GRACE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SHARER_RECONNECT_GRACE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_SESSION_DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_RETENTION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TRANSPORTS_FIELD_NUMBER: _ClassVar[int]
    PAUSE_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_OBSERVERS_PER_SESSION_FIELD_NUMBER: _ClassVar[int]
    protocol_version: str
    implementation: str
    security_key_length: int
    security_key_ttl_seconds: int
    security_key_max_attempts: int
    redeem_attempts_per_client: int
    redeem_attempts_per_org: int
    redeem_window_seconds: int
    acceptance_timeout_seconds: int
    screen_selection_timeout_seconds: int
    viewer_reconnect_grace_seconds: int
    sharer_reconnect_grace_seconds: int
    max_session_duration_seconds: int
    idempotency_retention_seconds: int
    media_transports: _containers.RepeatedScalarFieldContainer[MediaTransport]
    pause_timeout_seconds: int
    max_observers_per_session: int
    def __init__(self, protocol_version: _Optional[str] = ..., implementation: _Optional[str] = ..., security_key_length: _Optional[int] = ..., security_key_ttl_seconds: _Optional[int] = ..., security_key_max_attempts: _Optional[int] = ..., redeem_attempts_per_client: _Optional[int] = ..., redeem_attempts_per_org: _Optional[int] = ..., redeem_window_seconds: _Optional[int] = ..., acceptance_timeout_seconds: _Optional[int] = ..., screen_selection_timeout_seconds: _Optional[int] = ..., viewer_reconnect_grace_seconds: _Optional[int] = ..., sharer_reconnect_grace_seconds: _Optional[int] = ..., max_session_duration_seconds: _Optional[int] = ..., idempotency_retention_seconds: _Optional[int] = ..., media_transports: _Optional[_Iterable[_Union[MediaTransport, str]]] = ..., pause_timeout_seconds: _Optional[int] = ..., max_observers_per_session: _Optional[int] = ...) -> None: ...

class GetServerInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServerInfoResponse(_message.Message):
    __slots__ = ("info",)
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: ServerInfo
    def __init__(self, info: _Optional[_Union[ServerInfo, _Mapping]] = ...) -> None: ...
