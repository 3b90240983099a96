"""Initialization segments, parts and clips for browsers (replay.hls_media), from segments
the segmenter wrote: only H.264/H.265 and AAC are kept, the samples are those recorded,
and decode times are continuous across segments of a span on the recording's UTC
timeline."""

from __future__ import annotations

import itertools

import pytest

from onvif_recorder.mp4.fragment_reader import StoredSegment, read_segment
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import find_all, read_boxes
from onvif_recorder.mp4.segmenter import SegmenterConfig
from onvif_recorder.replay.hls_media import NotPlayable, clip_bytes, init_bytes, part_bytes
from tests.unit.mp4 import media
from tests.unit.mp4.test_segmenter import av_streams, record

CONFIG = SegmenterConfig(format=Brand.MP4, segment_duration=0.5, fragment_duration=0.25)


@pytest.fixture(scope="module")
def segments() -> list[bytes]:
    tracks, samples = av_streams()
    spans = record(tracks, samples, CONFIG)
    assert len(spans) == 1 and len(spans[0].segments) >= 2
    return [bytes(segment.data) for segment in spans[0].segments]


def played(init: bytes, *parts: bytes) -> StoredSegment:
    return read_segment(init + b"".join(parts))


def test_init_keeps_video_and_aac_only(segments: list[bytes]) -> None:
    boxes = read_boxes(init_bytes(segments[0]))
    assert [b.name for b in boxes] == ["ftyp", "moov"]
    stsds = find_all(boxes, "moov/trak/mdia/minf/stbl/stsd")
    entries = [stsd.children[0].name for stsd in stsds]
    assert entries == ["avc1", "mp4a"]
    assert len(find_all(boxes, "moov/mvex/trex")) == 2


@pytest.mark.parametrize("index", [0, 1])
def test_part_holds_the_recorded_video_and_audio_samples(segments: list[bytes],
                                                         index: int) -> None:
    stored = read_segment(segments[index])
    got = played(init_bytes(segments[0]), part_bytes(segments[index], index + 1))
    assert {t.entry.name for t in got.tracks.values()} == {"avc1", "mp4a"}
    for track_id in got.tracks:
        mine = [s for s in stored.samples if s.track_id == track_id]
        theirs = [s for s in got.samples if s.track_id == track_id]
        assert [(s.data, s.sync, s.duration, s.composition_offset) for s in theirs] == \
            [(s.data, s.sync, s.duration, s.composition_offset) for s in mine]
        assert stored.info is not None
        shift = round(stored.info.span_start_utc * stored.tracks[track_id].timescale)
        assert [s.decode_time for s in theirs] == [s.decode_time + shift for s in mine]


def test_parts_of_a_span_are_continuous(segments: list[bytes]) -> None:
    parts = [part_bytes(data, n) for n, data in enumerate(segments, start=1)]
    got = played(init_bytes(segments[0]), *parts)
    video = [s for s in got.samples if got.tracks[s.track_id].handler == "vide"]
    assert all(b.decode_time == a.decode_time + a.duration
               for a, b in itertools.pairwise(video))


def segment_end(segment: StoredSegment) -> float:
    last = segment.samples[-1]
    return segment.utc(last.track_id, last.decode_time + last.duration)


@pytest.mark.parametrize(("offset", "length"), [(0.0, 10.0), (0.3, 0.6), (0.7, 0.2), (1.2, 0.5)])
def test_clip_starts_at_the_sync_sample_at_or_before_start(segments: list[bytes],
                                                           offset: float,
                                                           length: float) -> None:
    start = media.T0 + offset
    stored = [read_segment(data) for data in segments]
    # As the index gives them: from the segment that ends after start on.
    held = [data for data, segment in zip(segments, stored, strict=True)
            if segment_end(segment) > start]
    got = read_segment(clip_bytes(held, start, start + length))
    video_id = next(t.track_id for t in got.tracks.values() if t.handler == "vide")
    syncs = [s.utc(video_id, x.decode_time) for s in stored for x in s.samples
             if x.track_id == video_id and x.sync]
    video = [x for x in got.samples if x.track_id == video_id]
    assert video[0].sync
    first = video[0].decode_time / got.tracks[video_id].timescale
    assert first == pytest.approx(max(t for t in syncs if t <= start), abs=1e-6)
    last = video[-1].decode_time / got.tracks[video_id].timescale
    assert last < start + length


@pytest.mark.parametrize("build", [
    lambda data: init_bytes(data),
    lambda data: part_bytes(data, 1),
    lambda data: clip_bytes([data], media.T0, media.T0 + 1),
], ids=["init", "part", "clip"])
def test_a_segment_without_video_is_not_playable(build: object) -> None:
    audio, audio_samples = media.aac_track(1)
    spans = record([audio], audio_samples, CONFIG)
    with pytest.raises(NotPlayable):
        build(bytes(spans[0].segments[0].data))  # type: ignore[operator]


def test_an_empty_clip_is_not_playable(segments: list[bytes]) -> None:
    with pytest.raises(NotPlayable):
        clip_bytes([], media.T0, media.T0 + 1)
