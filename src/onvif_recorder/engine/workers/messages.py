"""What the front end and its worker processes tell each other (pickled over a pipe).

Front end → worker: ``Snapshot`` (the worker's part of the configuration and the volatile
conditions, after every change) and ``Shutdown``. Worker → front end: what only the
engine knows, the same facts the in-process engine hands the service layer directly:
``FlowChanged`` (``MediaFlow``), ``ReceiverChanged``/``ReceiverFailed`` (``ReceiverEvents``),
``Published`` (domain events for the event bus), ``Spooled`` (an upload to wake),
``Applied`` (a snapshot's reconcile passes are done), ``Statistics`` (for /metrics).
"""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.engine.statistics import Statistics
from onvif_recorder.service.events import DomainEvent
from onvif_recorder.service.job_conditions import EventWindow
from onvif_recorder.service.overrides import ActiveOverride
from onvif_recorder.service.state import RecorderState

FlowKey = tuple[str, str, str]
"""(job, source token, destination track), as ``MediaFlow`` asks."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    serial: int
    state: RecorderState
    active_schedules: frozenset[str]
    triggered_jobs: frozenset[str]
    windows: dict[str, EventWindow]
    overrides: dict[str, ActiveOverride]
    """On ``time.monotonic``, which is one clock for every process of the machine."""
    recover: frozenset[str] = frozenset()
    """Recordings to repair before recording them (their last worker was killed)."""


@dataclass(frozen=True, slots=True)
class Shutdown:
    pass


@dataclass(frozen=True, slots=True)
class FlowChanged:
    flowing: frozenset[FlowKey]
    errors: dict[FlowKey, str]


@dataclass(frozen=True, slots=True)
class ReceiverChanged:
    token: str
    state: ReceiverState
    media_uri: str | None


@dataclass(frozen=True, slots=True)
class ReceiverFailed:
    token: str
    media_uri: str


@dataclass(frozen=True, slots=True)
class Published:
    events: tuple[DomainEvent, ...]


@dataclass(frozen=True, slots=True)
class Spooled:
    storage: str


@dataclass(frozen=True, slots=True)
class Applied:
    serial: int


ToWorker = Snapshot | Shutdown
FromWorker = (FlowChanged | ReceiverChanged | ReceiverFailed | Published | Spooled | Applied
              | Statistics)
