"""ExportRecordedData semantics (RC 25.12 §5.21-5.23), no I/O: checking a request,
choosing the recordings and file names, and the state of each export operation (its
per-file and total progress, §5.22) with the AsynchronousOperationStatus it publishes.

File names: ``RECORDING-YYYYMMDDTHHMMSSZ.mp4`` from the recording token and the UTC
start of the export range (requirements §7.4); a file split by a codec change gets
``-2``, ``-3`` ... The engine shell (``engine.exports``) runs the operations.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from onvif_recorder.domain.errors import BadConfiguration, BadDuration
from onvif_recorder.domain.export import (
    FILE_FORMATS,
    InvalidStorage,
    StorageDestination,
    safe_relative_path,
)
from onvif_recorder.domain.storage import StorageConfiguration
from onvif_recorder.mp4.export_boxes import ExportFacts, ExportSource
from onvif_recorder.service.async_operation_events import (
    AsynchronousOperationStatus,
    FileProgress,
    FileProgressStatus,
    OperationError,
)
from onvif_recorder.service.events import PropertyOperation
from onvif_recorder.service.search.scope import SearchScope
from onvif_recorder.service.state import RecorderState

OPERATION_NAME = "ExportRecordedData"


@dataclass(frozen=True, slots=True)
class RecordingExport:
    recording: str
    start_utc: float
    end_utc: float
    name: str
    """File name of the first file, ``.mp4`` included."""
    location: str
    facts: ExportFacts
    """Unit and operator facts; sources, times and id are filled in per file."""
    source: ExportSource
    """Name, URL and MAC of the recording's source; its track_ID is ignored."""
    signed: bool = True
    """FileFormat ONVIF: the EFF ``meta`` with the signature; MP4: without it."""


class ExportState(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ExportRequest:
    start: float | None
    end: float | None
    scope: SearchScope
    file_format: str
    destination: StorageDestination


@dataclass(slots=True)
class ExportOperation:
    token: str
    service_name: str
    jobs: tuple[RecordingExport, ...]
    storage: StorageConfiguration
    relative_path: str
    files: dict[str, float] = field(default_factory=dict)
    state: ExportState = ExportState.QUEUED
    error: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def progress(self) -> float:
        """Total progress (RC §5.22): the mean of the files' progress."""
        if self.state is ExportState.DONE:
            return 1.0
        return sum(self.files.values()) / len(self.files) if self.files else 0.0

    @property
    def finished(self) -> bool:
        return self.state in (ExportState.DONE, ExportState.FAILED, ExportState.STOPPED)

    def file_status(self) -> FileProgressStatus:
        return FileProgressStatus(tuple(FileProgress(self.location(name), value)
                                        for name, value in self.files.items()))

    def location(self, name: str) -> str:
        """The file as the client finds it on the storage: RelativePath/name."""
        return f"{self.relative_path}/{name}" if self.relative_path else name

    def status(self, operation: PropertyOperation) -> AsynchronousOperationStatus:
        error = OperationError(self.error) if self.error else None
        return AsynchronousOperationStatus(self.token, OPERATION_NAME, self.service_name,
                                           self.progress, operation, self.file_status(),
                                           error)


def file_name(recording: str, start: float) -> str:
    moment = datetime.fromtimestamp(max(start, 0.0), UTC)
    return f"{recording}-{moment:%Y%m%dT%H%M%S}Z.mp4"


@dataclass(frozen=True, slots=True)
class Caller:
    """What ``suep`` says about the export unit and who exported (EFF §5.1)."""

    unit_name: str
    unit_url: str
    operator: str


def check_request(request: ExportRequest, state: RecorderState) -> StorageConfiguration:
    """The destination storage; the fault RC §5.21 (or RC 26.06) names otherwise."""
    if request.file_format not in FILE_FORMATS:
        raise BadConfiguration(f"FileFormat {request.file_format[:64]!r} is not one of "
                               f"SupportedExportFileFormats {' '.join(FILE_FORMATS)}")
    if request.start is not None and request.end is not None and request.start > request.end:
        raise BadDuration("StartPoint is after EndPoint")
    storage = state.storage.get(request.destination.storage_token)
    if storage is None:
        raise InvalidStorage(f"no storage configuration "
                             f"{request.destination.storage_token[:64]!r}")
    if not storage.data.is_object_storage and not storage.data.local_path:
        raise InvalidStorage(f"storage {storage.token!r} ({storage.data.type}) has neither "
                             "a LocalPath (an NFS or CIFS mount point) nor object storage")
    try:
        safe_relative_path(request.destination.relative_path)
    except ValueError as exc:
        raise InvalidStorage(str(exc)) from None
    return storage


def plan_jobs(request: ExportRequest, tokens: list[str], state: RecorderState,
              first_start: Callable[[str], float | None], caller: Caller,
              now: float) -> tuple[RecordingExport, ...]:
    """One job per recording of the scope that has media in the range."""
    end = request.end if request.end is not None else now
    jobs = []
    for token in tokens:
        recorded = first_start(token)
        if recorded is None:
            continue
        start = request.start if request.start is not None else recorded
        source = state.recordings[token].configuration.source
        facts = ExportFacts(caller.unit_name, caller.unit_url, "", now,
                            caller.operator, [], 0.0, 0.0, 1)
        jobs.append(RecordingExport(
            token, start, end, file_name(token, max(start, recorded)), source.location,
            facts, ExportSource(0, source.name, source.address),
            signed=request.file_format == "ONVIF"))
    return tuple(jobs)
