# ruff: noqa
# fmt: off
# Generated from proto/innkeeper/meetings/v1/meetings.proto: codegen.py
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Meeting(_message.Message):
    __slots__ = ("id", "booking_id", "property_id", "title", "status", "starts_at", "ends_at", "started_at", "ended_at", "duration_seconds", "join_url", "participants", "recordings")
    ID_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    JOIN_URL_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANTS_FIELD_NUMBER: _ClassVar[int]
    RECORDINGS_FIELD_NUMBER: _ClassVar[int]
    id: str
    booking_id: str
    property_id: str
    title: str
    status: str
    starts_at: str
    ends_at: str
    started_at: str
    ended_at: str
    duration_seconds: int
    join_url: str
    participants: _containers.RepeatedCompositeFieldContainer[Participant]
    recordings: _containers.RepeatedCompositeFieldContainer[Recording]
    def __init__(self, id: _Optional[str] = ..., booking_id: _Optional[str] = ..., property_id: _Optional[str] = ..., title: _Optional[str] = ..., status: _Optional[str] = ..., starts_at: _Optional[str] = ..., ends_at: _Optional[str] = ..., started_at: _Optional[str] = ..., ended_at: _Optional[str] = ..., duration_seconds: _Optional[int] = ..., join_url: _Optional[str] = ..., participants: _Optional[_Iterable[_Union[Participant, _Mapping]]] = ..., recordings: _Optional[_Iterable[_Union[Recording, _Mapping]]] = ...) -> None: ...

class Participant(_message.Message):
    __slots__ = ("id", "meeting_id", "user_id", "display_name", "role", "joined_at", "left_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    JOINED_AT_FIELD_NUMBER: _ClassVar[int]
    LEFT_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    meeting_id: str
    user_id: str
    display_name: str
    role: str
    joined_at: str
    left_at: str
    def __init__(self, id: _Optional[str] = ..., meeting_id: _Optional[str] = ..., user_id: _Optional[str] = ..., display_name: _Optional[str] = ..., role: _Optional[str] = ..., joined_at: _Optional[str] = ..., left_at: _Optional[str] = ...) -> None: ...

class Recording(_message.Message):
    __slots__ = ("id", "meeting_id", "url", "started_at", "duration_seconds", "size_bytes", "format", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    meeting_id: str
    url: str
    started_at: str
    duration_seconds: int
    size_bytes: int
    format: str
    created_at: str
    def __init__(self, id: _Optional[str] = ..., meeting_id: _Optional[str] = ..., url: _Optional[str] = ..., started_at: _Optional[str] = ..., duration_seconds: _Optional[int] = ..., size_bytes: _Optional[int] = ..., format: _Optional[str] = ..., created_at: _Optional[str] = ...) -> None: ...

class CreateMeetingRequest(_message.Message):
    __slots__ = ("booking_id", "title")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    title: str
    def __init__(self, booking_id: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class GetMeetingRequest(_message.Message):
    __slots__ = ("meeting_id",)
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    def __init__(self, meeting_id: _Optional[str] = ...) -> None: ...

class JoinMeetingRequest(_message.Message):
    __slots__ = ("meeting_id", "display_name")
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    display_name: str
    def __init__(self, meeting_id: _Optional[str] = ..., display_name: _Optional[str] = ...) -> None: ...

class JoinMeetingResponse(_message.Message):
    __slots__ = ("participant", "join_token", "join_url")
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    JOIN_TOKEN_FIELD_NUMBER: _ClassVar[int]
    JOIN_URL_FIELD_NUMBER: _ClassVar[int]
    participant: Participant
    join_token: str
    join_url: str
    def __init__(self, participant: _Optional[_Union[Participant, _Mapping]] = ..., join_token: _Optional[str] = ..., join_url: _Optional[str] = ...) -> None: ...

class LeaveMeetingRequest(_message.Message):
    __slots__ = ("meeting_id", "participant_id")
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_ID_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    participant_id: str
    def __init__(self, meeting_id: _Optional[str] = ..., participant_id: _Optional[str] = ...) -> None: ...

class WatchParticipantsRequest(_message.Message):
    __slots__ = ("meeting_id",)
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    def __init__(self, meeting_id: _Optional[str] = ...) -> None: ...

class ParticipantEvent(_message.Message):
    __slots__ = ("kind", "participant", "at")
    KIND_FIELD_NUMBER: _ClassVar[int]
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    participant: Participant
    at: str
    def __init__(self, kind: _Optional[str] = ..., participant: _Optional[_Union[Participant, _Mapping]] = ..., at: _Optional[str] = ...) -> None: ...

class EndMeetingRequest(_message.Message):
    __slots__ = ("meeting_id",)
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    def __init__(self, meeting_id: _Optional[str] = ...) -> None: ...

class AddRecordingRequest(_message.Message):
    __slots__ = ("meeting_id", "url", "started_at", "duration_seconds", "size_bytes", "format")
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    url: str
    started_at: str
    duration_seconds: int
    size_bytes: int
    format: str
    def __init__(self, meeting_id: _Optional[str] = ..., url: _Optional[str] = ..., started_at: _Optional[str] = ..., duration_seconds: _Optional[int] = ..., size_bytes: _Optional[int] = ..., format: _Optional[str] = ...) -> None: ...
