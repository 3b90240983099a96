"""H.265 VPS/SPS basics and NAL types (ITU-T H.265 §7.3.1.2, §7.3.2, §7.3.3)."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.codecs import h265
from onvif_recorder.codecs.errors import BitstreamError

# x265 Main profile VPS as carried in sprop-vps by GStreamer's rtph265pay.
X265_VPS = base64.b64decode("QAEMAf//AWAAAAMAkAAAAwAAAwB4mZgJ")

# Vectors published in bluenviron/mediacommon pkg/codecs/h265/sps_test.go.
SPS_1080 = bytes.fromhex(
    "420101016000000300900000030000030078a003c08010e59666 6924cae010000003001000000301e080"
    .replace(" ", ""))
SPS_NVENC_1088_CROPPED = bytes.fromhex(
    "42010101400000030000030000030000030 07ba003c0801107cb96b4a42592e3016a020202080000030008"
    "00000301e3002ef2880007270c0000989682".replace(" ", ""))
SPS_444_12BIT = bytes.fromhex(
    "420101040800000300980800000300005d9000501005a2294b7494985ffe00020002d4040404100000030010"
    "00000301e080")


@pytest.mark.parametrize(("nal", "width", "height", "profile", "chroma", "depth"), [
    (SPS_1080, 1920, 1080, 1, 1, 8),
    (SPS_NVENC_1088_CROPPED, 1920, 1080, 1, 1, 8),
    (SPS_444_12BIT, 1280, 720, 4, 3, 12),
])
def test_sps_size_and_profile(nal: bytes, width: int, height: int, profile: int, chroma: int,
                              depth: int) -> None:
    info = h265.parse_sps(nal)
    assert (info.width, info.height) == (width, height)
    assert (info.profile.profile_idc, info.chroma_format_idc) == (profile, chroma)
    assert info.bit_depth_luma == depth


def test_vps_profile_and_codec_string() -> None:
    info = h265.parse_vps(X265_VPS)
    assert (info.vps_id, info.max_sub_layers) == (0, 1)
    assert info.profile.codec_string == "hvc1.1.6.L120.90"
    assert h265.parse_sps(SPS_1080).profile.codec_string == "hvc1.1.6.L120.90"


def test_nal_types_and_sync() -> None:
    idr, trail, cra = b"\x26\x01", b"\x02\x01", b"\x2a\x01"
    assert h265.nal_type(idr) == h265.NalType.IDR_W_RADL
    assert h265.nal_type(X265_VPS) == h265.NalType.VPS
    assert h265.is_sync_sample([X265_VPS, idr])
    assert h265.is_sync_sample([cra])
    assert not h265.is_sync_sample([trail])


@given(st.binary(max_size=80))
def test_parsers_raise_only_bitstream_error(data: bytes) -> None:
    for parse, header in ((h265.parse_sps, b"\x42\x01"), (h265.parse_vps, b"\x40\x01")):
        with contextlib.suppress(BitstreamError):
            parse(header + data)


@pytest.mark.parametrize(("nal", "reorder"), [
    (SPS_1080, 2), (SPS_NVENC_1088_CROPPED, 0), (SPS_444_12BIT, 0)])
def test_sps_reorder_depth(nal: bytes, reorder: int) -> None:
    """sps_max_num_reorder_pics of the highest sub-layer (§7.4.3.2.1)."""
    assert h265.parse_sps(nal).reorder_depth == reorder


def test_garbage_vps_and_pps_are_refused() -> None:
    with pytest.raises(BitstreamError, match="0xffff"):
        h265.parse_vps(b"\x40\x01" + bytes.fromhex("0c01aaaa0160000003"))
    with pytest.raises(BitstreamError, match="out of range"):
        h265.parse_pps_ids(b"\x44\x01\x03\x2e")  # pps_pic_parameter_set_id 100
    assert h265.parse_pps_ids(b"\x44\x01\xc1") == (0, 0)
