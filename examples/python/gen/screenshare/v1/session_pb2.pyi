import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_VOICE: _ClassVar[Channel]
    CHANNEL_CHAT: _ClassVar[Channel]

class SessionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_STATE_UNSPECIFIED: _ClassVar[SessionState]
    SESSION_STATE_AWAITING_KEY_REDEMPTION: _ClassVar[SessionState]
    SESSION_STATE_AWAITING_ACCEPTANCE: _ClassVar[SessionState]
    SESSION_STATE_SELECTING_SCREEN: _ClassVar[SessionState]
    SESSION_STATE_SHARING: _ClassVar[SessionState]
    SESSION_STATE_RECONNECTING_VIEWER: _ClassVar[SessionState]
    SESSION_STATE_RECONNECTING_SHARER: _ClassVar[SessionState]
    SESSION_STATE_ENDED: _ClassVar[SessionState]
    SESSION_STATE_PAUSED: _ClassVar[SessionState]

class EndReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    END_REASON_UNSPECIFIED: _ClassVar[EndReason]
    END_REASON_VIEWER_CANCELLED: _ClassVar[EndReason]
    END_REASON_VIEWER_LEFT: _ClassVar[EndReason]
    END_REASON_SHARER_DECLINED: _ClassVar[EndReason]
    END_REASON_SHARER_STOPPED: _ClassVar[EndReason]
    END_REASON_KEY_EXPIRED: _ClassVar[EndReason]
    END_REASON_ACCEPTANCE_TIMED_OUT: _ClassVar[EndReason]
    END_REASON_SCREEN_SELECTION_TIMED_OUT: _ClassVar[EndReason]
    END_REASON_INTERACTION_DISCONNECTED: _ClassVar[EndReason]
    END_REASON_VIEWER_LOST: _ClassVar[EndReason]
    END_REASON_SHARER_LOST: _ClassVar[EndReason]
    END_REASON_MAX_DURATION_REACHED: _ClassVar[EndReason]
    END_REASON_ADMINISTRATOR_TERMINATED: _ClassVar[EndReason]
    END_REASON_MEDIA_FAILURE: _ClassVar[EndReason]
    END_REASON_SHARER_UNSUPPORTED: _ClassVar[EndReason]
    END_REASON_PAUSE_TIMED_OUT: _ClassVar[EndReason]
    END_REASON_TRANSFER_TARGET_BUSY: _ClassVar[EndReason]

class Actor(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTOR_UNSPECIFIED: _ClassVar[Actor]
    ACTOR_VIEWER: _ClassVar[Actor]
    ACTOR_SHARER: _ClassVar[Actor]
    ACTOR_PLATFORM: _ClassVar[Actor]
    ACTOR_MEDIA: _ClassVar[Actor]
    ACTOR_TIMER: _ClassVar[Actor]
    ACTOR_ADMINISTRATOR: _ClassVar[Actor]
CHANNEL_UNSPECIFIED: Channel
CHANNEL_VOICE: Channel
CHANNEL_CHAT: Channel
SESSION_STATE_UNSPECIFIED: SessionState
SESSION_STATE_AWAITING_KEY_REDEMPTION: SessionState
SESSION_STATE_AWAITING_ACCEPTANCE: SessionState
SESSION_STATE_SELECTING_SCREEN: SessionState
SESSION_STATE_SHARING: SessionState
SESSION_STATE_RECONNECTING_VIEWER: SessionState
SESSION_STATE_RECONNECTING_SHARER: SessionState
SESSION_STATE_ENDED: SessionState
SESSION_STATE_PAUSED: SessionState
END_REASON_UNSPECIFIED: EndReason
END_REASON_VIEWER_CANCELLED: EndReason
END_REASON_VIEWER_LEFT: EndReason
END_REASON_SHARER_DECLINED: EndReason
END_REASON_SHARER_STOPPED: EndReason
END_REASON_KEY_EXPIRED: EndReason
END_REASON_ACCEPTANCE_TIMED_OUT: EndReason
END_REASON_SCREEN_SELECTION_TIMED_OUT: EndReason
END_REASON_INTERACTION_DISCONNECTED: EndReason
END_REASON_VIEWER_LOST: EndReason
END_REASON_SHARER_LOST: EndReason
END_REASON_MAX_DURATION_REACHED: EndReason
END_REASON_ADMINISTRATOR_TERMINATED: EndReason
END_REASON_MEDIA_FAILURE: EndReason
END_REASON_SHARER_UNSUPPORTED: EndReason
END_REASON_PAUSE_TIMED_OUT: EndReason
END_REASON_TRANSFER_TARGET_BUSY: EndReason
ACTOR_UNSPECIFIED: Actor
ACTOR_VIEWER: Actor
ACTOR_SHARER: Actor
ACTOR_PLATFORM: Actor
ACTOR_MEDIA: Actor
ACTOR_TIMER: Actor
ACTOR_ADMINISTRATOR: Actor

class SecurityKey(_message.Message):
    __slots__ = ("key", "display", "expires_at", "attempts_remaining")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_REMAINING_FIELD_NUMBER: _ClassVar[int]
    key: str
    display: str
    expires_at: _timestamp_pb2.Timestamp
    attempts_remaining: int
    def __init__(self, key: _Optional[str] = ..., display: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts_remaining: _Optional[int] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("session_id", "org_id", "interaction_id", "channel", "viewer_user_id", "state", "end_reason", "created_at", "updated_at", "ended_at", "state_deadline", "max_duration_deadline", "last_sequence", "security_key", "previous_viewer_user_id", "viewer_display_name", "paused_at", "unpause_requested_at", "observations", "observers_announced")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    INTERACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    VIEWER_USER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    STATE_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    MAX_DURATION_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SECURITY_KEY_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VIEWER_USER_ID_FIELD_NUMBER: _ClassVar[int]
    VIEWER_DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PAUSED_AT_FIELD_NUMBER: _ClassVar[int]
    UNPAUSE_REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    OBSERVATIONS_FIELD_NUMBER: _ClassVar[int]
    OBSERVERS_ANNOUNCED_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    org_id: str
    interaction_id: str
    channel: Channel
    viewer_user_id: str
    state: SessionState
    end_reason: EndReason
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    state_deadline: _timestamp_pb2.Timestamp
    max_duration_deadline: _timestamp_pb2.Timestamp
    last_sequence: int
    security_key: SecurityKey
    previous_viewer_user_id: str
    viewer_display_name: str
    paused_at: _timestamp_pb2.Timestamp
    unpause_requested_at: _timestamp_pb2.Timestamp
    observations: _containers.RepeatedCompositeFieldContainer[Observation]
    observers_announced: bool
    def __init__(self, session_id: _Optional[str] = ..., org_id: _Optional[str] = ..., interaction_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., viewer_user_id: _Optional[str] = ..., state: _Optional[_Union[SessionState, str]] = ..., end_reason: _Optional[_Union[EndReason, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_duration_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_sequence: _Optional[int] = ..., security_key: _Optional[_Union[SecurityKey, _Mapping]] = ..., previous_viewer_user_id: _Optional[str] = ..., viewer_display_name: _Optional[str] = ..., paused_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., unpause_requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., observations: _Optional[_Iterable[_Union[Observation, _Mapping]]] = ..., observers_announced: _Optional[bool] = ...) -> None: ...

class Observation(_message.Message):
    __slots__ = ("observer_user_id", "participant_identity", "started_at", "joined_at", "left_at")
    OBSERVER_USER_ID_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    JOINED_AT_FIELD_NUMBER: _ClassVar[int]
    LEFT_AT_FIELD_NUMBER: _ClassVar[int]
    observer_user_id: str
    participant_identity: str
    started_at: _timestamp_pb2.Timestamp
    joined_at: _timestamp_pb2.Timestamp
    left_at: _timestamp_pb2.Timestamp
    def __init__(self, observer_user_id: _Optional[str] = ..., participant_identity: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., joined_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., left_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SessionEvent(_message.Message):
    __slots__ = ("sequence", "occurred_at", "actor", "trigger", "previous_state", "session")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    occurred_at: _timestamp_pb2.Timestamp
    actor: Actor
    trigger: str
    previous_state: SessionState
    session: Session
    def __init__(self, sequence: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[Actor, str]] = ..., trigger: _Optional[str] = ..., previous_state: _Optional[_Union[SessionState, str]] = ..., session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class LiveKitJoinInfo(_message.Message):
    __slots__ = ("server_url", "room_name", "participant_token", "token_expires_at", "participant_identity")
    SERVER_URL_FIELD_NUMBER: _ClassVar[int]
    ROOM_NAME_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    server_url: str
    room_name: str
    participant_token: str
    token_expires_at: _timestamp_pb2.Timestamp
    participant_identity: str
    def __init__(self, server_url: _Optional[str] = ..., room_name: _Optional[str] = ..., participant_token: _Optional[str] = ..., token_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., participant_identity: _Optional[str] = ...) -> None: ...

class MediaJoinInfo(_message.Message):
    __slots__ = ("livekit",)
    LIVEKIT_FIELD_NUMBER: _ClassVar[int]
    livekit: LiveKitJoinInfo
    def __init__(self, livekit: _Optional[_Union[LiveKitJoinInfo, _Mapping]] = ...) -> None: ...
