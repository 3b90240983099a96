"""The fragment reader gives back exactly what the segmenter wrote: every sample's bytes,
decode time, sync flag and UTC, for each codec."""

from __future__ import annotations

from onvif_recorder.mp4.fragment_reader import read_segment
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.segmenter import SegmenterConfig
from tests.unit.mp4.test_segmenter import av_streams, record


def test_reads_back_every_sample_of_every_track() -> None:
    tracks, samples = av_streams()
    spans = record(tracks, samples, SegmenterConfig(format=Brand.MP4, segment_duration=1.0,
                                                    fragment_duration=0.5))
    read = [s for segment in spans[0].segments for s in read_segment(bytes(segment.data)).samples]
    for track in tracks:
        written = [s for s in samples if s.track_id == track.track_id]
        got = [s for s in read if s.track_id == track.track_id]
        assert [s.data for s in got] == [s.data for s in written][:len(got)]
        assert len(got) >= len(written) - 1  # the last sample may wait for its duration
        assert [s.sync for s in got] == [s.sync for s in written][:len(got)]
    segment = read_segment(bytes(spans[0].segments[1].data))
    assert segment.info is not None
    assert {t.handler for t in segment.tracks.values()} == {"vide", "soun", "meta"}
    assert {t.entry.name for t in segment.tracks.values()} == {"avc1", "mp4a", "metx"}
    first = segment.samples[0]
    utc = segment.utc(first.track_id, first.decode_time)
    assert abs(utc - segment.info.start_utc) < 0.05
    origin = samples[0].utc
    source = next(s for s in samples if s.track_id == first.track_id and s.data == first.data)
    assert abs(segment.utc(first.track_id, first.presentation_time) - source.utc) < 0.002
    assert origin <= utc
