"""The segment index: one SQLite row per segment the recorder wrote, wherever it lives.

Rows live in the recorder database (``segments``, schema 4, ``persistence.schema``),
written through a connection of their own (``persistence.database``: WAL,
``synchronous=FULL``) so the engine never waits on the control plane's transactions.
A row is inserted when a segment opens (``complete = 0``, its end still its start)
and completed when the segment is durable: for local storage (``location`` ``local``)
when the file has been fsynced and renamed, and start-up reconciliation
(``storage.local``) repairs whatever a crash left between those steps; for an
object-storage target (``object``, ``storage`` = the storage configuration token) when
the spooled segment is finished, whether or not the store has it yet.

Times are POSIX seconds (UTC); ``tracks`` are the recording's track tokens in the
segment and ``codecs`` maps each to its sample entry type (``avc1``, ``mp4a``, ...).
``root`` names the media root of a local file (``storage.media_roots``). The ``spans``
table (schema 7) aggregates the rows per span and track set; the schema's triggers keep
it in step with every write here, so ``span_extents`` and ``spans`` read a few rows per
span instead of a month of segments.

What the consumers ask: Search, Replay and Export ``overlapping`` (segments of a
recording or track meeting a time range, in time order) and ``spans`` (the recorded
ranges); the recording engine ``last_codecs`` (RC §5.19 "Incompatible Stream"); retention
``older_than``/``oldest`` (local files only: the recorder never deletes uploaded
objects); DeleteRecording and DeleteTrack ``segments``/``with_track`` and ``retrack``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from onvif_recorder.persistence.database import connect

_COLUMNS = ("recording, key, span, extension, start_utc, end_utc, size, tracks, codecs,"
            " complete, location, storage, root")
_HAS_TRACK = "EXISTS (SELECT 1 FROM json_each(segments.tracks) WHERE json_each.value = ?)"
_IN_ORDER = "ORDER BY start_utc, id"
_PLAYABLE_VIDEO = " OR ".join(f"instr(codecs, '\"{entry}\"') > 0"
                              for entry in ("avc1", "avc3", "hvc1", "hev1"))


class Location(Enum):
    """Where a segment lives."""

    LOCAL = "local"
    """A file under local storage's root."""
    OBJECT = "object"
    """An object of an object-storage target (pending in the spool or uploaded)."""


@dataclass(frozen=True, slots=True)
class SegmentRow:
    recording: str
    key: str
    span: str
    """Key of the span's first segment: identifies the span across restarts."""
    extension: str
    start_utc: float
    end_utc: float
    size: int
    tracks: tuple[str, ...]
    codecs: Mapping[str, str]
    complete: bool
    location: Location = Location.LOCAL
    storage: str = ""
    """Storage configuration token of an object-storage segment; empty for local files."""
    root: str = ""
    """Media root of a local file (``storage.media_roots``; empty: ``<data dir>/media``)."""


@dataclass(frozen=True, slots=True)
class RecordedRange:
    """One span of a recording (or of one of its tracks): where media was recorded."""

    span: str
    start_utc: float
    end_utc: float
    """End of the span's last segment (its start while that segment is being written)."""
    segments: int


@dataclass(frozen=True, slots=True)
class StoredTotals:
    segments: int
    bytes: int
    seconds: float
    last_end_utc: float


def _row(values: tuple[object, ...]) -> SegmentRow:
    (recording, key, span, extension, start, end, size, tracks, codecs, complete, location,
     storage, root) = values
    return SegmentRow(str(recording), str(key), str(span), str(extension), float(str(start)),
                      float(str(end)), int(str(size)), tuple(json.loads(str(tracks))),
                      dict(json.loads(str(codecs))), bool(complete), Location(location),
                      str(storage), str(root))


class SegmentIndex:
    """Reads and writes the ``segments`` table; every write is its own transaction.

    Methods taking a ``key`` address local files unless ``storage`` names an object
    store (keys are unique per storage).
    """

    def __init__(self, database: Path | str) -> None:
        self.connection = connect(database)

    def close(self) -> None:
        self.connection.close()

    def _select(self, where: str, *args: object, tail: str = _IN_ORDER) -> list[SegmentRow]:
        rows = self.connection.execute(
            f"SELECT {_COLUMNS} FROM segments WHERE {where} {tail}", args).fetchall()
        return [_row(values) for values in rows]

    # --- writing ----------------------------------------------------------------------

    def put(self, row: SegmentRow) -> None:
        """Insert or replace the row of ``(row.storage, row.key)``."""
        self.connection.execute(
            f"INSERT INTO segments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(storage, key) DO UPDATE SET end_utc = excluded.end_utc, "
            "size = excluded.size, complete = excluded.complete, codecs = excluded.codecs, "
            "tracks = excluded.tracks, root = excluded.root",
            (row.recording, row.key, row.span, row.extension, row.start_utc, row.end_utc,
             row.size, json.dumps(list(row.tracks)), json.dumps(dict(row.codecs)),
             int(row.complete), row.location.value, row.storage, row.root))

    def complete(self, key: str, end_utc: float, size: int, storage: str = "") -> None:
        self.connection.execute(
            "UPDATE segments SET end_utc = ?, size = ?, complete = 1 "
            "WHERE storage = ? AND key = ?", (end_utc, size, storage, key))

    def set_search_summary(self, key: str, storage: str, summary: str) -> None:
        """Keep what Search needs of a segment that leaves this machine (schema 7)."""
        self.connection.execute("UPDATE segments SET search = ? WHERE storage = ? AND key = ?",
                                (summary, storage, key))

    def search_summary(self, row: SegmentRow) -> str:
        """The row's ``storage.search_summary`` text; empty when it has none."""
        found = self.connection.execute(
            "SELECT search FROM segments WHERE storage = ? AND key = ?",
            (row.storage, row.key)).fetchone()
        return "" if found is None else str(found[0])

    def retrack(self, row: SegmentRow, tracks: Mapping[str, str], size: int) -> None:
        """The segment now holds only ``tracks`` (token → codec) and ``size`` bytes."""
        self.connection.execute(
            "UPDATE segments SET tracks = ?, codecs = ?, size = ? WHERE storage = ? AND key = ?",
            (json.dumps(list(tracks)), json.dumps(dict(tracks)), size, row.storage, row.key))

    def delete(self, keys: Iterable[str], storage: str = "") -> None:
        self.connection.executemany("DELETE FROM segments WHERE storage = ? AND key = ?",
                                    [(storage, key) for key in keys])

    def delete_recording(self, recording: str) -> int:
        """Forget every row of ``recording``, wherever its segments live."""
        cursor = self.connection.execute("DELETE FROM segments WHERE recording = ?",
                                         (recording,))
        return cursor.rowcount

    # --- reading ----------------------------------------------------------------------

    def get(self, key: str, storage: str = "") -> SegmentRow | None:
        found = self._select("storage = ? AND key = ?", storage, key, tail="")
        return found[0] if found else None

    def segments(self, recording: str | None = None,
                 location: Location | None = None) -> list[SegmentRow]:
        """Rows in time order, of one recording or of all, in one location or in all."""
        where, args = ["1"], []
        if recording is not None:
            where.append("recording = ?")
            args.append(recording)
        if location is not None:
            where.append("location = ?")
            args.append(location.value)
        return self._select(" AND ".join(where), *args)

    def recorded_tracks(self) -> dict[str, set[str]]:
        """Per recording with rows, the track tokens its rows hold (start-up checks)."""
        found: dict[str, set[str]] = {str(recording): set() for (recording,) in
                                      self.connection.execute(
                                          "SELECT DISTINCT recording FROM segments")}
        rows = self.connection.execute(
            "SELECT DISTINCT recording, json_each.value FROM segments, json_each(segments.tracks)")
        for recording, track in rows.fetchall():
            found.setdefault(str(recording), set()).add(str(track))
        return found

    def with_track(self, recording: str, track: str) -> list[SegmentRow]:
        """Segments of ``recording`` that hold ``track``, in time order."""
        return self._select(f"recording = ? AND {_HAS_TRACK}", recording, track)

    def overlapping(self, recording: str, start_utc: float, end_utc: float,
                    track: str | None = None) -> list[SegmentRow]:
        """Segments of ``recording`` (holding ``track`` if given) that meet the half-open
        range ``[start_utc, end_utc)``, in time order. A segment still being written
        counts from its start (its end is not known yet)."""
        where = "recording = ? AND start_utc < ? AND (end_utc > ? OR start_utc >= ?)"
        args: list[object] = [recording, end_utc, start_utc, start_utc]
        if track is not None:
            where += f" AND {_HAS_TRACK}"
            args.append(track)
        return self._select(where, *args)

    def spans(self, recording: str, track: str | None = None) -> list[RecordedRange]:
        """The recorded ranges of ``recording`` (or of its ``track``): per span, first
        start and last end, in time order (from the ``spans`` rows, schema 7)."""
        found: dict[str, RecordedRange] = {}
        for span, tracks, start, end, _, count in self._span_rows(recording):
            if track is not None and track not in tracks:
                continue
            known = found.get(span)
            found[span] = RecordedRange(span, start, end, count) if known is None else \
                RecordedRange(span, min(known.start_utc, start), max(known.end_utc, end),
                              known.segments + count)
        return sorted(found.values(), key=lambda r: r.start_utc)

    def playable(self, recording: str, after_utc: float, before_utc: float,
                 limit: int) -> list[tuple[int, SegmentRow]]:
        """(row id, row) of the finished segments of ``recording`` holding an H.264 or
        H.265 track that end after ``after_utc`` and start before ``before_utc``, in time
        order, at most ``limit`` (the HLS playlist of ``web.playback``)."""
        rows = self.connection.execute(
            f"SELECT id, {_COLUMNS} FROM segments WHERE recording = ? AND complete = 1 "
            "AND end_utc > ? AND start_utc < ? AND extension IN ('mp4', 'm4v') AND "
            f"({_PLAYABLE_VIDEO}) {_IN_ORDER} LIMIT ?",
            (recording, after_utc, before_utc, limit)).fetchall()
        return [(int(values[0]), _row(values[1:])) for values in rows]

    def by_id(self, recording: str, row_id: int) -> SegmentRow | None:
        """The row ``row_id`` (as ``playable`` numbers them) if it is of ``recording``."""
        found = self._select("recording = ? AND id = ?", recording, row_id, tail="")
        return found[0] if found else None

    def older_than(self, recording: str, end_before: float) -> list[SegmentRow]:
        """Finished local segments of ``recording`` that ended before ``end_before``."""
        return self._select("recording = ? AND location = 'local' AND complete = 1 "
                            "AND end_utc <= ?", recording, end_before)

    def span_continues(self, recording: str, span: str, after_start: float) -> bool:
        """Does ``span`` have a segment starting after ``after_start`` (finished or not)?"""
        found = self.connection.execute(
            "SELECT 1 FROM segments WHERE recording = ? AND start_utc > ? AND span = ? "
            "LIMIT 1", (recording, after_start, span)).fetchone()
        return found is not None

    def oldest(self, limit: int, root: str | None = None) -> list[SegmentRow]:
        """The oldest finished local segments over all recordings (on one media root)."""
        if root is None:
            return self._select("location = 'local' AND complete = 1", limit,
                                tail=f"{_IN_ORDER} LIMIT ?")
        return self._select("location = 'local' AND complete = 1 AND root = ?", root, limit,
                            tail=f"{_IN_ORDER} LIMIT ?")

    def total_size(self) -> int:
        """Bytes of local segment files."""
        value = self.connection.execute(
            "SELECT COALESCE(SUM(size), 0) FROM segments WHERE location = 'local'")
        return int(value.fetchone()[0])

    def stored_totals(self) -> dict[str, StoredTotals]:
        """Per recording with rows: segments, bytes, seconds recorded (finished segments)
        and the end of its latest segment; aggregated in SQL (the web page asks often)."""
        rows = self.connection.execute(
            "SELECT recording, COUNT(*), COALESCE(SUM(size), 0),"
            " COALESCE(SUM(CASE WHEN complete THEN end_utc - start_utc ELSE 0 END), 0),"
            " MAX(end_utc) FROM segments GROUP BY recording").fetchall()
        return {str(recording): StoredTotals(int(count), int(size), float(seconds), float(last))
                for recording, count, size, seconds, last in rows}

    def finished_with_codec(self, recording: str, start: float, end: float,
                            codec: str) -> list[SegmentRow]:
        """Finished segments of ``recording`` with a track of sample entry type ``codec``
        that overlap the closed range [start, end], in time order (Search reads recorded
        metadata with it: its endpoints are inclusive). Only the spans that recorded
        ``codec`` there are looked into (``spans``, schema 7)."""
        spans = [span for (span,) in self.connection.execute(
            "SELECT DISTINCT span FROM spans WHERE recording = ? AND start_utc <= ? "
            "AND end_utc >= ? AND instr(codecs, ?) > 0", (recording, end, start, f'"{codec}"'))]
        if not spans:
            return []
        marks = ", ".join("?" * len(spans))
        return self._select(f"recording = ? AND span IN ({marks}) AND complete = 1 "
                            "AND start_utc <= ? AND end_utc >= ? AND instr(codecs, ?) > 0",
                            recording, *spans, end, start, f'"{codec}"')

    def finished_near(self, recording: str, at: float) -> SegmentRow | None:
        """The finished segment of ``recording`` holding ``at``, else the nearest one
        (the earlier on a tie): two indexed look-ups (``segments_by_time``), however many
        segments the recording has."""
        before = self._select("recording = ? AND complete = 1 AND start_utc <= ?", recording,
                              at, tail="ORDER BY start_utc DESC LIMIT 1")
        after = self._select("recording = ? AND complete = 1 AND start_utc > ?", recording,
                             at, tail="ORDER BY start_utc LIMIT 1")
        candidates = before + after
        return min(candidates, key=lambda r: _distance(r, at)) if candidates else None

    def finished_starting(self, recording: str, start: float) -> SegmentRow | None:
        """The finished segment of ``recording`` that begins exactly at ``start`` (a span
        start as ``spans`` holds it: the same stored value), if any."""
        found = self._select("recording = ? AND complete = 1 AND start_utc = ?", recording,
                             start, tail="ORDER BY id LIMIT 1")
        return found[0] if found else None

    def _span_rows(self, recording: str
                   ) -> list[tuple[str, tuple[str, ...], float, float, bool, int]]:
        rows = self.connection.execute(
            "SELECT span, tracks, start_utc, end_utc, open, segments FROM spans "
            "WHERE recording = ? ORDER BY start_utc", (recording,)).fetchall()
        return [(str(span), tuple(json.loads(str(tracks))), float(start), float(end),
                 int(is_open) == 0, int(count))
                for span, tracks, start, end, is_open, count in rows]

    def span_extents(self, recording: str) -> list[tuple[str, tuple[str, ...], float, float, bool]]:
        """(span, tracks, first start, last end, all complete) for each span and track set
        of ``recording``: the ``spans`` rows the schema's triggers keep in step with the
        segments (schema 7), a few per span however many segments it has; what the
        Search service's recorded ranges come from."""
        return [row[:5] for row in self._span_rows(recording)]

    def last_codecs(self, recording: str) -> dict[str, str]:
        """Sample entry type last recorded in each track of ``recording``, in any place."""
        codecs: dict[str, str] = {}
        for row in self.segments(recording):
            codecs.update(row.codecs)
        return codecs


def _distance(row: SegmentRow, at: float) -> float:
    return 0.0 if row.start_utc <= at <= row.end_utc else min(abs(row.start_utc - at),
                                                               abs(row.end_utc - at))
