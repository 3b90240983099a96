"""The recorder's configuration state and the unit of change applied to it.

Every mutating operation builds a ``Changes`` value first, has the ``Store``
persist it in one transaction, and only then applies it to the in-memory
``RecorderState``. A failed write therefore changes nothing (RC §5.2: all
objects and their configuration are persistent). The domain events a change
carries are published only after it is stored, then the commit observers run
(job states are derived from the whole state, so they are re-derived there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from onvif_recorder.domain.job import RecordingJob
from onvif_recorder.domain.keystore import KeyPair, StoredCertificate
from onvif_recorder.domain.receiver import Receiver
from onvif_recorder.domain.recording import Recording
from onvif_recorder.domain.schedule import Schedule, SpecialDayGroup
from onvif_recorder.domain.storage import StorageConfiguration
from onvif_recorder.domain.users import User
from onvif_recorder.service.events import DomainEvent
from onvif_recorder.service.job_conditions import JobConditions
from onvif_recorder.service.overrides import SegmentOverrides


@dataclass
class Changes:
    recordings: list[Recording] = field(default_factory=list)
    deleted_recordings: list[str] = field(default_factory=list)
    jobs: list[RecordingJob] = field(default_factory=list)
    deleted_jobs: list[str] = field(default_factory=list)
    receivers: list[Receiver] = field(default_factory=list)
    deleted_receivers: list[str] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    deleted_users: list[str] = field(default_factory=list)
    storage: list[StorageConfiguration] = field(default_factory=list)
    deleted_storage: list[str] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    deleted_schedules: list[str] = field(default_factory=list)
    special_day_groups: list[SpecialDayGroup] = field(default_factory=list)
    deleted_special_day_groups: list[str] = field(default_factory=list)
    certificates: list[StoredCertificate] = field(default_factory=list)
    deleted_certificates: list[str] = field(default_factory=list)
    keys: list[KeyPair] = field(default_factory=list)
    deleted_keys: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    events: list[DomainEvent] = field(default_factory=list)  # published once stored


@dataclass
class RecorderState:
    """Insertion-ordered maps: Get* operations list objects in creation order."""

    recordings: dict[str, Recording] = field(default_factory=dict)
    jobs: dict[str, RecordingJob] = field(default_factory=dict)
    receivers: dict[str, Receiver] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    storage: dict[str, StorageConfiguration] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    special_day_groups: dict[str, SpecialDayGroup] = field(default_factory=dict)
    certificates: dict[str, StoredCertificate] = field(default_factory=dict)
    keys: dict[str, KeyPair] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def apply(self, changes: Changes) -> None:
        _apply(self.recordings, changes.recordings, changes.deleted_recordings, lambda r: r.token)
        _apply(self.jobs, changes.jobs, changes.deleted_jobs, lambda j: j.token)
        _apply(self.receivers, changes.receivers, changes.deleted_receivers, lambda r: r.token)
        _apply(self.users, changes.users, changes.deleted_users, lambda u: u.username)
        _apply(self.storage, changes.storage, changes.deleted_storage, lambda s: s.token)
        _apply(self.schedules, changes.schedules, changes.deleted_schedules, lambda s: s.token)
        _apply(self.special_day_groups, changes.special_day_groups,
               changes.deleted_special_day_groups, lambda g: g.token)
        _apply(self.certificates, changes.certificates, changes.deleted_certificates,
               lambda c: c.certificate_id)
        _apply(self.keys, changes.keys, changes.deleted_keys, lambda k: k.key_id)
        self.counters.update(changes.counters)


T = TypeVar("T")


def _apply(
    target: dict[str, T], puts: list[T], deletes: list[str], key: Callable[[T], str]
) -> None:
    for token in deletes:
        target.pop(token, None)
    for item in puts:
        target[key(item)] = item


class Store(Protocol):
    """Persistence port: implemented by ``persistence.sqlite_store.SqliteStore``."""

    def load(self) -> RecorderState: ...

    def commit(self, changes: Changes) -> None: ...

    def close(self) -> None: ...


class EventSink(Protocol):
    """Where committed domain events go: implemented by ``service.events.EventBus``."""

    def publish(self, *events: DomainEvent) -> None: ...


class StateHolder:
    """Owns the state and its store; the single path through which state changes."""

    def __init__(self, store: Store, events: EventSink | None = None) -> None:
        self.store = store
        self.state = store.load()
        self.version = 0  # bumped by every commit: lets adapters cache derived answers
        self.events = events
        self._observers: list[Callable[[], None]] = []
        self.overrides = SegmentOverrides()
        """Volatile state (RC §5.24): OverrideSegmentDuration, never stored."""
        self.conditions = JobConditions()
        """Volatile state (RC §5.3.3): which schedules are active now."""

    def observe(self, observer: Callable[[], None]) -> None:
        """Call ``observer`` after every commit, once its events are published."""
        self._observers.append(observer)

    def commit(self, changes: Changes) -> None:
        self.store.commit(changes)
        self.state.apply(changes)
        self.version += 1
        if self.events is not None and changes.events:
            self.events.publish(*changes.events)
        for observer in self._observers:
            observer()

    def conditions_changed(self) -> None:
        """``conditions`` changed: everything derived from arbitration is derived again."""
        self.version += 1
        for observer in self._observers:
            observer()

    def next_token(self, kind: str, changes: Changes, prefix: str) -> str:
        """A new token never used before for ``kind``; the counter persists with ``changes``."""
        value = changes.counters.get(kind, self.state.counters.get(kind, 0)) + 1
        changes.counters[kind] = value
        return f"{prefix}{value}"
