import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from screenshare.v1 import session_pb2 as _session_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InteractionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTERACTION_STATUS_UNSPECIFIED: _ClassVar[InteractionStatus]
    INTERACTION_STATUS_ALERTING: _ClassVar[InteractionStatus]
    INTERACTION_STATUS_CONNECTED: _ClassVar[InteractionStatus]
    INTERACTION_STATUS_DISCONNECTED: _ClassVar[InteractionStatus]
INTERACTION_STATUS_UNSPECIFIED: InteractionStatus
INTERACTION_STATUS_ALERTING: InteractionStatus
INTERACTION_STATUS_CONNECTED: InteractionStatus
INTERACTION_STATUS_DISCONNECTED: InteractionStatus

class Interaction(_message.Message):
    __slots__ = ("org_id", "interaction_id", "channel", "agent_user_id", "customer_display_name", "status")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    INTERACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    interaction_id: str
    channel: _session_pb2.Channel
    agent_user_id: str
    customer_display_name: str
    status: InteractionStatus
    def __init__(self, org_id: _Optional[str] = ..., interaction_id: _Optional[str] = ..., channel: _Optional[_Union[_session_pb2.Channel, str]] = ..., agent_user_id: _Optional[str] = ..., customer_display_name: _Optional[str] = ..., status: _Optional[_Union[InteractionStatus, str]] = ...) -> None: ...

class RegisterInteractionRequest(_message.Message):
    __slots__ = ("org_id", "interaction_id", "channel", "agent_user_id", "customer_display_name", "status")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    INTERACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    interaction_id: str
    channel: _session_pb2.Channel
    agent_user_id: str
    customer_display_name: str
    status: InteractionStatus
    def __init__(self, org_id: _Optional[str] = ..., interaction_id: _Optional[str] = ..., channel: _Optional[_Union[_session_pb2.Channel, str]] = ..., agent_user_id: _Optional[str] = ..., customer_display_name: _Optional[str] = ..., status: _Optional[_Union[InteractionStatus, str]] = ...) -> None: ...

class RegisterInteractionResponse(_message.Message):
    __slots__ = ("interaction",)
    INTERACTION_FIELD_NUMBER: _ClassVar[int]
    interaction: Interaction
    def __init__(self, interaction: _Optional[_Union[Interaction, _Mapping]] = ...) -> None: ...

class SetInteractionStatusRequest(_message.Message):
    __slots__ = ("org_id", "interaction_id", "status")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    INTERACTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    interaction_id: str
    status: InteractionStatus
    def __init__(self, org_id: _Optional[str] = ..., interaction_id: _Optional[str] = ..., status: _Optional[_Union[InteractionStatus, str]] = ...) -> None: ...

class SetInteractionStatusResponse(_message.Message):
    __slots__ = ("interaction", "ended_sessions")
    INTERACTION_FIELD_NUMBER: _ClassVar[int]
    ENDED_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    interaction: Interaction
    ended_sessions: _containers.RepeatedCompositeFieldContainer[_session_pb2.Session]
    def __init__(self, interaction: _Optional[_Union[Interaction, _Mapping]] = ..., ended_sessions: _Optional[_Iterable[_Union[_session_pb2.Session, _Mapping]]] = ...) -> None: ...

class IssueCustomerCredentialRequest(_message.Message):
    __slots__ = ("org_id", "interaction_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    INTERACTION_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    interaction_id: str
    def __init__(self, org_id: _Optional[str] = ..., interaction_id: _Optional[str] = ...) -> None: ...

class IssueCustomerCredentialResponse(_message.Message):
    __slots__ = ("customer_credential", "expires_at")
    CUSTOMER_CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    customer_credential: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, customer_credential: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TerminateSessionRequest(_message.Message):
    __slots__ = ("org_id", "session_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    session_id: str
    def __init__(self, org_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class TerminateSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: _session_pb2.Session
    def __init__(self, session: _Optional[_Union[_session_pb2.Session, _Mapping]] = ...) -> None: ...

class TransferInteractionRequest(_message.Message):
    __slots__ = ("org_id", "interaction_id", "to_agent_user_id", "to_agent_display_name", "idempotency_key")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    INTERACTION_ID_FIELD_NUMBER: _ClassVar[int]
    TO_AGENT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    TO_AGENT_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    interaction_id: str
    to_agent_user_id: str
    to_agent_display_name: str
    idempotency_key: str
    def __init__(self, org_id: _Optional[str] = ..., interaction_id: _Optional[str] = ..., to_agent_user_id: _Optional[str] = ..., to_agent_display_name: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class TransferInteractionResponse(_message.Message):
    __slots__ = ("interaction", "transferred_sessions", "ended_sessions")
    INTERACTION_FIELD_NUMBER: _ClassVar[int]
    TRANSFERRED_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    ENDED_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    interaction: Interaction
    transferred_sessions: _containers.RepeatedCompositeFieldContainer[_session_pb2.Session]
    ended_sessions: _containers.RepeatedCompositeFieldContainer[_session_pb2.Session]
    def __init__(self, interaction: _Optional[_Union[Interaction, _Mapping]] = ..., transferred_sessions: _Optional[_Iterable[_Union[_session_pb2.Session, _Mapping]]] = ..., ended_sessions: _Optional[_Iterable[_Union[_session_pb2.Session, _Mapping]]] = ...) -> None: ...
