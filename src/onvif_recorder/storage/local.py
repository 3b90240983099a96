"""Local storage: the default target of a recording without ``Target`` (RC Annex B layout).

Layout: ``<media root>/<key>`` where ``key`` is the Annex B.4 object key with the
recording token as prefix and no postfix, e.g.
``media/Recording_1/2026-11-22/22/51-56.120Z.0.mp4``; span ends are the empty B.5
objects ``...Z.<last counter + 1>.mp4_end``. So local and object storage share one layout.
``delete`` (retention) removes a span's end object with the span's last segment.
The media root is ``<data dir>/media`` unless several are configured
(``storage.media_roots``): each segment goes to a healthy root when it opens (one that
fails to take it is skipped), its index row names the root, and a span's end object goes
where the span's last segment is.

Crash safety (RC Annex B.3: a finished segment is always readable) is the shared
writer's, ``storage.segment_file``: a segment being written is ``<key>.partial``, each
fragment reaches the kernel when ``append`` returns, ``fsync`` every ``fsync_interval``
seconds and before the rename that finishes it, the directory fsynced after. ``recover()``
at start-up repairs each ``.partial`` with ``segment_file.repair_partial`` (cut to the
last complete fragment, ``mfra`` rebuilt), writes its span end, drops one without a
complete fragment, and reconciles the segment index with the files.

Deletion (RC §5.5, §5.10; the engine's ``data_deletion`` decides when):
``delete_recording_files`` removes a recording's directory; ``rewrite_without_track``
rewrites a segment without one track (``mp4.track_removal``) as ``<key>.rewrite.tmp``,
fsyncs it, renames it over the segment and fsyncs the directory, so until the new file
is durable the old one stays; ``kill -9`` leaves either (a ``.tmp`` is removed at
start-up and the deletion is redone). Both only touch files (they run off the event
loop); the caller updates the index. Test-only hook: the environment variable
``ONVIF_RECORDER_TEST_REWRITE_PAUSE`` (seconds) pauses between the fsync of the new
file and its rename, so a test can ``kill -9`` a rewrite at that point.
"""

from __future__ import annotations

import calendar
import dataclasses
import math
import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from onvif_recorder.mp4.track_removal import remove_track, track_ids
from onvif_recorder.settings import MediaRoot
from onvif_recorder.storage.media_roots import MediaRoots
from onvif_recorder.storage.object_key import (
    END_SUFFIX,
    KeyLayout,
    KeyTime,
    parse_key,
    segment_key,
    span_end_key,
)
from onvif_recorder.storage.segment_file import (
    DEFAULT_FSYNC_INTERVAL,
    PARTIAL,
    TEMPORARY,
    SegmentFile,
    repair_partial,
)
from onvif_recorder.storage.segment_index import Location, SegmentIndex, SegmentRow
from onvif_recorder.storage.segment_scan import scan_segment

REWRITE = ".rewrite.tmp"
REWRITE_PAUSE_VARIABLE = "ONVIF_RECORDER_TEST_REWRITE_PAUSE"
SPAN_END_TOLERANCE = 1.0


def layout_for(recording_token: str) -> KeyLayout:
    if not recording_token or "/" in recording_token or recording_token.startswith("."):
        raise ValueError(f"recording token {recording_token!r} cannot be a key prefix")
    return KeyLayout(prefix=recording_token)


@dataclass(slots=True)
class OpenSegment:
    """A segment being written: its ``.partial`` file and index row."""

    row: SegmentRow
    file: SegmentFile

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def size(self) -> int:
        return self.file.size


@dataclass(slots=True)
class RecoveryReport:
    repaired: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    """Partial files without a complete header or fragment (they held no whole sample)."""
    indexed: list[str] = field(default_factory=list)
    """Files that had no (complete) index row."""
    forgotten: list[str] = field(default_factory=list)
    """Index rows whose file is gone."""
    lost_bytes: int = 0


class LocalStorage:
    def __init__(self, root: Path | MediaRoots, index: SegmentIndex,
                 fsync_interval: float = DEFAULT_FSYNC_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.roots = root if isinstance(root, MediaRoots) else MediaRoots.single(root)
        self.root = self.roots.default
        self.index = index
        self.fsync_interval = fsync_interval
        self._clock = clock
        self._last_root: dict[str, str] = {}  # recording -> root of its latest segment
        self.root.mkdir(parents=True, exist_ok=True)

    def path_of(self, key: str) -> Path:
        """The file of the local segment ``key``, on the root its index row names."""
        row = self.index.get(key)
        return self.roots.path_of(row.root if row is not None else "", key)

    def path_for(self, row: SegmentRow) -> Path:
        return self.roots.path_of(row.root, row.key)

    def _root_paths(self) -> list[Path]:
        """Every root that may hold files: the configured ones and the default."""
        found = [r.path for r in self.roots.roots]
        return found if self.root in found else [self.root, *found]

    # --- writing ------------------------------------------------------------------

    def open_segment(self, recording: str, span: str | None, start_utc: float, counter: int,
                     extension: str, header: bytes, codecs: Mapping[str, str]) -> OpenSegment:
        """Create ``<key>.partial`` holding ``header``; ``span`` None = this opens a span."""
        key = segment_key(layout_for(recording), start_utc, counter, extension)
        failure: OSError | None = None
        for root in self.roots.choose():
            name = self.roots.name(root)
            row = SegmentRow(recording, key, span or key, extension, start_utc, start_utc, 0,
                             tuple(codecs), dict(codecs), False, root=name)
            try:
                file = self._create(root.path / key, header)
            except OSError as error:  # a failed disk: the next root takes the segment
                self.roots.failed(name)
                failure = error
                continue
            self.index.put(row)
            self._last_root[recording] = name
            return OpenSegment(row, file)
        raise failure or OSError(f"no media root can take {key}")

    def _create(self, path: Path, header: bytes) -> SegmentFile:
        file = SegmentFile(path, fsync_interval=self.fsync_interval, clock=self._clock)
        try:
            file.append(header)
        except OSError:
            file.discard()
            raise
        return file

    def append(self, segment: OpenSegment, data: bytes | tuple[bytes, ...]) -> None:
        """Write ``data`` (whole, or a fragment's ``parts``) through to the kernel
        (fsynced per ``fsync_interval``)."""
        segment.file.append(*((data,) if isinstance(data, bytes) else data))

    def finish(self, segment: OpenSegment, trailer: bytes, end_utc: float) -> SegmentRow:
        """Append the trailer and make the file durable under its key; returns the
        completed row, which ``complete`` then writes to the index (``storage.sink``
        does it after opening the span's next segment)."""
        segment.file.append(trailer)
        size = segment.file.finish()
        return _completed(segment.row, end_utc, size)

    def complete(self, row: SegmentRow) -> None:
        """Mark the finished segment ``row`` complete in the index."""
        self.index.complete(row.key, row.end_utc, row.size)

    def abandon(self, segment: OpenSegment) -> None:
        """Close the file of a segment whose writer failed; recovery repairs it later.
        Its root is left out of new segments for a while (storage.media_roots)."""
        self.roots.failed(segment.row.root)
        segment.file.abandon()

    def span_end(self, recording: str, end_utc: float, end_counter: int,
                 extension: str, root: str | None = None) -> str:
        """Write the empty B.5 span end object on ``root`` (default: where the
        recording's latest segment went); returns its key."""
        key = span_end_key(layout_for(recording), end_utc, end_counter, extension)
        name = self._last_root.get(recording, "") if root is None else root
        path = self.roots.path_of(name, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return key

    def delete(self, rows: Iterable[SegmentRow]) -> int:
        """Remove segment files and their rows; returns the bytes freed."""
        doomed = list(rows)
        freed = 0
        for row in doomed:
            path = self.path_for(row)
            try:
                freed += path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                pass
            _remove_empty_parents(path.parent, self.roots.path(row.root))
        self.index.delete(row.key for row in doomed)
        for last in _last_of_each_span(doomed):
            if not self.index.span_continues(last.recording, last.span, last.start_utc):
                self._delete_span_end(last)
        return freed

    def _delete_span_end(self, last: SegmentRow) -> None:
        """The B.5 end object goes with its span's last segment: ``last counter + 1`` at
        the span's end (within a second: a repaired span ends where its data ends)."""
        counter = parse_key(last.key).counter + 1
        key = span_end_key(layout_for(last.recording), last.end_utc, counter, last.extension)
        root = self.roots.path(last.root)
        path = root / key
        pattern = f"*.{counter}.{last.extension}{END_SUFFIX}"
        candidates = [path] if path.exists() else sorted(path.parent.glob(pattern))
        for candidate in candidates:
            moment = parse_key(candidate.relative_to(root).as_posix()).time
            if abs(_posix(moment) - last.end_utc) <= SPAN_END_TOLERANCE:
                candidate.unlink(missing_ok=True)
        _remove_empty_parents(path.parent, root)

    # --- deletion (blocking file work: run it off the event loop) ---------------------

    def recordings_on_disk(self) -> list[str]:
        """Tokens of the recordings that have a directory on some root."""
        return sorted({p.name for root in self._root_paths() if root.is_dir()
                       for p in root.iterdir() if p.is_dir()})

    def delete_recording_files(self, recording: str) -> None:
        """Remove every file of ``recording`` (segments, span ends, partial files)."""
        for root in self._root_paths():
            shutil.rmtree(root / layout_for(recording).prefix, ignore_errors=True)

    def rewrite_without_track(self, key: str, track: str) -> TrackRewrite:
        """Rewrite segment ``key`` without the track whose token is ``track``."""
        path = self.path_of(key)
        data = path.read_bytes()
        facts = scan_segment(data)
        ids = track_ids(data)
        if len(ids) != len(facts.tracks):
            raise ValueError(f"{key}: tracks and recovery data disagree")
        by_token = dict(zip(facts.tracks, ids, strict=True))
        if track not in by_token:  # rewritten before a crash cut the index update
            return TrackRewrite(facts.codecs, len(data))
        result = remove_track(data, by_token[track])
        if not result.remaining:
            return TrackRewrite({}, 0)
        # The shared durable writer: the old file stays until the new one is on disk.
        writer = SegmentFile(path, fsync_interval=math.inf, suffix=REWRITE)
        try:
            writer.append(result.data)
        except OSError:
            writer.discard()
            raise
        writer.finish(before_rename=_test_pause)
        codecs = {token: codec for token, codec in facts.codecs.items() if token != track}
        return TrackRewrite(codecs, len(result.data))

    # --- start-up -----------------------------------------------------------------

    def recover(self, recording: str | None = None) -> RecoveryReport:
        """Repair partial segments and reconcile the index with the files: at start-up
        for all recordings, or for one whose writer failed (its files are not open).
        Every root is looked at; a root that cannot be read (a failed disk) keeps its
        rows until it can."""
        report = RecoveryReport()
        on_disk: dict[str, tuple[str, Path]] = {}
        unreadable: set[str] = set()
        for root in self._root_paths():
            name = self.roots.name(MediaRoot(root, 0.0))
            try:
                on_disk |= self._recover_root(root, name, recording, report)
            except OSError:
                unreadable.add(name)
        report.forgotten = [r.key for r in self.index.segments(recording, Location.LOCAL)
                            if r.key not in on_disk and r.root not in unreadable]
        self.index.delete(report.forgotten)
        for key, (name, path) in sorted(on_disk.items()):
            known = self.index.get(key)
            if known is None or not known.complete or known.root != name:
                try:
                    self._index_file(key, name, path, known)
                except ValueError:
                    continue  # not one of ours (no recovery box): left alone, not indexed
                report.indexed.append(key)
        return report

    def _recover_root(self, root: Path, name: str, recording: str | None,
                      report: RecoveryReport) -> dict[str, tuple[str, Path]]:
        if not root.is_dir():
            raise FileNotFoundError(f"media root {root} is missing")  # unmounted, failed
        top = root if recording is None else root / layout_for(recording).prefix
        if not top.is_dir():
            return {}
        for leftover in top.rglob("*" + TEMPORARY):
            leftover.unlink()  # a repair interrupted before its rename: redone below
        for partial in sorted(top.rglob("*" + PARTIAL)):
            self._repair(root, name, partial, report)
        return {path.relative_to(root).as_posix(): (name, path) for path in top.rglob("*")
                if path.is_file() and _is_segment(path)}

    def _repair(self, root: Path, name: str, partial: Path, report: RecoveryReport) -> None:
        key = partial.relative_to(root).as_posix().removesuffix(PARTIAL)
        parsed = parse_key(key)
        outcome = repair_partial(partial)
        facts = outcome.facts
        if facts is None or not outcome.fragments:
            # No complete fragment: no media to keep. The span ended where this began.
            self.index.delete([key])
            report.dropped.append(key)
            if facts is not None and parsed.counter > 0:
                self.span_end(parsed.prefix, facts.start_utc, parsed.counter, parsed.extension,
                              name)
            return
        self.span_end(parsed.prefix, facts.end_utc, parsed.counter + 1, parsed.extension, name)
        report.repaired.append(key)
        report.lost_bytes += outcome.lost_bytes

    def _index_file(self, key: str, name: str, path: Path, row: SegmentRow | None) -> None:
        parsed = parse_key(key)
        facts = scan_segment(path.read_bytes())
        span = row.span if row is not None else key
        self.index.put(SegmentRow(parsed.prefix, key, span, parsed.extension, facts.start_utc,
                                  facts.end_utc, path.stat().st_size, facts.tracks,
                                  facts.codecs, True, root=name))


@dataclass(frozen=True, slots=True)
class TrackRewrite:
    """What a segment holds after ``rewrite_without_track`` (no codecs: nothing left)."""

    codecs: dict[str, str]
    size: int


def _test_pause() -> None:
    pause = os.environ.get(REWRITE_PAUSE_VARIABLE)
    if pause:
        time.sleep(float(pause))


def _completed(row: SegmentRow, end_utc: float, size: int) -> SegmentRow:
    return dataclasses.replace(row, end_utc=end_utc, size=size, complete=True)


def _last_of_each_span(rows: Iterable[SegmentRow]) -> list[SegmentRow]:
    last: dict[tuple[str, str], SegmentRow] = {}
    for row in rows:
        known = last.get((row.recording, row.span))
        if known is None or row.start_utc > known.start_utc:
            last[(row.recording, row.span)] = row
    return list(last.values())


def _posix(moment: KeyTime) -> float:
    fields = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return calendar.timegm(fields) + moment.microsecond / 1e6


def _is_segment(path: Path) -> bool:
    name = path.name
    return not name.endswith((PARTIAL, TEMPORARY, END_SUFFIX)) and "." in name


def _remove_empty_parents(directory: Path, root: Path) -> None:
    """Remove the now-empty hour and date directories a deletion leaves behind."""
    while directory != root and root in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
