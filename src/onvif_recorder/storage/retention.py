"""Retention and disk space: whole old segments deleted, DeleteTrackData published.

* ``MaximumRetentionTime`` (RC §5.3.1; 0 = unlimited): a finished segment whose end is
  older than now - retention is deleted. Every segment holds all the recording's tracks
  (MP4 format), so the limit is applied per recording and reported per track.
* Disk reserve: while free space on the data directory's file system is below
  ``reserve`` (fraction of its size, default 5 %), the oldest finished segments over all
  recordings are deleted, a few at a time.

Each deletion publishes one ``tns1:RecordingConfig/DeleteTrackData`` per (recording,
track) with the StartTime/EndTime of the contiguous range deleted in one pass. Segments
being written are never deleted.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from onvif_recorder.recording.plan import seconds
from onvif_recorder.service.events import EventBus, TrackDataDeleted
from onvif_recorder.service.state import RecorderState
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.segment_index import SegmentRow

DEFAULT_RESERVE = 0.05
DiskUsage = Callable[[str], tuple[int, int, int]]


def _usage(path: str) -> tuple[int, int, int]:
    usage = shutil.disk_usage(path)
    return usage.total, usage.used, usage.free


def _moment(posix: float) -> datetime:
    return datetime.fromtimestamp(posix, UTC)


class Retention:
    def __init__(self, storage: LocalStorage, bus: EventBus, reserve: float = DEFAULT_RESERVE,
                 clock: Callable[[], float] = time.time, disk_usage: DiskUsage = _usage,
                 batch: int = 8) -> None:
        self.storage = storage
        self.bus = bus
        self.reserve = reserve
        self.clock = clock
        self.disk_usage = disk_usage
        self.batch = batch
        self.deleted_segments = 0

    def segment_written(self, row: SegmentRow) -> None:
        """Hook for each finished segment; the periodic ``enforce`` does the work."""

    def enforce(self, state: RecorderState) -> None:
        now = self.clock()
        for token, recording in state.recordings.items():
            limit = seconds(recording.configuration.maximum_retention_time)
            if limit > 0:
                self._delete(self.storage.index.older_than(token, now - limit))
        self.enforce_reserve()

    def enforce_reserve(self) -> None:
        """Delete the oldest data until ``reserve`` of the file system is free."""
        while self._short_of_space():
            oldest = self.storage.index.oldest(self.batch)
            if not oldest:
                return
            self._delete(oldest)

    def free_fraction(self) -> float:
        total, _, free = self.disk_usage(str(self.storage.root))
        return free / total if total else 1.0

    def _short_of_space(self) -> bool:
        return self.reserve > 0 and self.free_fraction() < self.reserve

    def _delete(self, rows: list[SegmentRow]) -> None:
        if not rows:
            return
        self.storage.delete(rows)
        self.deleted_segments += len(rows)
        self.bus.publish(*deletion_events(rows))


def deletion_events(rows: Iterable[SegmentRow]) -> list[TrackDataDeleted]:
    """One DeleteTrackData per (recording, track): the deleted range's start and end."""
    ranges: dict[tuple[str, str], tuple[float, float]] = {}
    for row in rows:
        for track in row.tracks:
            key = (row.recording, track)
            start, end = ranges.get(key, (row.start_utc, row.end_utc))
            ranges[key] = (min(start, row.start_utc), max(end, row.end_utc))
    return [TrackDataDeleted(recording, track, _moment(start), _moment(end))
            for (recording, track), (start, end) in ranges.items()]
