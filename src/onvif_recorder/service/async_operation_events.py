"""``tns1:Monitoring/AsynchronousOperationStatus`` (Core §8.9.7) as a domain event.

A property per operation: ``Initialized`` when the operation token is returned,
``Changed`` as it progresses, ``Deleted`` when it ends (done, stopped or failed).
Source: ``Token`` (the operation token), ``OperationName``, ``ServiceName`` (the
recording service's XAddr, decision §7.4 of the design digest). Data: ``Progress``
[0, 1], optionally ``FileProgressStatus`` (``tt:ArrayOfFileProgress``), ``Error``
(a ``soapenv:Fault``) and, Core 26.06, ``Alias`` (ExportRecordedSegments' Alias).

Its topic and message are in ``events.topics``; the two ElementItem values are written
by ``soap.mapping.events``. Framework-free. ``PropertyOperation`` is only a type here
(``service.events`` imports this module for its ``DomainEvent`` union).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onvif_recorder.service.events import PropertyOperation


@dataclass(frozen=True, slots=True)
class FileProgress:
    """tt:FileProgress: one exported file and how far its upload is."""

    file_name: str
    progress: float


@dataclass(frozen=True, slots=True)
class FileProgressArray:
    """The ``FileProgressStatus`` ElementItem (tt:ArrayOfFileProgress)."""

    files: tuple[FileProgress, ...]


@dataclass(frozen=True, slots=True)
class OperationFault:
    """The ``Error`` ElementItem: a soapenv:Fault (env:Receiver) with this reason."""

    reason: str


@dataclass(frozen=True, slots=True)
class AsynchronousOperationStatus:
    token: str
    operation_name: str
    service_name: str
    progress: float
    operation: PropertyOperation
    files: FileProgressArray | None = None
    error: OperationFault | None = None
    alias: str | None = None


def progress_text(value: float) -> str:
    """xs:float lexical form of a fraction clamped to [0, 1] (Core §8.9.7)."""
    return repr(float(min(1.0, max(0.0, value))))
