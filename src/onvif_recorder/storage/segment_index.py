"""The segment index: one SQLite row per segment file of local storage.

Rows live in the recorder database (schema version 2, ``persistence.schema``), written
through a connection of their own so the engine never waits on the control plane's
transactions. A row is inserted when a segment opens (``complete = 0``, its file still
``.partial``) and completed when the file has been fsynced and renamed; start-up
reconciliation (``storage.local``) repairs whatever a crash left between those steps.
Times are POSIX seconds (UTC); ``tracks`` are the recording's track tokens in the
segment and ``codecs`` maps each to its sample entry type (``avc1``, ``mp4a``, ...).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

_COLUMNS = "recording, key, span, extension, start_utc, end_utc, size, tracks, codecs, complete"


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


def _row(values: tuple[object, ...]) -> SegmentRow:
    recording, key, span, extension, start, end, size, tracks, codecs, complete = values
    return SegmentRow(str(recording), str(key), str(span), str(extension), float(str(start)),
                      float(str(end)), int(str(size)), tuple(json.loads(str(tracks))),
                      dict(json.loads(str(codecs))), bool(complete))


class SegmentIndex:
    """Reads and writes the ``segments`` table; every write is its own transaction."""

    def __init__(self, database: Path | str) -> None:
        self.connection = sqlite3.connect(str(database), isolation_level=None,
                                          check_same_thread=False)
        self.connection.execute("PRAGMA busy_timeout=5000")
        # NORMAL in WAL mode: a commit survives kill -9 (it is in the WAL file); only a
        # power cut may lose the last rows, which reconciliation rebuilds from the files.
        self.connection.execute("PRAGMA synchronous=NORMAL")

    def close(self) -> None:
        self.connection.close()

    def put(self, row: SegmentRow) -> None:
        """Insert or replace the row of ``row.key``."""
        self.connection.execute(
            f"INSERT INTO segments ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET end_utc = excluded.end_utc, "
            "size = excluded.size, complete = excluded.complete, codecs = excluded.codecs, "
            "tracks = excluded.tracks",
            (row.recording, row.key, row.span, row.extension, row.start_utc, row.end_utc,
             row.size, json.dumps(list(row.tracks)), json.dumps(dict(row.codecs)),
             int(row.complete)))

    def complete(self, key: str, end_utc: float, size: int) -> None:
        self.connection.execute(
            "UPDATE segments SET end_utc = ?, size = ?, complete = 1 WHERE key = ?",
            (end_utc, size, key))

    def delete(self, keys: Iterable[str]) -> None:
        self.connection.executemany("DELETE FROM segments WHERE key = ?",
                                    [(key,) for key in keys])

    def get(self, key: str) -> SegmentRow | None:
        found = self.connection.execute(
            f"SELECT {_COLUMNS} FROM segments WHERE key = ?", (key,)).fetchone()
        return None if found is None else _row(found)

    def segments(self, recording: str | None = None) -> list[SegmentRow]:
        """Rows in time order, of one recording or of all."""
        if recording is None:
            rows = self.connection.execute(
                f"SELECT {_COLUMNS} FROM segments ORDER BY start_utc, id").fetchall()
        else:
            rows = self.connection.execute(
                f"SELECT {_COLUMNS} FROM segments WHERE recording = ? ORDER BY start_utc, id",
                (recording,)).fetchall()
        return [_row(values) for values in rows]

    def older_than(self, recording: str, end_before: float) -> list[SegmentRow]:
        """Finished segments of ``recording`` that ended before ``end_before``."""
        rows = self.connection.execute(
            f"SELECT {_COLUMNS} FROM segments WHERE recording = ? AND complete = 1 "
            "AND end_utc <= ? ORDER BY start_utc, id", (recording, end_before)).fetchall()
        return [_row(values) for values in rows]

    def span_continues(self, recording: str, span: str, after_start: float) -> bool:
        """Does ``span`` have a segment starting after ``after_start`` (finished or not)?"""
        found = self.connection.execute(
            "SELECT 1 FROM segments WHERE recording = ? AND start_utc > ? AND span = ? "
            "LIMIT 1", (recording, after_start, span)).fetchone()
        return found is not None

    def oldest(self, limit: int) -> list[SegmentRow]:
        """The oldest finished segments over all recordings."""
        rows = self.connection.execute(
            f"SELECT {_COLUMNS} FROM segments WHERE complete = 1 ORDER BY start_utc, id "
            "LIMIT ?", (limit,)).fetchall()
        return [_row(values) for values in rows]

    def total_size(self) -> int:
        value = self.connection.execute("SELECT COALESCE(SUM(size), 0) FROM segments")
        return int(value.fetchone()[0])

    def overlapping(self, recording: str, start: float, end: float,
                    codec: str = "") -> list[SegmentRow]:
        """Finished segments of ``recording`` overlapping [start, end], in time order;
        with ``codec``, only those with a track of that sample entry type."""
        rows = self.connection.execute(
            f"SELECT {_COLUMNS} FROM segments WHERE recording = ? AND complete = 1 "
            "AND start_utc <= ? AND end_utc >= ? AND (? = '' OR instr(codecs, ?) > 0) "
            "ORDER BY start_utc, id", (recording, end, start, codec, f'"{codec}"')).fetchall()
        return [_row(values) for values in rows]

    def span_extents(self, recording: str) -> list[tuple[str, tuple[str, ...], float, float, bool]]:
        """(span, tracks, first start, last end, all complete) for each span and track set
        of ``recording``, aggregated in SQL (a month of segments is not decoded row by
        row); what the Search service's recorded ranges come from."""
        rows = self.connection.execute(
            "SELECT span, tracks, MIN(start_utc), MAX(end_utc), MIN(complete) FROM segments "
            "WHERE recording = ? GROUP BY span, tracks", (recording,)).fetchall()
        return [(str(span), tuple(json.loads(str(tracks))), float(start), float(end),
                 bool(complete)) for span, tracks, start, end, complete in rows]

    def last_codecs(self, recording: str) -> dict[str, str]:
        """Sample entry type last recorded in each track of ``recording``."""
        codecs: dict[str, str] = {}
        for row in self.segments(recording):
            codecs.update(row.codecs)
        return codecs
