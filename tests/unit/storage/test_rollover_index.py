"""A segment cut never shows in the segment index as the end of the span: the next
segment's row is there before the finished one's is completed, so Search (which reads
ranges from the index, ``storage.search_data``) never finds a stop while a span goes
on. Real segmenter, real files, real SQLite; every index write is watched."""

from __future__ import annotations

from pathlib import Path

from onvif_recorder.mp4.events import Event
from onvif_recorder.service.search.recorded import RecordedRange
from onvif_recorder.storage.object_sink import ObjectSink
from onvif_recorder.storage.search_data import SegmentIndexRecordedData
from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow
from onvif_recorder.storage.sink import LocalSink
from tests.unit.storage.test_local import RECORDING, TOKENS, open_storage, segmenter, streams
from tests.unit.storage.test_upload_queue import LAYOUT, spool


class WatchedIndex(SegmentIndex):
    """Records what Search would read after every write that completes a segment."""

    def __init__(self, database: Path) -> None:
        super().__init__(database)
        self.seen: list[list[RecordedRange]] = []

    def complete(self, key: str, end_utc: float, size: int, storage: str = "") -> None:
        super().complete(key, end_utc, size, storage)
        data = SegmentIndexRecordedData(self, lambda row: Path(row.key))
        self.seen.append(data.ranges(RECORDING)["VIDEO001"])


def batches() -> tuple[list[list[Event]], list[Event]]:
    """What the segmenter hands the sink while recording (one batch per sample), and
    what it hands over when the recording stops."""
    tracks, samples = streams()
    seg = segmenter(tracks)
    return [seg.push(sample) for sample in samples], seg.close()


def check(index: WatchedIndex, handle: object) -> None:
    assert callable(handle)
    recording, stop = batches()
    for batch in recording:
        handle(batch)
    cuts = len(index.seen)
    assert cuts >= 1  # the clip is cut into segments while recording
    assert all(len(ranges) == 1 and ranges[0].open for ranges in index.seen)
    handle(stop)
    assert len(index.seen) == cuts + 1
    [last] = index.seen[-1]
    assert not last.open and last.end > index.seen[0][0].start


def test_local_segments_keep_the_span_open_across_every_cut(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "data")
    index = WatchedIndex(tmp_path / "data" / "recorder.sqlite3")
    storage.index = index
    sink = LocalSink(storage, RECORDING, TOKENS)
    check(index, sink.handle)
    rows: list[SegmentRow] = index.segments(RECORDING)
    assert all(r.complete for r in rows) and len(rows) == len(index.seen)


def test_object_segments_keep_the_span_open_across_every_cut(tmp_path: Path) -> None:
    target = spool(tmp_path)
    index = WatchedIndex(tmp_path / "recorder.sqlite3")
    sink = ObjectSink(target, RECORDING, "Storage_1", LAYOUT, TOKENS, None, index)
    check(index, sink.handle)
    ready = [e for e in target.entries() if e.path]
    assert len(ready) == len(index.seen) == len(index.segments(RECORDING))
