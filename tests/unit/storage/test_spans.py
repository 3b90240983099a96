"""Content types (RFC 6381 codecs=) and RC B.9 object attributes of real segments."""

from __future__ import annotations

import base64
import re

import pytest

from onvif_recorder.codecs import h264, h265
from onvif_recorder.media.g711 import G711Codec
from onvif_recorder.media.h264 import AvcCodec
from onvif_recorder.media.h265 import HevcCodec
from onvif_recorder.mp4.events import Event, SegmentClosed, SpanClosed
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import dump_bytes, read_boxes
from onvif_recorder.mp4.model import TrackInfo
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig
from onvif_recorder.storage.object_key import KeyLayout, parse_key
from onvif_recorder.storage.spans import (
    codecs_parameter,
    content_type,
    full_content_type,
    iso8601_duration,
    seek_table,
    segment_attributes,
    segment_object,
    span_end_object,
)
from tests.unit.mp4 import media
from tests.unit.mp4.collect import collect

BASELINE = TrackInfo(1, AvcCodec((b"\x67",), (b"\x68",), h264.SpsInfo(66, 0xC0, 30, 640, 480)),
                     90000)
MAIN_HEVC = TrackInfo(1, HevcCodec((b"",), (b"",), (b"",), h265.SpsInfo(
    0, 0, h265.ProfileTierLevel(0, 0, 1, 0x60000000, 0xB0 << 40, 93), 1, 1280, 720, 8, 8)),
    90000)


def test_rfc6381_codec_strings() -> None:
    aac = media.aac_track(2)[0]
    assert codecs_parameter([BASELINE, aac]) == "avc1.42C01E,mp4a.40.2"
    assert codecs_parameter([MAIN_HEVC]) == "hvc1.1.6.L93.B0"
    assert content_type("mp4", [BASELINE, aac]) == 'video/mp4; codecs="avc1.42C01E,mp4a.40.2"'
    assert content_type("m4a", [aac]) == 'audio/mp4; codecs="mp4a.40.2"'
    assert content_type("m4v", [MAIN_HEVC]) == 'video/mp4; codecs="hvc1.1.6.L93.B0"'
    meta = media.metadata_track(3)[0]
    assert content_type("m4m", [meta]) == 'application/mp4; codecs="metx"'
    pcmu = TrackInfo(2, G711Codec("PCMU"), 8000)
    assert full_content_type([BASELINE, pcmu, meta]) == (
        'video/mp4; codecs="avc1.42C01E,ulaw,metx"')


@pytest.mark.parametrize(("seconds", "text"), [(5.0, "PT5S"), (60.04, "PT60.04S"),
                                               (0.000001, "PT0.000001S"), (3600, "PT3600S")])
def test_iso8601_duration(seconds: float, text: str) -> None:
    assert iso8601_duration(seconds) == text


def _segments(fmt: Brand) -> tuple[list[TrackInfo], list[Event]]:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2)
    tracks = [video, audio]
    segmenter = Segmenter(tracks, SegmenterConfig(format=fmt, segment_duration=1.0,
                                                  fragment_duration=0.2))
    events: list[Event] = []
    for sample in media.merge(video_samples, audio_samples):
        events += segmenter.push(sample)
    return tracks, events + segmenter.close()


def test_segment_attributes_of_a_real_mp4_segment() -> None:
    tracks, events = _segments(Brand.MP4)
    closed = next(e for e in events if isinstance(e, SegmentClosed))
    attributes = segment_attributes(closed, tracks, source="urn:uuid:camera-5")
    assert attributes["Version"] == "1.0"
    assert attributes["Duration"] == "PT1S"
    assert attributes["FullContentType"] == 'video/mp4; codecs="avc1.64000C,mp4a.40.2"'
    assert (attributes["VideoWidth"], attributes["VideoHeight"]) == ("320", "180")
    assert attributes["VideoFramerate"] == "25.000"
    assert attributes["AudioSampleRate"] == "48"
    assert attributes["Timescale"] == str(closed.timescale) == "720000"
    assert attributes["Source"] == "urn:uuid:camera-5"
    assert int(attributes["VideoBitrate"]) > int(attributes["AudioBitrate"]) > 0
    assert sum(len(k) + len(v) for k, v in attributes.items()) < 2048  # S3 user metadata cap


def test_seek_table_offsets_land_on_moof_boxes() -> None:
    _, events = _segments(Brand.MP4)
    spans = collect(events)
    segment = spans[0].segments[0]
    assert segment.closed is not None
    table = base64.b64decode(seek_table(segment.closed))
    mfra = read_boxes(table)[0]
    assert mfra.name == "mfra" and mfra.size == len(table)
    assert not mfra.find_all("mfro")
    moofs = {b.offset for b in read_boxes(bytes(segment.data)) if b.name == "moof"}
    tfras = mfra.find_all("tfra")
    assert len(tfras) == 2
    offsets = [int(x) for x in re.findall(r"moof_offset=(\d+)", dump_bytes(table))]
    assert len(offsets) >= 2 and set(offsets) <= moofs  # at least each track's first
    assert len(offsets) <= 20


def test_segment_and_span_end_objects() -> None:
    layout = KeyLayout("site-2", "camera-5")
    tracks, events = _segments(Brand.CMAF)
    closed = [e for e in events if isinstance(e, SegmentClosed)]
    intents = [segment_object(layout, c, tracks) for c in closed]
    video = [i for i in intents if i.key.endswith(".m4v")]
    assert video[0].key == "site-2/2022-11-08/camera-5/15/08-23.547Z.0.m4v"
    assert video[1].key == "site-2/2022-11-08/camera-5/15/08-24.547Z.1.m4v"
    assert video[0].content_type == 'video/mp4; codecs="avc1.64000C"'
    ends = [span_end_object(layout, e) for e in events if isinstance(e, SpanClosed)]
    end = next(i for i in ends if i.key.endswith("m4v_end"))
    assert end.key == "site-2/2022-11-08/camera-5/15/08-25.547Z.2.m4v_end"
    assert parse_key(end.key, layout).span_end
