"""Access units → 14496-15 sample data, and codec descriptions from parameter sets."""

from __future__ import annotations

import pytest

from onvif_recorder.codecs import h264
from onvif_recorder.media.aac import AacCodec
from onvif_recorder.media.g711 import G711Codec
from onvif_recorder.media.h264 import AvcCodec, avc_parameter_sets, avc_sample
from onvif_recorder.media.h265 import HevcCodec, hevc_parameter_sets, hevc_sample
from onvif_recorder.mp4.model import TrackInfo
from tests.unit.mp4 import media


def test_avc_sample_drops_parameter_sets_and_delimiters() -> None:
    unit = [b"\x09\xf0", b"\x67\x42\x00\x1e", b"\x68\xce", b"\x06\x05", b"\x65\x88\x84"]
    data = avc_sample(unit)
    assert h264.from_length_prefixed(data) == [b"\x06\x05", b"\x65\x88\x84"]
    assert avc_parameter_sets(unit) == ([b"\x67\x42\x00\x1e"], [b"\x68\xce"])


def test_hevc_sample_drops_parameter_sets() -> None:
    units = media.h265_access_units()[0]
    kept = h264.from_length_prefixed(hevc_sample(units))
    assert [(n[0] >> 1) & 0x3F for n in kept] == [39, 20]
    vps, sps, pps = hevc_parameter_sets(units)
    assert (len(vps), len(sps), len(pps)) == (1, 1, 1)


def test_codec_descriptions_validate() -> None:
    with pytest.raises(ValueError):
        AvcCodec.from_parameter_sets([], [b"\x68"])
    with pytest.raises(ValueError):
        HevcCodec.from_parameter_sets([], [], [])
    with pytest.raises(ValueError):
        G711Codec("G722")
    with pytest.raises(ValueError):
        TrackInfo(0, G711Codec("PCMU"), 8000)
    with pytest.raises(ValueError):
        TrackInfo(1, G711Codec("PCMU"), 0)
    assert AacCodec.from_config(bytes.fromhex("1190")).info.sampling_frequency == 48000
    assert TrackInfo(1, G711Codec("PCMA"), 8000).size == (0, 0)
