import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from screenshare.v1 import session_pb2 as _session_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ScreenSelectionProblem(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCREEN_SELECTION_PROBLEM_UNSPECIFIED: _ClassVar[ScreenSelectionProblem]
    SCREEN_SELECTION_PROBLEM_PICKER_CLOSED: _ClassVar[ScreenSelectionProblem]
    SCREEN_SELECTION_PROBLEM_BROWSER_UNSUPPORTED: _ClassVar[ScreenSelectionProblem]
SCREEN_SELECTION_PROBLEM_UNSPECIFIED: ScreenSelectionProblem
SCREEN_SELECTION_PROBLEM_PICKER_CLOSED: ScreenSelectionProblem
SCREEN_SELECTION_PROBLEM_BROWSER_UNSUPPORTED: ScreenSelectionProblem

class RedeemSecurityKeyRequest(_message.Message):
    __slots__ = ("org_id", "security_key", "idempotency_key")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    SECURITY_KEY_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    security_key: str
    idempotency_key: str
    def __init__(self, org_id: _Optional[str] = ..., security_key: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class RedeemSecurityKeyResponse(_message.Message):
    __slots__ = ("session", "sharer_credential")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    SHARER_CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    session: _session_pb2.Session
    sharer_credential: str
    def __init__(self, session: _Optional[_Union[_session_pb2.Session, _Mapping]] = ..., sharer_credential: _Optional[str] = ...) -> None: ...

class Invitation(_message.Message):
    __slots__ = ("session_id", "interaction_id", "expires_at")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    INTERACTION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    interaction_id: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, session_id: _Optional[str] = ..., interaction_id: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WatchInvitationsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchInvitationsResponse(_message.Message):
    __slots__ = ("invitation", "withdrawn_session_id")
    INVITATION_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWN_SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    invitation: Invitation
    withdrawn_session_id: str
    def __init__(self, invitation: _Optional[_Union[Invitation, _Mapping]] = ..., withdrawn_session_id: _Optional[str] = ...) -> None: ...

class AcceptInvitationRequest(_message.Message):
    __slots__ = ("session_id", "idempotency_key")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    idempotency_key: str
    def __init__(self, session_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class AcceptInvitationResponse(_message.Message):
    __slots__ = ("session", "sharer_credential")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    SHARER_CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    session: _session_pb2.Session
    sharer_credential: str
    def __init__(self, session: _Optional[_Union[_session_pb2.Session, _Mapping]] = ..., sharer_credential: _Optional[str] = ...) -> None: ...

class DeclineInvitationRequest(_message.Message):
    __slots__ = ("session_id", "idempotency_key")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    idempotency_key: str
    def __init__(self, session_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class DeclineInvitationResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: _session_pb2.Session
    def __init__(self, session: _Optional[_Union[_session_pb2.Session, _Mapping]] = ...) -> None: ...

class GetSharerMediaJoinInfoRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class GetSharerMediaJoinInfoResponse(_message.Message):
    __slots__ = ("media",)
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    media: _session_pb2.MediaJoinInfo
    def __init__(self, media: _Optional[_Union[_session_pb2.MediaJoinInfo, _Mapping]] = ...) -> None: ...

class StopSharingRequest(_message.Message):
    __slots__ = ("session_id", "idempotency_key")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    idempotency_key: str
    def __init__(self, session_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class StopSharingResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: _session_pb2.Session
    def __init__(self, session: _Optional[_Union[_session_pb2.Session, _Mapping]] = ...) -> None: ...

class ResumeSharingRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class ResumeSharingResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: _session_pb2.Session
    def __init__(self, session: _Optional[_Union[_session_pb2.Session, _Mapping]] = ...) -> None: ...

class ReportScreenSelectionProblemRequest(_message.Message):
    __slots__ = ("session_id", "problem", "idempotency_key")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    problem: ScreenSelectionProblem
    idempotency_key: str
    def __init__(self, session_id: _Optional[str] = ..., problem: _Optional[_Union[ScreenSelectionProblem, str]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class ReportScreenSelectionProblemResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: _session_pb2.Session
    def __init__(self, session: _Optional[_Union[_session_pb2.Session, _Mapping]] = ...) -> None: ...

class PauseSharingRequest(_message.Message):
    __slots__ = ("session_id", "idempotency_key")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    idempotency_key: str
    def __init__(self, session_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class PauseSharingResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: _session_pb2.Session
    def __init__(self, session: _Optional[_Union[_session_pb2.Session, _Mapping]] = ...) -> None: ...

class UnpauseSharingRequest(_message.Message):
    __slots__ = ("session_id", "idempotency_key")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    idempotency_key: str
    def __init__(self, session_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class UnpauseSharingResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: _session_pb2.Session
    def __init__(self, session: _Optional[_Union[_session_pb2.Session, _Mapping]] = ...) -> None: ...
