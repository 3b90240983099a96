"""The upload spool and ObjectSink on real files and a real SQLite journal (no store)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from onvif_recorder.mp4.events import Event, FragmentWritten, SegmentClosed, SegmentOpened
from onvif_recorder.mp4.fragment_reader import read_segment
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.storage.object_key import KeyLayout, parse_key
from onvif_recorder.storage.object_sink import ObjectSink
from onvif_recorder.storage.spool_recovery import sweep
from onvif_recorder.storage.upload_queue import UploadSpool, target_status
from tests.unit.mp4 import media

LAYOUT = KeyLayout("site-2", "camera-5")


def spool(tmp_path: Path, max_bytes: int = 1 << 30) -> UploadSpool:
    tmp_path.mkdir(parents=True, exist_ok=True)
    database = tmp_path / "recorder.sqlite3"
    SqliteStore(database).close()  # creates the schema (version 3: uploads)
    return UploadSpool(tmp_path / "spool", database, max_bytes, clock=lambda: 1000.0)


def record(target: UploadSpool, fmt: Brand = Brand.MP4, recording: str = "Recording_1",
           layout: KeyLayout = LAYOUT, event_topic: str | None = None) -> list[Event]:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2)
    segmenter = Segmenter([video, audio], SegmenterConfig(
        format=fmt, segment_duration=1.0, fragment_duration=0.2,
        event_topic=event_topic or ""))
    sink = ObjectSink(target, recording, "Storage_1", layout, {1: "VIDEO001"}, "urn:x",
                      event_topic=event_topic)
    events: list[Event] = []
    for sample in media.merge(video_samples, audio_samples):
        events += segmenter.push(sample)
    events += segmenter.close()
    sink.handle(events)
    return events


def test_an_event_recording_carries_its_event_topic(tmp_path: Path) -> None:
    """RC B.9 ``EventTopic``: on every segment object (journalled at open, so a crash
    keeps it) and in the segment's recovery box; not on the span end."""
    target = spool(tmp_path)
    record(target, event_topic="tns1:VideoSource/MotionAlarm")
    rows = []
    while heads := target.heads("Storage_1", 10):
        rows.append(heads[0])
        if heads[0].path:
            info = read_segment(target.read_body(heads[0])).info
            assert info is not None and info.event_topic == "tns1:VideoSource/MotionAlarm"
        target.confirmed(heads[0])
    assert len(rows) > 2
    assert all(r.metadata["EventTopic"] == "tns1:VideoSource/MotionAlarm" for r in rows[:-1])
    assert "EventTopic" not in rows[-1].metadata


def test_segments_and_span_end_are_journalled_in_key_order(tmp_path: Path) -> None:
    target = spool(tmp_path)
    events = record(target)
    closed = [e for e in events if isinstance(e, SegmentClosed)]
    rows = []
    while heads := target.heads("Storage_1", 10):
        assert len(heads) == 1  # MP4: one span
        rows.append(heads[0])
        assert hashlib.md5(target.read_body(heads[0])).hexdigest() == heads[0].md5
        target.confirmed(heads[0])
    keys = [parse_key(row.key, LAYOUT) for row in rows]
    assert [k.counter for k in keys] == list(range(len(closed) + 1))
    assert keys[-1].span_end and rows[-1].size == 0 and not rows[-1].path
    assert all(row.content_type.startswith('video/mp4; codecs="avc1.') for row in rows[:-1])
    assert rows[0].metadata["Source"] == "urn:x" and "SeekTable" in rows[0].metadata
    assert "EventTopic" not in rows[0].metadata  # no event started this recording
    assert [r.size for r in rows[:-1]] == [c.size for c in closed]
    assert not [p for p in target.root.rglob("*") if p.is_file()]
    (status,) = target_status(target.connection)
    assert (status.pending_objects, status.uploaded_objects) == (0, len(rows))
    assert status.uploaded_bytes == sum(c.size for c in closed)


def test_cmaf_spans_drain_side_by_side(tmp_path: Path) -> None:
    target = spool(tmp_path)
    record(target, Brand.CMAF)
    heads = target.heads("Storage_1", 10)
    assert sorted(parse_key(h.key, LAYOUT).extension for h in heads) == ["m4a", "m4v"]
    assert {h.content_type.split(";")[0] for h in heads} == {"audio/mp4", "video/mp4"}


def test_failures_are_recorded_and_the_budget_drops_the_oldest(tmp_path: Path) -> None:
    target = spool(tmp_path, max_bytes=60_000)
    record(target)
    heads = target.heads("Storage_1", 1)
    target.failed("Storage_1", heads, "store down")
    (status,) = target_status(target.connection)
    assert status.last_error == "store down" and status.last_error_utc == 1000.0
    assert status.dropped_objects > 0 and status.pending_bytes <= 60_000
    assert status.pending_objects > 0
    ends = target.connection.execute("SELECT COUNT(*) FROM uploads WHERE size = 0")
    assert ends.fetchone()[0] == 1  # the span end is never dropped


def test_sweep_removes_partials_and_orphans(tmp_path: Path) -> None:
    target = spool(tmp_path)
    record(target)
    first = target.heads("Storage_1", 1)[0]
    (target.root / first.path).unlink()
    torn = target.open_file("Recording_1", "site-2/2026-01-01/camera-5/00/00-00.000Z.0.mp4")
    target.append(torn, b"\0" * 100)
    orphan = target.root / "Recording_1" / "orphan.mp4"
    orphan.write_bytes(b"x")
    sweep(target)
    assert not orphan.exists()
    assert not list(target.root.rglob("*.partial"))
    assert target.heads("Storage_1", 1)[0].id != first.id
    (status,) = target_status(target.connection)
    assert status.dropped_objects == 1


def test_retention_expires_pending_objects(tmp_path: Path) -> None:
    target = spool(tmp_path)
    record(target)
    target.expire("Recording_1", before_utc=float("inf"))
    rows = target.connection.execute("SELECT size FROM uploads").fetchall()
    assert rows == [(0,)]


def test_a_segment_cut_by_a_crash_is_repaired_and_its_span_ended(tmp_path: Path) -> None:
    events = record(spool(tmp_path / "scratch"))
    cut = [i for i, e in enumerate(events)
           if isinstance(e, FragmentWritten) and e.counter == 1][1] + 1
    target = spool(tmp_path)
    sink = ObjectSink(target, "Recording_1", "Storage_1", LAYOUT, {}, "urn:x")
    sink.handle(events[:cut])  # segment 0 done, segment 1 two fragments in: then kill -9
    torn = target.root / (target.building()[0].path + ".partial")
    torn.write_bytes(torn.read_bytes() + b"\0\0\1\0moof")  # a fragment torn mid-write
    target.close()
    restarted = UploadSpool(target.root, tmp_path / "recorder.sqlite3")
    sweep(restarted)
    rows = []  # the repaired file itself: test_segment_file.py, shared with local storage
    while heads := restarted.heads("Storage_1", 1):
        rows.append(heads[0])
        restarted.confirmed(heads[0])
    keys = [parse_key(row.key, LAYOUT) for row in rows]
    assert [(k.counter, k.span_end) for k in keys] == [(0, False), (1, False), (2, True)]
    repaired = rows[1].metadata
    assert repaired["Source"] == "urn:x" and repaired["Version"] == "1.0"
    assert 0.3 <= float(repaired["Duration"][2:-1]) <= 0.5  # two 0.2 s fragments
    assert rows[1].content_type.startswith("video/mp4; codecs=")
    assert not list(restarted.root.rglob("*.partial"))


def test_a_segment_with_no_fragment_at_the_crash_ends_its_span_at_its_start(
        tmp_path: Path) -> None:
    events = record(spool(tmp_path / "scratch"))
    cut = next(i for i, e in enumerate(events) if isinstance(e, SegmentOpened)
               and e.counter == 1) + 1
    target = spool(tmp_path)
    ObjectSink(target, "Recording_1", "Storage_1", LAYOUT, {}, None).handle(events[:cut])
    start = target.building()[0].start_utc
    target.close()
    restarted = UploadSpool(target.root, tmp_path / "recorder.sqlite3")
    sweep(restarted)
    rows = restarted.connection.execute("SELECT key, start_utc FROM uploads ORDER BY id")
    keys = [(parse_key(k, LAYOUT).counter, parse_key(k, LAYOUT).span_end, t) for k, t in rows]
    assert keys == [(0, False, keys[0][2]), (1, True, start)]
    assert not list(restarted.root.rglob("*.partial"))
