"""A segment's RFC 6381 MediaType read back from its header (storage.segment_codecs) is
the Content-Type its upload carries (storage.spans, from the codec table), for every
codec and span type the segmenter writes, clear and encrypted."""

from __future__ import annotations

from pathlib import Path

import pytest

from onvif_recorder.cenc.keys import ContentKey
from onvif_recorder.cenc.policy import EncryptionPolicy, EntryPolicy, StaticKey
from onvif_recorder.mp4.events import SegmentOpened
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig
from onvif_recorder.storage.segment_codecs import media_type, read_header
from onvif_recorder.storage.spans import content_type
from tests.unit.mp4 import media

KEY = ContentKey(bytes(range(16)), bytes(16))


def streams(name: str) -> tuple[list[TrackInfo], list[TrackSample]]:
    video, video_samples = media.h265_track(1) if name == "h265" else media.h264_track(1)
    if name == "h265":
        audio, audio_samples = media.g711_track(2, "PCMA")
    elif name == "ulaw":
        audio, audio_samples = media.g711_track(2, "PCMU")
    else:
        audio, audio_samples = media.aac_track(2, offset=0.01)
    meta, meta_samples = media.metadata_track(3)
    return [video, audio, meta], media.merge(video_samples, audio_samples, meta_samples)


def opened(tracks: list[TrackInfo], samples: list[TrackSample], brand: Brand,
           policy: EncryptionPolicy | None = None) -> list[SegmentOpened]:
    segmenter = Segmenter(tracks, SegmenterConfig(format=brand, segment_duration=1.0,
                                                  encryption=policy))
    events = [e for s in samples for e in segmenter.push(s)] + segmenter.close()
    return [e for e in events if isinstance(e, SegmentOpened)]


@pytest.mark.parametrize("name", ["h264", "h265", "ulaw"])
@pytest.mark.parametrize("brand", [Brand.MP4, Brand.CMAF])
def test_media_type_is_the_upload_content_type(name: str, brand: Brand, tmp_path: Path) -> None:
    tracks, samples = streams(name)
    segments = opened(tracks, samples, brand)
    assert {s.extension for s in segments} == (
        {"mp4"} if brand is Brand.MP4 else {"m4v", "m4a", "m4m"})
    for segment in segments:
        kinds = {"mp4": tracks, "m4v": tracks[:1], "m4a": tracks[1:2], "m4m": tracks[2:]}
        expected = content_type(segment.extension, kinds[segment.extension])
        assert media_type(segment.header, segment.extension) == expected
        path = tmp_path / "segment"
        path.write_bytes(segment.header + b"\0\0\0\x10moof" + bytes(8))  # media follows
        assert read_header(path) == segment.header


def test_an_encrypted_track_names_its_original_codec() -> None:
    tracks, samples = streams("h264")
    policy = EncryptionPolicy([EntryPolicy("CENC", StaticKey(KEY), None)])
    [first, *_] = opened(tracks, samples, Brand.MP4, policy)
    assert b"encv" in first.header and b"enca" in first.header
    assert media_type(first.header, "mp4") == content_type("mp4", tracks)
    assert 'codecs="avc1.' in content_type("mp4", tracks)


def test_a_header_without_moov_is_refused() -> None:
    with pytest.raises(ValueError, match="moov"):
        media_type(b"\0\0\0\x10ftypiso6\0\0\0\0", "mp4")
