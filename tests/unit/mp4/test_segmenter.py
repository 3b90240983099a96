"""Segmenter behaviour (RC Annex B.2-B.7) on the committed clips and synthetic streams."""

from __future__ import annotations

from dataclasses import replace

import pytest

from onvif_recorder.media.h264 import AvcCodec
from onvif_recorder.mp4.events import Event, SpanEndReason
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import find, find_all, read_boxes
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig
from tests.unit.mp4 import media
from tests.unit.mp4.collect import Span, collect


def record(tracks: list[TrackInfo], samples: list[TrackSample], config: SegmenterConfig,
           *, close: bool = True) -> list[Span]:
    segmenter = Segmenter(tracks, config)
    events: list[Event] = []
    for sample in samples:
        events += segmenter.push(sample)
    if close:
        events += segmenter.close()
    return collect(events)


def av_streams() -> tuple[list[TrackInfo], list[TrackSample]]:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2, offset=0.01)
    meta, meta_samples = media.metadata_track(3)
    return [video, audio, meta], media.merge(video_samples, audio_samples, meta_samples)


def top_level(data: bytes) -> list[str]:
    return [b.name for b in read_boxes(data)]


def test_mp4_span_holds_all_tracks_and_ends_with_mfra() -> None:
    tracks, samples = av_streams()
    spans = record(tracks, samples, SegmenterConfig(format=Brand.MP4, segment_duration=1.0))
    assert len(spans) == 1
    span = spans[0]
    assert span.opened.extension == "mp4" and span.opened.timescale == 720_000
    assert [s.opened.counter for s in span.segments] == [0, 1]
    assert span.closed is not None and span.closed.end_counter == 2
    assert span.closed.reason is SpanEndReason.CLOSED
    first, second = span.segments
    assert first.opened.start_utc == media.T0
    assert first.closed is not None and second.closed is not None
    assert first.closed.end_utc == second.opened.start_utc == media.T0 + 1.0
    names = top_level(bytes(first.data))
    assert names[:2] == ["ftyp", "moov"] and names[-1] == "mfra"
    assert set(names[2:-1]) == {"prft", "moof", "mdat"}
    tfras = find_all(read_boxes(bytes(first.data)), "mfra/tfra")
    assert len(tfras) == 3  # B.6: references for all tracks


def test_segment_cut_waits_for_sync_sample() -> None:
    """B.3: a segment starts with an I-frame, so it runs up to one GOP over."""
    tracks, samples = av_streams()
    spans = record(tracks, samples, SegmenterConfig(format=Brand.MP4, segment_duration=0.3))
    durations = [s.closed.duration for s in spans[0].segments if s.closed]
    assert durations == [720_000, 720_000]


def test_samples_before_first_sync_are_skipped() -> None:
    video, samples = media.h264_track(1)
    segmenter = Segmenter([video], SegmenterConfig(format=Brand.MP4, segment_duration=1.0))
    events = [e for s in samples[3:] for e in segmenter.push(s)] + segmenter.close()
    assert segmenter.counters.skipped_before_sync == 22
    spans = collect(events)
    assert spans[0].opened.start_utc == samples[25].utc
    assert sum(s.closed.stats[1].samples for s in spans[0].segments if s.closed) == 25


def test_cmaf_one_span_per_track_type() -> None:
    tracks, samples = av_streams()
    spans = record(tracks, samples, SegmenterConfig(format=Brand.CMAF, segment_duration=1.0))
    assert sorted(s.opened.extension for s in spans) == ["m4a", "m4m", "m4v"]
    for span in spans:
        assert len(span.opened.tracks) == 1
        for segment in span.segments:
            boxes = read_boxes(bytes(segment.data))
            ftyp = boxes[0]
            assert ftyp.payload[:4] == b"cmfc"
            assert all(len(m.find_all("traf")) == 1 for m in boxes if m.name == "moof")
            assert top_level(bytes(segment.data))[-1] == "mfra"
    audio = next(s for s in spans if s.opened.extension == "m4a")
    assert audio.opened.timescale == 48_000
    assert audio.opened.start_utc == pytest.approx(media.T0 + 0.01)


def test_cmaf_without_mfra() -> None:
    tracks, samples = av_streams()
    config = SegmenterConfig(format=Brand.CMAF, segment_duration=1.0, cmaf_mfra=False)
    for span in record(tracks, samples, config):
        assert "mfra" not in top_level(bytes(span.segments[0].data))


def test_new_sps_starts_a_new_span_contiguously() -> None:
    """B.2: the moov must change, so the span closes and a new one opens at the IDR."""
    video, samples = media.h264_track(1)
    segmenter = Segmenter([video], SegmenterConfig(format=Brand.MP4, segment_duration=10.0))
    events = [e for s in samples[:25] for e in segmenter.push(s)]
    assert isinstance(video.codec, AvcCodec)
    sps = bytearray(video.codec.sps[0])
    sps[3] = 0x1F  # level 3.1: a different SPS, same picture
    changed = replace(video, codec=AvcCodec.from_parameter_sets([bytes(sps)], video.codec.pps))
    events += segmenter.update_track(changed)
    events += [e for s in samples[25:] for e in segmenter.push(s)] + segmenter.close()
    first, second = collect(events)
    assert first.closed is not None and first.closed.reason is SpanEndReason.CONFIGURATION
    assert first.closed.end_utc == second.opened.start_utc == samples[25].utc
    avcc = find(read_boxes(bytes(second.segments[0].data)),
                "moov/trak/mdia/minf/stbl/stsd/avc1/avcC")
    assert avcc is not None and avcc.payload[3] == 0x1F


def test_timestamp_jump_starts_a_new_span() -> None:
    video, samples = media.h264_track(1)
    jumped = samples[:25] + [replace(s, dts=s.dts + 90_000 * 60, pts=s.pts + 90_000 * 60,
                                     utc=s.utc + 60) for s in samples[25:]]
    spans = record([video], jumped, SegmenterConfig(format=Brand.MP4, segment_duration=10.0))
    assert len(spans) == 2
    assert spans[0].closed is not None
    assert spans[0].closed.reason is SpanEndReason.DISCONTINUITY
    assert spans[1].opened.start_utc == samples[25].utc + 60
    assert [s.opened.counter for s in spans[1].segments] == [0]


def test_clock_drift_starts_a_new_span() -> None:
    video, samples = media.h264_track(1)
    drifted = samples[:25] + [replace(s, utc=s.utc + 5) for s in samples[25:]]
    spans = record([video], drifted, SegmenterConfig(format=Brand.MP4, segment_duration=10.0))
    assert [s.closed.reason for s in spans if s.closed] == [SpanEndReason.DISCONTINUITY,
                                                           SpanEndReason.CLOSED]


def test_span_duration_closes_and_reopens() -> None:
    tracks, samples = av_streams()
    config = SegmenterConfig(format=Brand.MP4, segment_duration=0.5, span_duration=1.0)
    spans = record(tracks, samples, config)
    assert len(spans) == 2
    assert spans[0].closed is not None and spans[0].closed.reason is SpanEndReason.SPAN_DURATION
    assert spans[0].closed.end_utc == spans[1].opened.start_utc


def test_cmaf_span_duration_cascades_to_other_types() -> None:
    tracks, samples = av_streams()
    config = SegmenterConfig(format=Brand.CMAF, segment_duration=0.5, span_duration=1.0)
    spans = record(tracks, samples, config)
    reasons = {(s.opened.extension, s.closed.reason) for s in spans if s.closed}
    assert ("m4v", SpanEndReason.SPAN_DURATION) in reasons
    assert {ext for ext, _ in reasons} == {"m4v", "m4a", "m4m"}


def test_late_audio_still_lands_in_its_segment() -> None:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2)
    late = [replace(s, utc=s.utc) for s in audio_samples]
    arrival = sorted([(s.utc, 0, s) for s in video_samples]
                     + [(s.utc + 0.3, 1, s) for s in late], key=lambda x: (x[0], x[1]))
    spans = record([video, audio], [s for _, _, s in arrival],
                   SegmenterConfig(format=Brand.MP4, segment_duration=1.0))
    first = spans[0].segments[0]
    assert first.closed is not None
    audio_end = first.closed.stats[2].duration
    assert 720_000 <= audio_end < 720_000 + 1024 * 15  # ends within one frame past the cut
    assert spans[0].segments[1].closed is not None


def test_override_segment_duration() -> None:
    tracks, samples = av_streams()
    segmenter = Segmenter(tracks, SegmenterConfig(format=Brand.MP4, segment_duration=60.0))
    events = [e for s in samples[:60] for e in segmenter.push(s)]
    segmenter.request_new_segment()
    segmenter.set_segment_duration(0.2)
    events += [e for s in samples[60:] for e in segmenter.push(s)] + segmenter.close()
    assert [s.opened.counter for s in collect(events)[0].segments] == [0, 1]


def test_close_then_reuse_opens_a_new_span() -> None:
    video, samples = media.h264_track(1)
    segmenter = Segmenter([video], SegmenterConfig(format=Brand.MP4, segment_duration=10.0))
    events = [e for s in samples[:25] for e in segmenter.push(s)] + segmenter.close()
    events += [e for s in samples[25:] for e in segmenter.push(s)] + segmenter.discontinuity()
    spans = collect(events)
    assert [s.closed.reason for s in spans if s.closed] == [SpanEndReason.CLOSED,
                                                           SpanEndReason.DISCONTINUITY]


def test_b_frames_write_composition_offsets() -> None:
    video, samples = media.h264_track(1)
    shifted = [replace(s, pts=s.pts + 7200) for s in samples]
    spans = record([video], shifted, SegmenterConfig(format=Brand.MP4, segment_duration=10.0))
    trun = find(read_boxes(bytes(spans[0].segments[0].data)), "moof/traf/trun")
    assert trun is not None and int.from_bytes(trun.payload[1:4], "big") & 0x800
    assert spans[0].opened.start_utc == pytest.approx(media.T0 - 0.08)


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        SegmenterConfig(format=Brand.MP4, segment_duration=0)
    with pytest.raises(ValueError):
        SegmenterConfig(format=Brand.MP4, segment_duration=1, span_duration=-1)
    video, _ = media.h264_track(1)
    with pytest.raises(ValueError, match="one video track"):
        Segmenter([video, replace(video, track_id=2)],
                  SegmenterConfig(format=Brand.CMAF, segment_duration=1.0))


def test_audio_that_stops_does_not_hold_cuts_forever() -> None:
    """A track lagging more than max_lag no longer delays fragments and segments."""
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2)
    samples = media.merge(video_samples, audio_samples[:5])  # audio dies after 0.1 s
    segmenter = Segmenter([video, audio], SegmenterConfig(format=Brand.MP4, segment_duration=1.0,
                                                          max_lag=0.5))
    events = [e for s in samples for e in segmenter.push(s)]
    assert [type(e).__name__ for e in events].count("SegmentClosed") == 1  # before close()
    spans = collect(events + segmenter.close())
    first = spans[0].segments[0].closed
    assert first is not None and first.stats[2].samples == 5


def test_sparse_metadata_clamped_and_clipped() -> None:
    video, video_samples = media.h264_track(1)
    meta, meta_samples = media.metadata_track(3, every=0.3)
    late = [replace(s, utc=s.utc + 0.05) for s in meta_samples]  # arrives after its time
    arrival = sorted([(s.utc, s) for s in video_samples]
                     + [(s.utc + 0.2, s) for s in late], key=lambda x: x[0])
    spans = record([video, meta], [s for _, s in arrival],
                   SegmenterConfig(format=Brand.MP4, segment_duration=1.0))
    total = sum(s.closed.stats[3].samples for s in spans[0].segments if s.closed)
    assert total == len(meta_samples)
    first = spans[0].segments[0].closed
    assert first is not None and first.stats[3].duration <= first.duration


def test_new_track_in_mp4_and_cmaf() -> None:
    video, video_samples = media.h264_track(1)
    audio, _ = media.aac_track(2)
    for fmt in (Brand.MP4, Brand.CMAF):
        segmenter = Segmenter([video], SegmenterConfig(format=fmt, segment_duration=10.0))
        events = [e for s in video_samples[:20] for e in segmenter.push(s)]
        events += segmenter.update_track(audio)
        events += [e for s in video_samples[20:] for e in segmenter.push(s)]
        spans = collect(events + segmenter.close())
        assert spans[0].closed is not None
        assert spans[0].closed.reason is SpanEndReason.CONFIGURATION
        if fmt is Brand.MP4:
            assert len(spans) == 2 and len(spans[1].opened.tracks) == 2


def test_unknown_track_is_counted() -> None:
    video, samples = media.h264_track(1)
    segmenter = Segmenter([video], SegmenterConfig(format=Brand.MP4, segment_duration=1.0))
    assert segmenter.push(replace(samples[0], track_id=9)) == []
    assert segmenter.counters.unknown_track == 1


def test_new_segment_duration_reaches_cmaf_tracks_added_later() -> None:
    """RC §5.24: an override applies to every track, also one whose span opens later."""
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2)
    segmenter = Segmenter([video], SegmenterConfig(format=Brand.CMAF, segment_duration=60.0))
    events = [e for s in video_samples[:5] for e in segmenter.push(s)]
    segmenter.set_segment_duration(0.5)
    events += segmenter.update_track(audio)
    events += [e for s in audio_samples for e in segmenter.push(s)] + segmenter.close()
    audio_span = next(s for s in collect(events) if s.opened.extension == "m4a")
    seconds = [s.closed.duration / audio_span.opened.timescale
               for s in audio_span.segments if s.closed]
    assert len(seconds) > 2 and all(d == pytest.approx(0.5, abs=0.03) for d in seconds[:-1])
