"""Domain events and the in-process event bus (RC §5.26, Receiver spec "Events").

Services describe what happened as typed events, one class per ONVIF topic; they never
know about topics, XML or subscriptions. The bus stamps every event with its UtcTime (from
the injected clock) and a sequence number, and fans it out, in publication order, to the
subscribers whose ``accepts`` predicate wants it. Framework-free: no asyncio, no XML.

Queue policy: every subscriber has a bounded queue (``queue_limit`` notifications). A
subscriber that does not drain its queue loses the *oldest* notification for each new one,
and ``Subscriber.dropped`` counts what it lost; a slow or abandoned subscriber therefore
never grows memory without limit and never slows down a publisher.

The bus is thread-safe (one lock), so a publisher on another thread (the ingest engine)
may publish; a subscriber's ``listener`` is called after the lock is released, from the
publishing thread, and must only schedule a wake-up.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from onvif_recorder.clock import utc_now
from onvif_recorder.domain.job import RecordingJobConfiguration, RecordingJobStateInformation
from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.domain.recording import RecordingConfiguration, TrackConfiguration
from onvif_recorder.service.async_operation_events import AsynchronousOperationStatus
from onvif_recorder.service.property_operation import PropertyOperation as PropertyOperation

DEFAULT_QUEUE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class RecordingCreated:
    """tns1:RecordingConfig/CreateRecording."""

    recording_token: str


@dataclass(frozen=True, slots=True)
class RecordingDeleted:
    """tns1:RecordingConfig/DeleteRecording."""

    recording_token: str


@dataclass(frozen=True, slots=True)
class TrackCreated:
    """tns1:RecordingConfig/CreateTrack."""

    recording_token: str
    track_token: str


@dataclass(frozen=True, slots=True)
class TrackDeleted:
    """tns1:RecordingConfig/DeleteTrack."""

    recording_token: str
    track_token: str


@dataclass(frozen=True, slots=True)
class TrackDataDeleted:
    """tns1:RecordingConfig/DeleteTrackData: published by retention and DeleteTrack."""

    recording_token: str
    track_token: str
    start_time: datetime
    end_time: datetime


@dataclass(frozen=True, slots=True)
class RecordingConfigurationChanged:
    """tns1:RecordingConfig/RecordingConfiguration: ``configuration`` is what
    GetRecordingConfiguration now returns."""

    recording_token: str
    configuration: RecordingConfiguration


@dataclass(frozen=True, slots=True)
class TrackConfigurationChanged:
    """tns1:RecordingConfig/TrackConfiguration."""

    recording_token: str
    track_token: str
    configuration: TrackConfiguration


@dataclass(frozen=True, slots=True)
class JobConfigurationChanged:
    """tns1:RecordingConfig/RecordingJobConfiguration."""

    job_token: str
    configuration: RecordingJobConfiguration


@dataclass(frozen=True, slots=True)
class JobStateChanged:
    """tns1:RecordingConfig/JobState, a property event; ``state`` is None when Deleted."""

    job_token: str
    operation: PropertyOperation
    state: RecordingJobStateInformation | None


@dataclass(frozen=True, slots=True)
class ReceiverStateChanged:
    """tns1:Receiver/ChangeState: published by the ingest engine."""

    receiver_token: str
    new_state: ReceiverState
    media_uri: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiverConnectionFailed:
    """tns1:Receiver/ConnectionFailed: published by the ingest engine."""

    receiver_token: str
    media_uri: str


@dataclass(frozen=True, slots=True)
class ScheduleStateChanged:
    """tns1:Schedule/State/Active (Sched §6), a property event; ``active`` is None when
    the schedule was deleted."""

    schedule_token: str
    name: str
    operation: PropertyOperation
    active: bool | None
    special_day: bool = False


@dataclass(frozen=True, slots=True)
class ScheduleChanged:
    """tns1:Configuration/Schedule/Changed (also on create) or ``Removed``."""

    schedule_token: str
    removed: bool = False


@dataclass(frozen=True, slots=True)
class KeyStatusChanged:
    """tns1:Advancedsecurity/Keystore/KeyStatus (ASec §5.5.8.1); ``old`` is None only
    when ``new`` is ``generating``."""

    key_id: str
    new: str
    old: str | None = None


@dataclass(frozen=True, slots=True)
class SpecialDaysChanged:
    """tns1:Configuration/SpecialDays/Changed (also on create) or ``Removed``."""

    group_token: str
    removed: bool = False


@dataclass(frozen=True, slots=True)
class RecordingHistoryState:
    """tns1:RecordingHistory/Recording/State (Search §5.17): recording started/stopped.
    Found by FindEvents at the recording time and published live
    (``service.recording_history``)."""

    recording_token: str
    is_recording: bool
    operation: PropertyOperation


@dataclass(frozen=True, slots=True)
class TrackHistoryState:
    """tns1:RecordingHistory/Track/State (Search §5.17): data present in a track or not."""

    recording_token: str
    track_token: str
    is_data_present: bool
    operation: PropertyOperation


@dataclass(frozen=True, slots=True)
class VideoRateControl:
    """tt:VideoRateControl (every element required): frames per second, the encoding
    interval and kbit/s."""

    frame_rate_limit: int
    encoding_interval: int
    bitrate_limit: int


@dataclass(frozen=True, slots=True)
class TrackVideoParameters:
    """tns1:RecordingHistory/Track/VideoParameters (Search §5.17, optional): the codec
    parameters a video track recorded from a span start on (FindEvents; published live
    when the span's first segment is finished, ``service.live_track_parameters``)."""

    recording_token: str
    track_token: str
    encoding: str
    width: int
    height: int
    operation: PropertyOperation
    rate_control: VideoRateControl | None = None


@dataclass(frozen=True, slots=True)
class TrackAudioParameters:
    """tns1:RecordingHistory/Track/AudioParameters (Search §5.17, optional); the sample
    rate in kHz as everywhere in ONVIF, the bitrate in kbit/s when known."""

    recording_token: str
    track_token: str
    encoding: str
    samplerate_khz: int
    bitrate_kbps: int | None
    operation: PropertyOperation


@dataclass(frozen=True, slots=True)
class CameraEvent:
    """An event a camera sent in its ONVIF metadata stream, re-published by the recorder
    (requirements §7.5) with the receiver's token added to its Source items, so clients
    see what can trigger an event-recording job. ``topic`` is the path in the ONVIF topic
    namespace (``("VideoSource", "MotionAlarm")``); ``operation`` is None for a momentary
    event."""

    receiver_token: str
    topic: tuple[str, ...]
    operation: PropertyOperation | None
    source: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]


DomainEvent = (
    RecordingHistoryState
    | TrackHistoryState
    | TrackVideoParameters
    | TrackAudioParameters
    | RecordingCreated
    | RecordingDeleted
    | TrackCreated
    | TrackDeleted
    | TrackDataDeleted
    | RecordingConfigurationChanged
    | TrackConfigurationChanged
    | JobConfigurationChanged
    | JobStateChanged
    | ReceiverStateChanged
    | ReceiverConnectionFailed
    | CameraEvent
    | ScheduleStateChanged
    | ScheduleChanged
    | SpecialDaysChanged
    | KeyStatusChanged
    | AsynchronousOperationStatus
)

Accepts = Callable[[DomainEvent], bool]
PropertySource = Callable[[], Iterable[DomainEvent]]
"""The current value of every property it owns, as ``Initialized`` events."""


@dataclass(frozen=True, slots=True)
class Notification:
    event: DomainEvent
    utc_time: datetime
    sequence: int


def _accept_all(_: DomainEvent) -> bool:
    return True


class Subscriber:
    """One subscriber's bounded queue; created by :meth:`EventBus.subscribe`."""

    def __init__(self, accepts: Accepts, limit: int, lock: threading.RLock) -> None:
        self.accepts = accepts
        self.dropped = 0
        self.closed = False
        self.listener: Callable[[], None] | None = None
        self._queue: deque[Notification] = deque(maxlen=limit)
        self._lock = lock

    def _offer(self, notification: Notification) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1  # the deque drops the oldest on append
        self._queue.append(notification)

    def take(self, limit: int) -> list[Notification]:
        """Remove and return up to ``limit`` notifications, oldest first."""
        with self._lock:
            count = min(limit, len(self._queue))
            return [self._queue.popleft() for _ in range(count)]

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _wake(self) -> None:
        if self.listener is not None:
            self.listener()


class EventBus:
    def __init__(
        self,
        clock: Callable[[], datetime] = utc_now,
        queue_limit: int = DEFAULT_QUEUE_LIMIT,
    ) -> None:
        self.clock = clock
        self.queue_limit = queue_limit
        self._lock = threading.RLock()
        self._subscribers: dict[Subscriber, None] = {}  # ordered set
        self._sources: list[PropertySource] = []
        self._sequence = 0
        self._dropped_by_gone = 0

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @property
    def dropped(self) -> int:
        """Notifications the live subscribers lost to the queue policy."""
        with self._lock:
            return sum(subscriber.dropped for subscriber in self._subscribers)

    @property
    def dropped_total(self) -> int:
        """Notifications every subscriber, live or gone, lost to the queue policy."""
        with self._lock:
            return self._dropped_by_gone + self.dropped

    def add_property_source(self, source: PropertySource) -> None:
        self._sources.append(source)

    def publish(self, *events: DomainEvent, at: datetime | None = None) -> None:
        """Deliver ``events``, in order, to every subscriber that accepts them; their
        UtcTime is now, or ``at`` (events about the past, e.g. the recording history,
        carry the time they relate to: Search §5.17)."""
        woken: list[Subscriber] = []
        with self._lock:
            for event in events:
                notification = self._stamp(event, at)
                for subscriber in self._subscribers:
                    if subscriber.accepts(event):
                        subscriber._offer(notification)
                        woken.append(subscriber)
        for subscriber in dict.fromkeys(woken):
            subscriber._wake()

    def subscribe(self, accepts: Accepts | None = None, *, initialize: bool = True) -> Subscriber:
        """A new subscriber; with ``initialize`` its queue starts with one ``Initialized``
        message per existing property (Core "Property events")."""
        with self._lock:
            subscriber = Subscriber(accepts or _accept_all, self.queue_limit, self._lock)
            self._subscribers[subscriber] = None
            if initialize:
                self._initialize(subscriber)
        return subscriber

    def synchronize(self, subscriber: Subscriber) -> None:
        """SetSynchronizationPoint: repeat every property the subscriber accepts."""
        with self._lock:
            self._initialize(subscriber)
        subscriber._wake()

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            if self._subscribers.pop(subscriber, False) is None:
                self._dropped_by_gone += subscriber.dropped
            subscriber.closed = True
            subscriber.take(subscriber.pending)
        subscriber._wake()

    def _initialize(self, subscriber: Subscriber) -> None:
        for source in self._sources:
            for event in source():
                if subscriber.accepts(event):
                    subscriber._offer(self._stamp(event))

    def _stamp(self, event: DomainEvent, at: datetime | None = None) -> Notification:
        self._sequence += 1
        return Notification(event, self.clock() if at is None else at, self._sequence)
