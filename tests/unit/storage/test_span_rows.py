"""The ``spans`` rows (schema 7) stay equal to aggregating the segment rows, whatever
writes the index sees: segments opened and finished, retracked (DeleteTrack), deleted
from the front (retention) or the back, whole recordings deleted; and the migration
fills them from rows written before it."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from onvif_recorder.persistence.schema import MIGRATIONS
from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow

AGGREGATE = ("SELECT recording, span, tracks, min(start_utc), max(end_utc), count(*),"
             " sum(1 - complete) FROM segments GROUP BY recording, span, tracks ORDER BY 1, 2, 3")
SPANS = ("SELECT recording, span, tracks, start_utc, end_utc, segments, open FROM spans"
         " ORDER BY 1, 2, 3")
TRACKS = ({"VIDEO001": "avc1", "AUDIO001": "mp4a"}, {"VIDEO001": "avc1"},
          {"VIDEO001": "avc1", "META001": "metx"})


def segment(recording: str, span: int, n: int, complete: bool, codecs: dict[str, str]
            ) -> SegmentRow:
    start = span * 1000.0 + n * 10.0
    return SegmentRow(recording, f"{recording}/{span}/{n}.mp4", f"{recording}/{span}", "mp4",
                      start, start + (10.0 if complete else 0.0), 1, tuple(codecs), codecs,
                      complete)


def test_span_rows_follow_every_write(tmp_path: Path) -> None:
    index, draw = SegmentIndex(tmp_path / "db.sqlite3"), random.Random(7)
    written: list[SegmentRow] = []
    for _ in range(600):
        choice = draw.random()
        if choice < 0.55 or not written:
            recording, span = draw.choice("AB"), draw.randrange(4)
            written.append(segment(recording, span, draw.randrange(30), draw.random() < 0.8,
                                   draw.choice(TRACKS)))
            index.put(written[-1])
        elif choice < 0.7:
            row = draw.choice(written)
            index.complete(row.key, row.start_utc + 10.0, 2)
        elif choice < 0.8:
            row = draw.choice(written)
            index.retrack(row, draw.choice(TRACKS), 3)
        elif choice < 0.97:
            row = min(written, key=lambda r: r.start_utc) if draw.random() < 0.5 \
                else draw.choice(written)
            written.remove(row)
            index.delete([row.key])
        else:
            recording = draw.choice("AB")
            index.delete_recording(recording)
            written = [r for r in written if r.recording != recording]
        assert index.connection.execute(SPANS).fetchall() == \
            index.connection.execute(AGGREGATE).fetchall()


def test_the_migration_fills_span_rows_from_existing_segments(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    old = sqlite3.connect(database)
    for script in MIGRATIONS[:6]:
        old.executescript(script)
    old.execute("PRAGMA user_version=6")
    old.executemany(
        "INSERT INTO segments (recording, key, span, extension, start_utc, end_utc, size,"
        " tracks, codecs, complete) VALUES (?, ?, 's', 'mp4', ?, ?, 1, '[\"VIDEO001\"]',"
        " '{\"VIDEO001\": \"avc1\"}', ?)", [("R", "k1", 10.0, 20.0, 1), ("R", "k2", 20.0, 20.0, 0)])
    old.commit()
    old.close()
    index = SegmentIndex(database)
    assert index.span_extents("R") == [("s", ("VIDEO001",), 10.0, 20.0, False)]
    index.complete("k2", 30.0, 5)
    assert index.span_extents("R") == [("s", ("VIDEO001",), 10.0, 30.0, True)]
