"""Junk stays out of recordings (issue 18 item 7): forbidden fragment headers and
parameter sets that do not parse, as crafted RTP packets.

Each row is a stream that starts well (parameter sets and an IDR picture), then carries
one piece of junk, then one good picture. The junk must not come out as a picture, the
parameter sets in force must stay, and the depacketizer counts what it refused.
"""

from __future__ import annotations

import base64

import pytest

from onvif_recorder.rtp.depacketize.base import H264Config, H265Config
from onvif_recorder.rtp.depacketize.h264 import H264Depacketizer
from onvif_recorder.rtp.depacketize.h265 import H265Depacketizer
from onvif_recorder.rtp.depacketize.nal import NalDepacketizer
from onvif_recorder.rtp.stream import RtpStream
from tests.unit.codecs.test_h265 import SPS_1080, X265_VPS
from tests.unit.rtp.packetizers import Stream

SPS = base64.b64decode("Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=")  # x264 640x360
PPS = base64.b64decode("aOvjyyLA")
IDR = b"\x65\x88\x84" + bytes(range(200))
P_SLICE = b"\x41\x9a\x02" + bytes(range(100))
HEVC_PPS = bytes.fromhex("4401c172b46240")
HEVC_IDR = b"\x26\x01" + bytes(range(200))
HEVC_TRAIL = b"\x02\x01" + bytes(range(90))

# (name, codec, junk payload, invalid_fragments, refused_parameter_sets)
CASES = [
    ("FU-A with S and E (RFC 6184 §5.8): an 'IDR' in one fragment", "h264",
     bytes([0x7C, 0xC5]) + IDR[1:], 1, 0),
    ("FU-A with S and E carrying a non-IDR slice", "h264",
     bytes([0x5C, 0xC1]) + P_SLICE[1:], 1, 0),
    ("FU-A carrying a STAP-A (type 24)", "h264", bytes([0x7C, 0x98]) + IDR[1:], 1, 0),
    ("FU-A carrying NAL unit type 0", "h264", bytes([0x7C, 0x80]) + IDR[1:], 1, 0),
    ("SPS of random bytes", "h264", b"\x67" + bytes.fromhex("d1c9a2b7e3f40912a8"), 0, 1),
    ("SPS that runs past its trailing bits", "h264", SPS + b"\x5a\xa5", 0, 1),
    ("truncated SPS", "h264", SPS[:8], 0, 1),
    ("PPS with chroma_qp_index_offset 40", "h264", bytes.fromhex("68ce302808"), 0, 1),
    ("PPS cut short", "h264", b"\x68\xce\x00\x00\x02\x01\x80", 0, 1),
    ("H.265 FU with S and E (RFC 7798 §4.4.3)", "h265",
     bytes([49 << 1, 1, 0xC0 | 19]) + HEVC_IDR[2:], 1, 0),
    ("H.265 FU carrying an AP (type 48)", "h265",
     bytes([49 << 1, 1, 0x80 | 48]) + HEVC_IDR[2:], 1, 0),
    ("H.265 SPS of random bytes", "h265", b"\x42\x01" + bytes(range(7, 40, 3)), 0, 1),
    ("H.265 VPS without its reserved 0xFFFF", "h265",
     b"\x40\x01" + bytes.fromhex("0c01aaaa0160000003"), 0, 1),
]


def start(codec: str) -> tuple[NalDepacketizer, RtpStream, Stream, bytes, object]:
    """A stream that has delivered its parameter sets and an IDR: the depacketizer, the
    stream, its packet source, the next picture to send and the config in force."""
    s = Stream()
    if codec == "h264":
        depack: NalDepacketizer = H264Depacketizer()
        first, picture = [SPS, PPS, IDR], P_SLICE
    else:
        depack = H265Depacketizer()
        first, picture = [X265_VPS, SPS_1080, HEVC_PPS, HEVC_IDR], HEVC_TRAIL
    stream = RtpStream(depack, 90000)
    samples = []
    for i, nal in enumerate(first):
        samples += stream.receive_rtp(bytes(s.packet(nal, 0, i == len(first) - 1)), 0.0, 0.0)
    assert len(samples) == 1 and samples[0].sync
    return depack, stream, s, picture, samples[0].config


@pytest.mark.parametrize(("name", "codec", "junk", "fragments", "parameter_sets"), CASES,
                         ids=[c[0] for c in CASES])
def test_junk_is_dropped_and_counted(name: str, codec: str, junk: bytes, fragments: int,
                                     parameter_sets: int) -> None:
    depack, stream, s, picture, config = start(codec)
    samples = stream.receive_rtp(bytes(s.packet(junk, 3600, False)), 0.1, 0.1)
    samples += stream.receive_rtp(bytes(s.packet(picture, 3600, True)), 0.1, 0.1)
    assert [sample.units for sample in samples] == [
        (picture,) if fragments else (junk, picture)]
    assert (depack.invalid_fragments, depack.refused_parameter_sets) == (fragments,
                                                                         parameter_sets)
    assert stream.stats.dropped == fragments
    assert samples[0].config == config and not samples[0].config_changed
    assert isinstance(config, H264Config | H265Config) and config.info is not None


def test_a_good_new_parameter_set_still_replaces_the_old_one() -> None:
    depack, stream, s, _, _ = start("h264")
    other = base64.b64decode("Z0LAKNkAeAIn5YQAAAMABAAAAwDwPGDJIA==")  # 1920x1080 baseline
    samples = stream.receive_rtp(bytes(s.packet(other, 3600)), 0.1, 0.1)
    samples += stream.receive_rtp(bytes(s.packet(IDR, 3600, True)), 0.1, 0.1)
    assert samples[0].config_changed and depack.refused_parameter_sets == 0
    assert isinstance(samples[0].config, H264Config) and samples[0].config.sps == other
