"""ExportRecordedData (RC 25.12 §5.21-5.23): the request and the faults the export
operations answer."""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.domain.errors import SenderFault

FILE_FORMATS = ("ONVIF", "MP4")
"""SupportedExportFileFormats: ``ONVIF`` is the ONVIF Export File Format (RC §5.21),
``MP4`` the same fragmented MP4 without the EFF ``meta`` (no signature)."""


@dataclass(frozen=True, slots=True)
class StorageDestination:
    """tt:StorageReferencePath."""

    storage_token: str
    relative_path: str = ""


class InvalidStorage(SenderFault):
    """The StorageDestination names no storage configuration the recorder can write to
    (the fault RC 26.06 §5.27 names for the same mistake in ExportRecordedSegments)."""

    subcodes = ("InvalidArgVal", "InvalidStorage")


def safe_relative_path(path: str) -> str:
    """RelativePath as a '/'-separated path that stays inside the storage; ValueError
    for '..', absolute paths and control characters."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if path.startswith("/") or any(p == ".." or any(ord(c) < 32 for c in p) for p in parts):
        raise ValueError(f"RelativePath {path[:128]!r} leaves the storage")
    return "/".join(parts)
