"""Retention and disk space: whole old segments deleted, DeleteTrackData published.

* ``MaximumRetentionTime`` (RC §5.3.1; 0 = unlimited): a finished segment whose end is
  older than now - retention is deleted. Every segment holds all the recording's tracks
  (MP4 format), so the limit is applied per recording and reported per track.
* Disk reserve: while free space on a media root's file system is below its reserve
  (fraction of its size, default 5 %; ``storage.media_roots``), the oldest finished
  segments of all recordings on that root are deleted, a few at a time. One root short
  of space does not touch the others.

Each deletion publishes one ``tns1:RecordingConfig/DeleteTrackData`` per (recording,
track) with the StartTime/EndTime of the contiguous range deleted in one pass. Segments
being written are never deleted.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

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
    def __init__(self, storage: LocalStorage, bus: EventBus, reserve: float | None = None,
                 clock: Callable[[], float] = time.time, disk_usage: DiskUsage = _usage,
                 batch: int = 8) -> None:
        """``reserve`` applies to the default root when it is the only one (single root
        given as a path); configured roots carry their own."""
        self.storage = storage
        self.bus = bus
        self.reserve = DEFAULT_RESERVE if reserve is None else reserve
        self.clock = clock
        self.disk_usage = disk_usage
        self.batch = batch
        self.deleted_segments = 0

    def enforce(self, state: RecorderState) -> None:
        now = self.clock()
        for token, recording in state.recordings.items():
            limit = seconds(recording.configuration.maximum_retention_time)
            if limit > 0:
                self._delete(self.storage.index.older_than(token, now - limit))
        self.enforce_reserve()

    def _reserves(self) -> list[tuple[str, Path, float]]:
        """(index name, path, reserve) of every root."""
        roots = self.storage.roots
        if len(roots.roots) == 1 and roots.roots[0].path == roots.default:
            return [("", roots.default, self.reserve)]
        return [(roots.name(r), r.path, r.reserve) for r in roots.roots]

    def enforce_reserve(self) -> None:
        """Delete the oldest data of each root until its reserve is free."""
        for name, path, reserve in self._reserves():
            while self._short_of_space(path, reserve):
                oldest = self.storage.index.oldest(self.batch, name)
                if not oldest:
                    break
                self._delete(oldest)

    def free_fraction(self, path: Path | None = None) -> float:
        try:
            total, _, free = self.disk_usage(str(path or self.storage.root))
        except OSError:
            return 1.0  # a root that cannot be asked (failed disk): nothing to free there
        return free / total if total else 1.0

    def _short_of_space(self, path: Path, reserve: float) -> bool:
        return reserve > 0 and self.free_fraction(path) < reserve

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
