"""H.264 SPS parsing and NAL framing (ITU-T H.264 §7.3.2.1.1, Annex B; ISO/IEC 14496-15)."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.codecs import h264
from onvif_recorder.codecs.bits import BitWriter, escape_rbsp
from onvif_recorder.codecs.errors import BitstreamError

# The x264 SPS of a 640x360 25 fps High profile stream, as it appears in the
# sprop-parameter-sets of GStreamer/ffmpeg SDPs for that size.
X264_640X360 = base64.b64decode("Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=")

# (name, SPS NAL unit, profile, level, width, height, frame rate). Vectors from real
# encoders and cameras, published in bluenviron/mediacommon pkg/codecs/h264/sps_test.go.
CASES = [
    ("x264 640x360", X264_640X360, 100, 30, 640, 360, 25.0),
    ("352x288 high", bytes([0x67, 0x64, 0x00, 0x0C, 0xAC, 0x3B, 0x50, 0xB0, 0x4B, 0x42, 0x00,
                            0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x3D, 0x08]),
     100, 12, 352, 288, 15.0),
    ("1920x1080 baseline, crop", bytes.fromhex(
        "6742c028d900780227e58400000300040000030 0f03c60c920".replace(" ", "")),
     66, 40, 1920, 1080, 30.0),
    ("hikvision 1280x960", bytes([103, 100, 0, 32, 172, 23, 42, 1, 64, 30, 104, 64, 0, 1, 194,
                                  0, 0, 87, 228, 33]), 100, 32, 1280, 960, 25.0),
    ("1920x1080 interlaced (frame_mbs_only_flag = 0)", bytes.fromhex(
        "674d4028ab603c0223ef01100000030010000003032e94003564 06b285080ee2c522c0".replace(" ", "")),
     77, 40, 1920, 1080, 25.0),
    ("scaling matrix 2560x1440", bytes([
        103, 100, 0, 50, 173, 132, 1, 12, 32, 8, 97, 0, 67, 8, 2, 24, 64, 16, 194, 0, 132, 59,
        80, 20, 0, 90, 211, 112, 16, 16, 20, 0, 0, 3, 0, 4, 0, 0, 3, 0, 162, 16]),
     100, 50, 2560, 1440, 20.0),
]


@pytest.mark.parametrize(("name", "nal", "profile", "level", "width", "height", "fps"), CASES,
                         ids=[case[0] for case in CASES])
def test_sps_size_profile_and_frame_rate(name: str, nal: bytes, profile: int, level: int,
                                         width: int, height: int, fps: float) -> None:
    info = h264.parse_sps(nal)
    assert (info.profile_idc, info.level_idc) == (profile, level)
    assert (info.width, info.height) == (width, height)
    assert info.frame_rate == pytest.approx(fps)


def test_codec_string() -> None:
    assert h264.parse_sps(X264_640X360).codec_string == "avc1.64001E"


def build_sps(width: int, height: int, *, profile: int = 66, fps: int | None = None) -> bytes:
    """A baseline SPS written field by field (H.264 §7.3.2.1.1), cropped to ``width``x``height``."""
    writer = BitWriter()
    for value in (profile, 0xC0, 30):
        writer.write_bits(value, 8)
    writer.write_ue(0)  # seq_parameter_set_id
    writer.write_ue(0)  # log2_max_frame_num_minus4
    writer.write_ue(2)  # pic_order_cnt_type
    writer.write_ue(1)  # max_num_ref_frames
    writer.write_flag(False)
    mbs_w, mbs_h = (width + 15) // 16, (height + 15) // 16
    writer.write_ue(mbs_w - 1)
    writer.write_ue(mbs_h - 1)
    writer.write_flag(True)  # frame_mbs_only_flag
    writer.write_flag(True)  # direct_8x8_inference_flag
    crop_right, crop_bottom = (mbs_w * 16 - width) // 2, (mbs_h * 16 - height) // 2
    writer.write_flag(bool(crop_right or crop_bottom))
    if crop_right or crop_bottom:
        for value in (0, crop_right, 0, crop_bottom):
            writer.write_ue(value)
    writer.write_flag(fps is not None)
    if fps is not None:
        for _ in range(4):
            writer.write_flag(False)  # aspect, overscan, video signal, chroma loc
        writer.write_flag(True)
        writer.write_bits(1, 32)
        writer.write_bits(2 * fps, 32)
        writer.write_flag(True)
    return b"\x67" + escape_rbsp(writer.to_bytes(rbsp_trailing=True))


@given(st.integers(1, 400).map(lambda w: w * 2), st.integers(1, 300).map(lambda h: h * 2),
       st.one_of(st.none(), st.integers(1, 120)))
def test_constructed_sps_round_trip(width: int, height: int, fps: int | None) -> None:
    info = h264.parse_sps(build_sps(width, height, fps=fps))
    assert (info.width, info.height, info.frame_rate) == (width, height, fps)


def test_truncated_sps_raises_bitstream_error() -> None:
    with pytest.raises(BitstreamError):
        h264.parse_sps(X264_640X360[:8])


def test_non_sps_is_refused() -> None:
    with pytest.raises(BitstreamError, match="not an SPS"):
        h264.parse_sps(b"\x68\xee\x3c\x80")


@given(st.binary(max_size=64))
def test_parse_sps_raises_only_bitstream_error(data: bytes) -> None:
    with contextlib.suppress(BitstreamError):
        h264.parse_sps(b"\x67" + data)


def test_annexb_split_handles_3_and_4_byte_start_codes() -> None:
    stream = b"\x00\x00\x00\x01\x67\x42\x00\x00\x01\x68\xce\x00\x00\x00\x01\x65\x88\x84"
    assert h264.split_annexb(stream) == [b"\x67\x42", b"\x68\xce", b"\x65\x88\x84"]


def test_annexb_without_start_code_is_refused() -> None:
    with pytest.raises(BitstreamError, match="no Annex B start code"):
        h264.split_annexb(b"\x65\x88")


# Real NAL units end in rbsp_stop_one_bit, so never in a zero byte.
nal_units = st.lists(st.binary(max_size=40).map(lambda b: b"\x65" + b + b"\x80"), min_size=1,
                     max_size=8)


@given(nal_units)
def test_length_prefixed_round_trip(units: list[bytes]) -> None:
    assert h264.from_length_prefixed(h264.to_length_prefixed(units)) == units


@given(nal_units)
def test_annexb_round_trip(units: list[bytes]) -> None:
    escaped = [escape_rbsp(unit) for unit in units]
    assert h264.split_annexb(h264.join_annexb(escaped)) == escaped


@given(st.binary(max_size=64))
def test_from_length_prefixed_raises_only_bitstream_error(data: bytes) -> None:
    with contextlib.suppress(BitstreamError):
        h264.from_length_prefixed(data)


def test_sync_sample_is_an_access_unit_with_an_idr_slice() -> None:
    assert h264.is_sync_sample([b"\x09\x10", b"\x67\x42", b"\x65\x88"])
    assert not h264.is_sync_sample([b"\x09\x10", b"\x41\x9a"])


def fields(*values: int | tuple[int, int]) -> bytes:
    """RBSP of ue(v) values and (value, bits) fixed-width fields, with the stop bit."""
    writer = BitWriter()
    for value in values:
        if isinstance(value, tuple):
            writer.write_bits(*value)
        else:
            writer.write_ue(value)
    return writer.to_bytes(rbsp_trailing=True)


# (name, SPS, pic_order_cnt_type, VUI max_num_reorder_frames, reorder depth used for DTS)
REORDER_CASES = [
    ("x264 default: b-pyramid, restriction says 2", X264_640X360, 0, 2, 2),
    ("POC type 2: output order is decode order", CASES[1][1], 2, None, 0),
    ("Baseline with restriction 0", CASES[2][1], 2, 0, 0),
    ("hikvision main/high without restriction: unknown", CASES[3][1], 0, None, None),
    ("interlaced, restriction says 1", CASES[4][1], 0, 1, 1),
]


@pytest.mark.parametrize(("name", "nal", "poc_type", "reorder", "depth"), REORDER_CASES,
                         ids=[case[0] for case in REORDER_CASES])
def test_reorder_facts(name: str, nal: bytes, poc_type: int, reorder: int | None,
                       depth: int | None) -> None:
    info = h264.parse_sps(nal)
    assert (info.pic_order_cnt_type, info.max_num_reorder_frames) == (poc_type, reorder)
    assert info.reorder_depth == depth


@pytest.mark.parametrize(("name", "nal", "message"), [
    ("random bytes", b"\x67" + bytes.fromhex("d1c9a2b7e3f40912a8"), "profile_idc 209"),
    ("a good SPS followed by junk", X264_640X360 + b"\x5a\xa5", "after the end"),
    ("absurd picture size", build_sps(16 * 4000, 16 * 4000), "too large"),
    ("log2_max_frame_num_minus4 of 20", b"\x67" + fields((66, 8), (0xC0, 8), (30, 8), 0, 20),
     "log2_max_frame_num_minus4"),
])
def test_garbage_sps_is_refused(name: str, nal: bytes, message: str) -> None:
    with pytest.raises(BitstreamError, match=message):
        h264.parse_sps(nal)


def test_pps_ids() -> None:
    assert h264.parse_pps_ids(base64.b64decode("aOvjyyLA")) == (0, 0)
    with pytest.raises(BitstreamError, match="seq_parameter_set_id"):
        h264.parse_pps_ids(b"\x68" + fields(0, 32))

