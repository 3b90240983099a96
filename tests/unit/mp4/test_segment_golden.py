"""Golden box-tree dumps of whole media segments, one per codec and one multiplexed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import dump
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import SegmenterConfig
from tests.unit.mp4 import media
from tests.unit.mp4.golden import assert_golden
from tests.unit.mp4.test_segmenter import record

Maker = Callable[[], tuple[TrackInfo, list[TrackSample]]]
SINGLE: dict[str, Maker] = {
    "avc1": lambda: media.h264_track(1),
    "hvc1": lambda: media.h265_track(1),
    "mp4a": lambda: media.aac_track(1),
    "ulaw": lambda: media.g711_track(1),
    "metx": lambda: media.metadata_track(1, every=0.25),
}


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_cmaf_segment_golden(name: str) -> None:
    track, samples = SINGLE[name]()
    spans = record([track], samples, SegmenterConfig(format=Brand.CMAF, segment_duration=0.5))
    assert_golden(f"segment_cmaf_{name}", dump(bytes(spans[0].segments[0].data)))


def test_mp4_multiplexed_segment_golden() -> None:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2, offset=0.01)
    meta, meta_samples = media.metadata_track(3)
    spans = record([video, audio, meta], media.merge(video_samples, audio_samples, meta_samples),
                   SegmenterConfig(format=Brand.MP4, segment_duration=1.0, fragment_duration=0.5))
    assert_golden("segment_mp4_avc1_mp4a_metx", dump(bytes(spans[0].segments[1].data)))
