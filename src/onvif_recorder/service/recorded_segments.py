"""RC 26.06 segment listing and export semantics (§5.26-5.28, Annex C).

ListRecordedSegments answers the stable segments (``storage.local_segments``: finished
local segment files) of a recording that meet ``[From, Until)``, in StartTime order, at
most MaxResults (default 100, never more than 1000) per answer, ``HasMoreResults`` while
more remain. Times are compared in whole microseconds, the precision the answer carries
(B.4 keys allow up to 6 fraction digits), so a client continuing with From = the last
EndTime gets exactly the next segments: the segment ending there does not meet the new
range, the one starting there does. Segments only come (new ones, appended at the end)
or go (retention, deletion); a listed one never changes.

ExportRecordedSegments validates a request and fixes its segments (what is finished
when it is asked; Annex C.3 allows the list to differ from an earlier listing) with the
B.4 key each gets under the recording target's Prefix/Postfix (no target: the recording
token as prefix, as on local storage). ``engine.segment_exports`` uploads them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from onvif_recorder.domain import errors
from onvif_recorder.domain.export import InvalidStorage
from onvif_recorder.domain.recording import Recording, TrackType
from onvif_recorder.domain.storage import StorageConfiguration
from onvif_recorder.recording.plan import key_part
from onvif_recorder.service.state import StateHolder
from onvif_recorder.storage.object_key import KeyLayout

DEFAULT_PAGE = 100
MAX_PAGE = 1000
OPERATION_NAME = "ExportRecordedSegments"
_CMAF_EXTENSIONS = {TrackType.VIDEO: "m4v", TrackType.AUDIO: "m4a", TrackType.METADATA: "m4m"}


def micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


@dataclass(frozen=True, slots=True)
class FinishedSegment:
    """A finished local segment (a segment index row)."""

    recording: str
    key: str
    """Its local key: the B.4 key with the recording token as prefix."""
    span: str
    extension: str
    start_utc: float
    end_utc: float
    tracks: tuple[str, ...]


class SegmentSource(Protocol):
    def finished(self, recording: str, start_utc: float,
                 end_utc: float) -> list[FinishedSegment]: ...

    def path(self, row: FinishedSegment) -> Path: ...

    def media_type(self, row: FinishedSegment) -> str: ...

    def close(self) -> None: ...


ExportKey = Callable[[FinishedSegment, KeyLayout], str]


@dataclass(frozen=True, slots=True)
class ListedSegment:
    start_us: int
    end_us: int
    media_type: str


@dataclass(frozen=True, slots=True)
class SegmentPage:
    segments: tuple[ListedSegment, ...]
    has_more: bool


@dataclass(frozen=True, slots=True)
class ExportRequest:
    recording: str
    from_us: int
    until_us: int
    alias: str | None = None
    storage: str | None = None
    """StorageToken: overrides the Target's storage."""
    track: str | None = None
    """A tt:TrackType value: only that type's CMAF segments."""


@dataclass(frozen=True, slots=True)
class ExportItem:
    path: Path
    key: str
    file_name: str
    """StorageUri + "/" + key, as FileProgress names it (§5.27)."""
    content_type: str


@dataclass(frozen=True, slots=True)
class ExportJob:
    token: str
    recording: str
    storage: str
    alias: str | None
    service_name: str
    items: tuple[ExportItem, ...]


class RecordedSegments:
    def __init__(self, holder: StateHolder, source: SegmentSource, export_key: ExportKey,
                 new_token: Callable[[], str] = lambda: f"SegmentExport_{secrets.token_hex(8)}"
                 ) -> None:
        self.holder = holder
        self.source = source
        self.export_key = export_key
        self.new_token = new_token

    def recording(self, token: str) -> Recording:
        recording = self.holder.state.recordings.get(token)
        if recording is None:
            raise errors.NoRecording(f"no recording {token[:64]!r}")
        return recording

    def _rows(self, recording: str, from_us: int, until_us: int) -> list[FinishedSegment]:
        if until_us <= from_us:
            return []
        # The index compares floats; widen by a millisecond, then decide in microseconds.
        rows = self.source.finished(recording, (from_us - 1000) / 1e6, (until_us + 1000) / 1e6)
        meets = [r for r in rows
                 if micros(r.start_utc) < until_us and micros(r.end_utc) > from_us]
        return sorted(meets, key=lambda r: (micros(r.start_utc), micros(r.end_utc), r.key))

    def list(self, token: str, from_us: int, until_us: int,
             max_results: int | None = None) -> SegmentPage:
        recording = self.recording(token)
        target = recording.configuration.target
        if target is not None and target.storage not in self.holder.state.storage:
            raise errors.NoStorage(f"the Target names no storage configuration "
                                   f"{target.storage[:64]!r}")
        if max_results is not None and max_results < 1:
            raise errors.InvalidArgVal("MaxResults must be at least 1")
        rows = self._rows(token, from_us, until_us)
        page = _page(rows, min(max_results or DEFAULT_PAGE, MAX_PAGE))
        listed = tuple(ListedSegment(micros(r.start_utc), micros(r.end_utc),
                                     self.source.media_type(r)) for r in page)
        return SegmentPage(listed, len(page) < len(rows))

    def plan_export(self, request: ExportRequest, service_name: str) -> ExportJob:
        recording = self.recording(request.recording)
        if request.until_us <= request.from_us:
            raise errors.BadDuration("Time/Until must be after Time/From")
        storage = self._destination(recording, request.storage)
        track = _track_type(request.track)
        layout = _layout(recording)
        uri = (storage.data.storage_uri or "").rstrip("/")
        items = []
        for row in self._rows(recording.token, request.from_us, request.until_us):
            if track is None or _holds(recording, row, track):
                key = self.export_key(row, layout)
                items.append(ExportItem(self.source.path(row), key, f"{uri}/{key}",
                                        self.source.media_type(row)))
        return ExportJob(self.new_token(), recording.token, storage.token, request.alias,
                         service_name, tuple(items))

    def _destination(self, recording: Recording, override: str | None) -> StorageConfiguration:
        target = recording.configuration.target
        token = override if override is not None else target.storage if target else None
        if token is None:
            raise InvalidStorage("the recording has no Target and no StorageToken "
                                        "was given")
        storage = self.holder.state.storage.get(token)
        if storage is None:
            raise InvalidStorage(f"no storage configuration {token[:64]!r}")
        if not storage.data.is_object_storage:
            raise InvalidStorage(f"storage {token[:64]!r} of type {storage.data.type!r} "
                                        "is not an object storage")
        return storage


def _page(rows: list[FinishedSegment], size: int) -> list[FinishedSegment]:
    """At most ``size`` rows such that the client, continuing from the last EndTime,
    neither skips nor repeats one: the rows ending first (all rows ending at one instant
    or none of them), less those ending after the last one in StartTime order (they still
    meet the next range). CMAF spans overlap, so a track's segment may lie inside
    another's: taking the first rows by StartTime could step over it."""
    if len(rows) <= size:
        return rows
    by_end = sorted(rows, key=lambda r: (micros(r.end_utc), micros(r.start_utc), r.key))
    taken = by_end[:size]
    boundary = micros(by_end[size].end_utc)
    taken = [r for r in taken if micros(r.end_utc) < boundary] or taken
    taken.sort(key=lambda r: (micros(r.start_utc), micros(r.end_utc), r.key))
    last = micros(taken[-1].end_utc) if taken else 0
    return [r for r in taken if micros(r.end_utc) <= last]


def _track_type(value: str | None) -> TrackType | None:
    if value is None:
        return None
    try:
        return TrackType(value.strip())
    except ValueError:
        raise errors.InvalidArgVal(f"Track {value[:64]!r} is not a tt:TrackType") from None


def _holds(recording: Recording, row: FinishedSegment, track: TrackType) -> bool:
    """A CMAF segment of that type; an MP4 segment holding a track of that type."""
    if row.extension in _CMAF_EXTENSIONS.values():
        return _CMAF_EXTENSIONS.get(track) == row.extension
    types = {t.token: t.configuration.track_type for t in recording.tracks}
    return any(types.get(token) is track for token in row.tracks)


def _layout(recording: Recording) -> KeyLayout:
    target = recording.configuration.target
    if target is None:
        return KeyLayout(prefix=recording.token)
    return KeyLayout(key_part(target.prefix), key_part(target.postfix))
