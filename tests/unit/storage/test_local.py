"""Local storage: Annex B keys on disk, per-fragment flushing, crash repair, index reconcile.

Real files in a temporary directory, real SQLite, and PyAV/ffprobe as the oracle.
"""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.storage.local import LocalStorage, layout_for
from onvif_recorder.storage.object_key import parse_key, span_end_key
from onvif_recorder.storage.segment_file import PARTIAL
from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow
from onvif_recorder.storage.sink import LocalSink
from tests.unit.mp4 import media

RECORDING = "Recording_1"
TOKENS = {1: "VIDEO001", 2: "AUDIO001"}


def open_storage(data_dir: Path) -> LocalStorage:
    data_dir.mkdir(parents=True, exist_ok=True)
    SqliteStore(data_dir / "recorder.sqlite3").close()  # runs the migrations
    return LocalStorage(data_dir / "media", SegmentIndex(data_dir / "recorder.sqlite3"))


def streams() -> tuple[list[TrackInfo], list[TrackSample]]:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2)
    return [video, audio], media.merge(video_samples, audio_samples)


def segmenter(tracks: list[TrackInfo]) -> Segmenter:
    config = SegmenterConfig(format=Brand.MP4, segment_duration=1.0, fragment_duration=0.2,
                             recording=RECORDING, track_tokens=TOKENS)
    return Segmenter(tracks, config)


def record(storage: LocalStorage, close: bool = True) -> list[SegmentRow]:
    """Record the clips; returns the rows of the finished segments."""
    tracks, samples = streams()
    seg = segmenter(tracks)
    sink = LocalSink(storage, RECORDING, TOKENS)
    finished = []
    for sample in samples:
        finished += sink.handle(seg.push(sample))
    if close:
        finished += sink.handle(seg.close())
    return finished


def frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(container.streams.video[0]))


def test_segments_are_stored_under_annex_b_keys_and_indexed(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "data")
    finished = record(storage)
    rows = storage.index.segments(RECORDING)
    assert [r.key for r in rows] == [r.key for r in finished] and len(rows) == 2
    first, second = rows
    assert first.key == "Recording_1/2022-11-08/15/08-23.547Z.0.mp4"
    assert parse_key(second.key).counter == 1 and second.span == first.key
    assert first.end_utc == pytest.approx(second.start_utc)
    assert first.codecs == {"VIDEO001": "avc1", "AUDIO001": "mp4a"}
    assert all(r.complete and r.size == storage.path_of(r.key).stat().st_size for r in rows)
    assert sum(frames(storage.path_of(r.key)) for r in rows) == 50
    (end,) = storage.root.rglob("*_end")  # B.5: last counter + 1, end of the last sample
    assert end.name.startswith("08-25.") and end.name.endswith("Z.2.mp4_end")
    assert not list(storage.root.rglob("*" + PARTIAL))


def test_every_fragment_reaches_the_file_before_the_next_sample(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "data")
    tracks, samples = streams()
    seg, sink = segmenter(tracks), LocalSink(storage, RECORDING, TOKENS)
    for sample in samples[:20]:
        for event in seg.push(sample):
            sink.handle([event])
            segment = next(iter(sink._spans.values())).segment
            if segment is not None:
                assert segment.path.stat().st_size == segment.size


def test_a_torn_segment_is_repaired_indexed_and_its_span_ended_at_start_up(
        tmp_path: Path) -> None:
    """The file-level repair is the shared writer's (test_segment_file.py); here what
    local storage records about it: report, index row in its span, the B.5 span end."""
    storage = open_storage(tmp_path / "data")
    finished = record(storage, close=False)  # crash: the second segment is still open
    partial = next(storage.root.rglob("*" + PARTIAL))
    data = partial.read_bytes()
    partial.write_bytes(data[: int(len(data) * 0.6)])
    storage.index.close()
    storage = open_storage(tmp_path / "data")
    report = storage.recover()
    key = partial.relative_to(storage.root).as_posix().removesuffix(PARTIAL)
    assert report.repaired == [key] and report.indexed == [key] and report.lost_bytes > 0
    row = storage.index.get(key)
    assert row is not None and row.complete and row.span == finished[0].key
    assert row.start_utc == pytest.approx(finished[0].end_utc)
    assert row.start_utc < row.end_utc < row.start_utc + 1.0
    assert row.codecs == {"VIDEO001": "avc1", "AUDIO001": "mp4a"}
    (end,) = storage.root.rglob("*.mp4_end")  # B.5: counter 2, where the kept data ends
    assert end == storage.path_of(span_end_key(layout_for(RECORDING), row.end_utc, 2, "mp4"))


def test_a_partial_without_a_complete_fragment_is_dropped_and_ends_its_span(
        tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "data")
    finished = record(storage, close=False)
    partial = next(storage.root.rglob("*" + PARTIAL))
    data = partial.read_bytes()
    partial.write_bytes(data[:2000])  # header and a torn first fragment
    report = storage.recover()
    assert len(report.dropped) == 1 and not partial.exists()
    (end,) = storage.root.rglob("*_end")  # B.5: the span ended with segment 0
    assert end.name.endswith("Z.1.mp4_end") and end.name.startswith("08-24.547Z")
    assert [r.key for r in storage.index.segments()] == [finished[0].key]


def test_a_partial_without_header_is_dropped(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "data")
    record(storage, close=False)
    partial = next(storage.root.rglob("*" + PARTIAL))
    partial.write_bytes(partial.read_bytes()[:20])
    report = storage.recover()
    assert len(report.dropped) == 1 and not partial.exists()
    assert all(r.complete for r in storage.index.segments())


def test_reconcile_forgets_missing_files_and_indexes_unknown_ones(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "data")
    record(storage)
    first, second = storage.index.segments(RECORDING)
    storage.path_of(first.key).unlink()
    storage.index.delete([second.key])
    report = storage.recover()
    assert report.forgotten == [first.key] and report.indexed == [second.key]
    (row,) = storage.index.segments(RECORDING)
    assert row.key == second.key and row.codecs == second.codecs
    assert row.start_utc == pytest.approx(second.start_utc)
    assert row.end_utc == pytest.approx(second.end_utc, abs=0.05)


def test_delete_removes_files_rows_and_empty_directories(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "data")
    record(storage)
    rows = storage.index.segments(RECORDING)
    freed = storage.delete(rows)
    assert freed == sum(r.size for r in rows)
    assert storage.index.segments() == []
    assert not [p for p in storage.root.rglob("*") if p.is_file() and "_end" not in p.name]
