"""The segment index's queries (Search, Replay, Export, the engine) on a real database,
and the schema 3 → 4 migration."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from onvif_recorder.persistence.database import connect
from onvif_recorder.persistence.schema import MIGRATIONS, SCHEMA_VERSION
from onvif_recorder.storage.segment_index import Location, RecordedRange, SegmentIndex, SegmentRow

REC = "Recording_1"
AV = {"VIDEO001": "avc1", "AUDIO001": "mp4a"}


def row(key: str, start: float, end: float, span: str = "s1", tracks: dict[str, str] | None = None,
        recording: str = REC, complete: bool = True, location: Location = Location.LOCAL,
        storage: str = "") -> SegmentRow:
    codecs = AV if tracks is None else tracks
    return SegmentRow(recording, key, span, "mp4", start, end, 100, tuple(codecs), codecs,
                      complete, location, storage)


@pytest.fixture
def index(tmp_path: Path) -> SegmentIndex:
    found = SegmentIndex(tmp_path / "recorder.sqlite3")
    rows = [
        row("a", 100, 110), row("b", 110, 120), row("c", 120, 130, tracks={"VIDEO001": "avc1"}),
        row("d", 200, 210, span="s2"), row("e", 210, 215, span="s2", complete=False),
        row("x", 105, 115, recording="Recording_2"),
    ]
    for item in rows:
        found.put(item)
    return found


def keys(rows: list[SegmentRow]) -> list[str]:
    return [r.key for r in rows]


def test_overlapping_is_half_open_and_in_time_order(index: SegmentIndex) -> None:
    assert keys(index.overlapping(REC, 110, 120)) == ["b"]  # a ends at 110, c starts at 120
    assert keys(index.overlapping(REC, 109.9, 120.1)) == ["a", "b", "c"]
    assert keys(index.overlapping(REC, 0, 1000)) == ["a", "b", "c", "d", "e"]
    assert keys(index.overlapping(REC, 130, 200)) == []
    assert keys(index.overlapping(REC, 212, 213)) == ["e"]  # being written: counts from its start


@pytest.mark.parametrize(("at", "expected"), [
    (105, "a"), (110, "b"),  # a segment starting at the instant holds it
    (130, "c"), (150, "c"), (180, "d"),  # in the gap: the nearer one
    (50, "a"), (214, "d"),  # e is still being written: never
])
def test_finished_near_holds_the_instant_else_is_the_nearest(
        index: SegmentIndex, at: float, expected: str) -> None:
    found = index.finished_near(REC, at)
    assert found is not None and found.key == expected
    assert index.finished_near("Recording_9", at) is None


def test_overlapping_one_track(index: SegmentIndex) -> None:
    assert keys(index.overlapping(REC, 0, 1000, track="AUDIO001")) == ["a", "b", "d", "e"]
    assert keys(index.overlapping(REC, 0, 1000, track="META001")) == []


def test_spans_are_the_recorded_ranges(index: SegmentIndex) -> None:
    assert index.spans(REC) == [RecordedRange("s1", 100, 130, 3),
                                RecordedRange("s2", 200, 215, 2)]
    assert index.spans(REC, track="AUDIO001") == [RecordedRange("s1", 100, 120, 2),
                                                  RecordedRange("s2", 200, 215, 2)]
    assert index.spans("Recording_2") == [RecordedRange("s1", 105, 115, 1)]
    assert index.spans("nothing") == []


def test_object_rows_count_for_codecs_but_not_for_retention(index: SegmentIndex) -> None:
    index.put(row("a", 300, 310, span="o1", tracks={"VIDEO001": "hvc1"},
                  location=Location.OBJECT, storage="S3_1"))
    assert index.get("a") is not None and index.get("a", "S3_1") is not None  # same key, two places
    assert index.last_codecs(REC) == {"VIDEO001": "hvc1", "AUDIO001": "mp4a"}
    assert keys(index.older_than(REC, 1000)) == ["a", "b", "c", "d"]
    assert [r.location for r in index.oldest(10)] == [Location.LOCAL] * 5
    assert keys(index.segments(REC, Location.OBJECT)) == ["a"]
    index.complete("a", 311, 42, "S3_1")
    found = index.get("a", "S3_1")
    assert found is not None and (found.end_utc, found.size) == (311, 42)
    assert index.get("a") == row("a", 100, 110)


def test_with_track_retrack_and_delete_recording(index: SegmentIndex) -> None:
    assert keys(index.with_track(REC, "AUDIO001")) == ["a", "b", "d", "e"]
    first = index.with_track(REC, "AUDIO001")[0]
    index.retrack(first, {"VIDEO001": "avc1"}, 60)
    changed = index.get("a")
    assert changed is not None and (changed.tracks, changed.size) == (("VIDEO001",), 60)
    assert changed.codecs == {"VIDEO001": "avc1"}
    assert keys(index.with_track(REC, "AUDIO001")) == ["b", "d", "e"]
    assert index.delete_recording(REC) == 5
    assert index.recorded_tracks() == {"Recording_2": {"VIDEO001", "AUDIO001"}}


def test_schema_3_rows_become_local_rows(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite3"
    old = sqlite3.connect(database)
    for step in range(3):
        old.executescript(MIGRATIONS[step])
    old.execute("PRAGMA user_version=3")
    old.execute("INSERT INTO segments (recording, key, span, extension, start_utc, end_utc, size,"
                " tracks, codecs, complete) VALUES (?, ?, ?, 'mp4', 1, 2, 3, ?, ?, 1)",
                (REC, "Recording_1/k.0.mp4", "Recording_1/k.0.mp4", json.dumps(["VIDEO001"]),
                 json.dumps({"VIDEO001": "avc1"})))
    old.commit()
    old.close()
    index = SegmentIndex(database)
    assert index.segments() == [SegmentRow(REC, "Recording_1/k.0.mp4", "Recording_1/k.0.mp4",
                                           "mp4", 1, 2, 3, ("VIDEO001",), {"VIDEO001": "avc1"},
                                           True, Location.LOCAL, "")]
    version = index.connection.execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION == 7


def test_every_connection_is_wal_and_full(tmp_path: Path) -> None:
    connection = connect(tmp_path / "db.sqlite3")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
