"""ObjectSink indexes what it spools; a crash's open rows are settled at start-up, and
objects the spool gives up leave the index (real files, real SQLite, no store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from onvif_recorder.mp4.events import Event, FragmentWritten, SegmentClosed, SegmentOpened
from onvif_recorder.storage.object_sink import ObjectSink, reconcile_object_rows
from onvif_recorder.storage.segment_index import Location, SegmentIndex
from onvif_recorder.storage.spool_recovery import sweep
from onvif_recorder.storage.upload_queue import SpoolEntry, UploadSpool
from tests.unit.storage.test_upload_queue import LAYOUT, record, spool

TOKENS = {1: "VIDEO001", 2: "AUDIO001"}


def sink(target: UploadSpool, index: SegmentIndex) -> ObjectSink:
    return ObjectSink(target, "Recording_1", "Storage_1", LAYOUT, TOKENS, None, index)


def index_of(path: Path) -> SegmentIndex:
    return SegmentIndex(path / "recorder.sqlite3")


def test_every_spooled_segment_is_indexed_as_an_object(tmp_path: Path) -> None:
    events = record(spool(tmp_path / "scratch"))
    target, index = spool(tmp_path), index_of(tmp_path)
    sink(target, index).handle(events)
    closed = [e for e in events if isinstance(e, SegmentClosed)]
    rows = index.segments("Recording_1")
    assert [(r.start_utc, r.end_utc, r.size) for r in rows] == [
        (c.start_utc, c.end_utc, c.size) for c in closed]
    assert all(r.location is Location.OBJECT and r.storage == "Storage_1" and r.complete
               for r in rows)
    assert rows[0].codecs == {"VIDEO001": "avc1", "AUDIO001": "mp4a"}
    assert {r.key for r in rows} == {e.key for e in _journal(target) if e.path}
    assert index.older_than("Recording_1", float("inf")) == []  # never retention's


def test_a_crash_mid_segment_leaves_a_completed_row_after_the_sweep(tmp_path: Path) -> None:
    events = record(spool(tmp_path / "scratch"))
    cut = [i for i, e in enumerate(events)
           if isinstance(e, FragmentWritten) and e.counter == 1][1] + 1
    target, index = spool(tmp_path), index_of(tmp_path)
    sink(target, index).handle(events[:cut])  # then kill -9
    target.close()
    restarted = UploadSpool(target.root, tmp_path / "recorder.sqlite3")
    sweep(restarted)
    reconcile_object_rows(index, restarted)
    first, second = index.segments("Recording_1")
    entry = restarted.entry("Storage_1", second.key)
    assert first.complete and second.complete
    assert entry is not None and second.size == entry.size
    assert second.end_utc - second.start_utc == pytest.approx(0.4, abs=0.1)


def test_a_crash_before_any_fragment_forgets_the_row(tmp_path: Path) -> None:
    events = record(spool(tmp_path / "scratch"))
    cut = next(i for i, e in enumerate(events) if isinstance(e, SegmentOpened)
               and e.counter == 1) + 1
    target, index = spool(tmp_path), index_of(tmp_path)
    sink(target, index).handle(events[:cut])
    target.close()
    restarted = UploadSpool(target.root, tmp_path / "recorder.sqlite3")
    sweep(restarted)
    reconcile_object_rows(index, restarted)
    assert [r.complete for r in index.segments("Recording_1")] == [True]


def test_objects_the_spool_drops_leave_the_index(tmp_path: Path) -> None:
    target, index = spool(tmp_path), index_of(tmp_path)

    def forget(entries: list[SpoolEntry]) -> None:
        for entry in entries:
            index.delete([entry.key], entry.storage)

    target.drop_listeners.append(forget)
    sink(target, index).handle(_events(tmp_path))
    target.expire("Recording_1", before_utc=float("inf"))
    assert index.segments("Recording_1") == []


def _events(tmp_path: Path) -> list[Event]:
    return record(spool(tmp_path / "scratch"))


def _journal(target: UploadSpool) -> list[SpoolEntry]:
    return [e for e in (target.entry("Storage_1", str(k)) for (k,) in target.connection.execute(
        "SELECT key FROM uploads").fetchall()) if e is not None]
