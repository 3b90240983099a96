"""Initialization segments per codec (14496-12 §8.2-§8.8.3; 14496-14/-15): goldens, structure."""

from __future__ import annotations

import pytest

from onvif_recorder.media.g711 import G711Codec
from onvif_recorder.media.metadata import MetadataCodec
from onvif_recorder.mp4.init_segment import Brand, init_segment, mac_time
from onvif_recorder.mp4.inspect import dump_bytes, find, find_all, read_boxes
from onvif_recorder.mp4.model import TrackInfo
from onvif_recorder.mp4.user_data import SegmentInfo
from tests.unit.mp4 import media
from tests.unit.mp4.golden import assert_golden

TRACKS = {
    "avc1": lambda: media.h264_track(1)[0],
    "hvc1": lambda: media.h265_track(1)[0],
    "mp4a": lambda: media.aac_track(1)[0],
    "ulaw": lambda: TrackInfo(1, G711Codec("PCMU"), 8000),
    "alaw": lambda: TrackInfo(1, G711Codec("PCMA", 16000, 2), 16000),
    "metx": lambda: TrackInfo(1, MetadataCodec(), 90000),
}

INFO = SegmentInfo(span=0, segment=0, extension="mp4", timescale=720_000, start_utc=media.T0,
                   span_start_utc=media.T0)


@pytest.mark.parametrize("name", sorted(TRACKS))
def test_init_segment_golden(name: str) -> None:
    track = TRACKS[name]()
    data = init_segment([track], track.clock_rate, Brand.CMAF, creation_utc=media.T0)
    assert_golden(f"init_{name}", dump_bytes(data))
    entry = find(read_boxes(data), "moov/trak/mdia/minf/stbl/stsd")
    assert entry is not None and entry.children[0].name == name


def test_multi_track_init_shares_one_timescale() -> None:
    """RC B.9.1: every mdhd timescale equals the mvhd timescale."""
    tracks = [media.h264_track(1)[0], media.aac_track(2)[0], TrackInfo(3, MetadataCodec(), 90000)]
    data = init_segment(tracks, 720_000, Brand.MP4, creation_utc=media.T0,
                        user_data=INFO.encode())
    boxes = read_boxes(data)
    mvhd = find(boxes, "moov/mvhd")
    assert mvhd is not None and int.from_bytes(mvhd.payload[12:16], "big") == 720_000
    mdhds = find_all(boxes, "moov/trak/mdia/mdhd")
    assert [int.from_bytes(m.payload[12:16], "big") for m in mdhds] == [720_000] * 3
    assert [b.name for b in boxes] == ["ftyp", "moov"]
    for table in ("stts", "stsc", "stco"):  # B.6: the moov references no samples
        assert all(b.payload[4:8] == bytes(4)
                   for b in find_all(boxes, f"moov/trak/mdia/minf/stbl/{table}"))
    assert len(find_all(boxes, "moov/mvex/trex")) == 3
    assert_golden("init_mp4_three_tracks", dump_bytes(data))
    udta = find(boxes, "moov/udta/uuid")
    assert udta is not None and SegmentInfo.decode(udta.payload) == INFO


def test_ftyp_brands() -> None:
    track = TRACKS["ulaw"]()
    assert init_segment([track], 8000, Brand.CMAF)[8:12] == b"cmfc"
    assert init_segment([track], 8000, Brand.MP4)[8:12] == b"iso6"


def test_mac_time_epoch() -> None:
    assert mac_time(0.0) == 2_082_844_800


def test_codec_strings() -> None:
    assert TRACKS["avc1"]().codec.codec_string == "avc1.64000C"
    assert TRACKS["hvc1"]().codec.codec_string.startswith("hvc1.1.6.L")
    assert TRACKS["mp4a"]().codec.codec_string == "mp4a.40.2"
    assert TRACKS["ulaw"]().codec.codec_string == "ulaw"
    assert TRACKS["alaw"]().codec.codec_string == "alaw"
    assert TRACKS["metx"]().codec.codec_string == "metx"


def test_empty_track_list_rejected() -> None:
    with pytest.raises(ValueError, match="at least one track"):
        init_segment([], 90000, Brand.MP4)
