"""``tns1:Monitoring/AsynchronousOperationStatus`` (Core §8.9.7): the property event of a
long-running operation (ExportRecordedData, ExportRecordedSegments), ``Initialized`` when
the operation token is returned, ``Changed`` as it progresses, ``Deleted`` when it ends.

Source items ``Token`` (the OperationToken), ``OperationName`` and ``ServiceName`` (the
recording service's XAddr, requirements §7.4); Data items ``Progress`` (0.0-1.0),
optional ``FileProgressStatus`` (tt:ArrayOfFileProgress), ``Error`` (a soapenv:Fault, on
failure) and, Core 26.06 only, ``Alias``. The topic and message live in ``events.topics``.
"""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.service.property_operation import PropertyOperation


@dataclass(frozen=True, slots=True)
class FileProgress:
    """tt:FileProgress."""

    file_name: str
    progress: float


@dataclass(frozen=True, slots=True)
class FileProgressStatus:
    """tt:ArrayOfFileProgress, the ``FileProgressStatus`` ElementItem."""

    files: tuple[FileProgress, ...]


@dataclass(frozen=True, slots=True)
class OperationError:
    """The ``Error`` ElementItem: a soapenv:Fault with ``reason`` (Receiver side)."""

    reason: str


@dataclass(frozen=True, slots=True)
class AsynchronousOperationStatus:
    token: str
    operation_name: str
    service_name: str
    progress: float
    operation: PropertyOperation
    files: FileProgressStatus | None = None
    error: OperationError | None = None
    alias: str | None = None


def clamp_progress(value: float) -> float:
    """Progress is normalized to 0.0-1.0 (RC §5.22)."""
    return min(max(value, 0.0), 1.0)


def progress_text(value: float) -> str:
    """xs:float text of a progress value (at most 4 decimals, no exponent)."""
    return f"{clamp_progress(value):.4f}".rstrip("0").rstrip(".") or "0"
