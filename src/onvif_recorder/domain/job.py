"""Recording jobs: configuration and state (ONVIF RC §5.3.3, §5.19)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from onvif_recorder.domain.duration import XsDuration

RECEIVER_SOURCE_TYPE = "http://www.onvif.org/ver10/schema/Receiver"
PROFILE_SOURCE_TYPE = "http://www.onvif.org/ver10/schema/Profile"


class JobMode(Enum):
    """RC §5.3.3: the only valid values of Mode are Idle and Active."""

    IDLE = "Idle"
    ACTIVE = "Active"


class JobState(Enum):
    """RC §5.19 Table 3."""

    IDLE = "Idle"
    ACTIVE = "Active"
    PARTIALLY_ACTIVE = "PartiallyActive"
    ERROR = "Error"


@dataclass(frozen=True, slots=True)
class SourceReference:
    """tt:SourceReference. ``token`` is empty only in a request with AutoCreateReceiver."""

    token: str
    type: str | None = None  # None: attribute absent, meaning the Receiver default

    @property
    def effective_type(self) -> str:
        return self.type or RECEIVER_SOURCE_TYPE


@dataclass(frozen=True, slots=True)
class JobTrack:
    source_tag: str
    destination: str


@dataclass(frozen=True, slots=True)
class JobSource:
    source_token: SourceReference | None
    tracks: tuple[JobTrack, ...] = ()
    auto_create_receiver: bool | None = None  # request-only; never reported (RC §5.3.3)


@dataclass(frozen=True, slots=True)
class EventFilterEntry:
    """One ``tt:RecordingEventFilter/Filter``: a topic expression (Core §9.6.3) and an
    optional message source filter (Core §9.4.4), kept as written."""

    topic: str
    namespaces: tuple[tuple[str, str], ...] = ()
    """(prefix, namespace) of the prefixes the Topic text uses, as declared in the request."""
    source: str | None = None


@dataclass(frozen=True, slots=True)
class RecordingEventFilter:
    """RC §5.3.4: record only around matching events; the filters are OR-ed."""

    filters: tuple[EventFilterEntry, ...]
    before: XsDuration | None = None
    after: XsDuration | None = None


@dataclass(frozen=True, slots=True)
class RecordingJobConfiguration:
    recording_token: str
    mode: JobMode
    priority: int
    sources: tuple[JobSource, ...] = ()
    schedule_token: str | None = None
    event_filter: RecordingEventFilter | None = None


@dataclass(frozen=True, slots=True)
class RecordingJob:
    token: str
    configuration: RecordingJobConfiguration


@dataclass(frozen=True, slots=True)
class TrackJobState:
    source_tag: str
    destination: str
    state: JobState
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SourceJobState:
    source_token: SourceReference
    state: JobState
    tracks: tuple[TrackJobState, ...]


@dataclass(frozen=True, slots=True)
class RecordingJobStateInformation:
    recording_token: str
    state: JobState
    sources: tuple[SourceJobState, ...]


def aggregate_state(states: list[JobState]) -> JobState:
    """RC §5.19 Table 3: Error wins; all Active is Active; any Active is PartiallyActive."""
    if JobState.ERROR in states:
        return JobState.ERROR
    active = [s for s in states if s in (JobState.ACTIVE, JobState.PARTIALLY_ACTIVE)]
    if not active:
        return JobState.IDLE
    if len(active) == len(states) and all(s is JobState.ACTIVE for s in active):
        return JobState.ACTIVE
    return JobState.PARTIALLY_ACTIVE
