"""Crash repair: a segment torn anywhere keeps every complete fragment and gets an mfra."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import read_boxes
from onvif_recorder.mp4.repair import repair_segment
from onvif_recorder.mp4.segmenter import SegmenterConfig
from tests.unit.mp4 import media
from tests.unit.mp4.collect import Segment
from tests.unit.mp4.test_segmenter import record


def _segment() -> Segment:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2)
    spans = record([video, audio], media.merge(video_samples, audio_samples),
                   SegmenterConfig(format=Brand.MP4, segment_duration=10.0, fragment_duration=0.2))
    return spans[0].segments[0]


SEGMENT = _segment()


def test_intact_segment_repairs_to_itself() -> None:
    data = bytes(SEGMENT.data)
    repaired = repair_segment(data)
    assert repaired.data == data  # the rebuilt mfra equals the one the segmenter wrote
    assert repaired.dropped_bytes == read_boxes(data)[-1].size


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**9))
def test_torn_segment_keeps_complete_fragments(seed: int) -> None:
    data = bytes(SEGMENT.data)
    header = read_boxes(data)[1]
    cut = header.offset + header.size + seed % (len(data) - header.offset - header.size)
    repaired = repair_segment(data[:cut])
    names = [b.name for b in read_boxes(repaired.data)]
    assert names[:2] == ["ftyp", "moov"] and names[-1] == "mfra"
    assert names.count("moof") == names.count("mdat") == repaired.fragments
    kept = len(repaired.data) - read_boxes(repaired.data)[-1].size
    assert repaired.data[:kept] == data[:kept]


def test_repaired_segment_decodes(tmp_path: Path) -> None:
    import av  # PyAV, from the test extras

    data = bytes(SEGMENT.data)
    repaired = repair_segment(data[: len(data) * 2 // 3])
    path = tmp_path / "repaired.mp4"
    path.write_bytes(repaired.data)
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    moofs = [b for b in read_boxes(repaired.data) if b.name == "moof"]
    assert 0 < len(frames) < 50 and len(moofs) == repaired.fragments


def test_header_must_survive() -> None:
    with pytest.raises(ValueError):
        repair_segment(bytes(SEGMENT.data)[:100])
