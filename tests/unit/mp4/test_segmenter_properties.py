"""Property tests of the segmenter (RC Annex B.3): random streams, structural invariants."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from onvif_recorder.mp4.events import Event
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.model import TrackSample
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig
from tests.unit.mp4 import media
from tests.unit.mp4.collect import Span, collect, trafs

VIDEO, AUDIO = 1, 2


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[TrackSample], int]:
    """Video with random frame durations, GOPs and maybe a jump; lagging audio; arrival order."""
    frames = draw(st.lists(st.tuples(st.integers(900, 9000), st.booleans()),
                           min_size=1, max_size=120))
    lag = draw(st.floats(0.0, 0.6))
    audio_count = draw(st.integers(0, 200))
    jump_at = draw(st.one_of(st.none(), st.integers(1, 119)))  # camera restart: new span
    samples, ticks = [], 0
    for index, (duration, sync) in enumerate(frames):
        if index == jump_at:
            ticks += 90_000 * 60
        key = sync or index % draw(st.integers(5, 60)) == 0
        utc = media.T0 + ticks / 90_000
        samples.append((utc, TrackSample(track_id=VIDEO, dts=ticks, pts=ticks, sync=key,
                                         data=b"v" * (index % 7 + 1), utc=utc)))
        ticks += duration
    for index in range(audio_count):
        at = index * 1024
        utc = media.T0 - 0.2 + at / 48_000
        samples.append((utc + lag, TrackSample(track_id=AUDIO, dts=at, pts=at, sync=True,
                                               data=b"a", utc=utc, duration=1024)))
    ordered = [s for _, s in sorted(samples, key=lambda x: (x[0], x[1].track_id))]
    return ordered, len(frames)


def run(samples: list[TrackSample], fmt: Brand, segment: float) -> tuple[list[Span], Segmenter]:
    video, _ = media.h264_track(VIDEO)
    audio, _ = media.aac_track(AUDIO)
    segmenter = Segmenter([video, audio], SegmenterConfig(format=fmt, segment_duration=segment,
                                                          fragment_duration=0.5))
    events: list[Event] = []
    for sample in samples:
        events += segmenter.push(sample)
    events += segmenter.close()
    return collect(events), segmenter


@settings(max_examples=60, deadline=None)
@given(streams(), st.floats(0.05, 3.0), st.sampled_from([Brand.MP4, Brand.CMAF]))
def test_segments_tile_the_span(stream: tuple[list[TrackSample], int], segment: float,
                                fmt: Brand) -> None:
    samples, _ = stream
    spans, segmenter = run(samples, fmt, segment)
    written = 0
    for span in spans:
        assert span.closed is not None
        assert [s.opened.counter for s in span.segments] == list(range(len(span.segments)))
        assert span.closed.end_counter == len(span.segments)
        ends: dict[int, int] = {}
        for index, seg in enumerate(span.segments):
            assert seg.closed is not None
            if index:
                previous = span.segments[index - 1].closed
                assert previous is not None and previous.end_utc == seg.opened.start_utc
            for traf in trafs(bytes(seg.data)):
                if traf.track_id == VIDEO and traf.track_id not in ends:
                    assert traf.syncs[0], "a segment's video starts with a sync sample"
                if traf.track_id in ends:  # no gap or overlap inside a track
                    assert traf.decode_time == ends[traf.track_id]
                ends[traf.track_id] = traf.decode_time + sum(traf.durations)
                written += len(traf.durations)
        primary = VIDEO if span.opened.extension in ("mp4", "m4v") else AUDIO
        total = sum(s.closed.duration for s in span.segments if s.closed)
        assert ends[primary] == total, "segment durations sum to the span"
        assert trafs(bytes(span.segments[0].data))[0].decode_time >= 0
        assert total == sum(s.closed.stats[primary].duration for s in span.segments
                            if s.closed)
        assert span.closed.end_utc >= span.opened.start_utc + total / span.opened.timescale - 1e-6
    counters = segmenter.counters
    assert written + counters.skipped_before_sync + counters.late_dropped == len(samples)
