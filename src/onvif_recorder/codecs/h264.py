"""H.264 bitstream facts: NAL unit types, SPS, Annex B and length-prefixed framing.

References: ITU-T H.264 (= ISO/IEC 14496-10) §7.3.1 (NAL unit header), §7.3.2.1.1 (SPS),
Annex E.1.1 (VUI), Annex B (byte stream); ISO/IEC 14496-15 §5.3 (length-prefixed NAL units).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from onvif_recorder.codecs.bits import BitReader, unescape_rbsp
from onvif_recorder.codecs.errors import BitstreamError, TruncatedBitstream

# Profiles whose SPS carries chroma_format_idc and friends (H.264 §7.3.2.1.1).
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
_EXTENDED_SAR = 255
MAX_NAL_UNITS = 4096
_MAX_LOG2 = 12  # log2_max_frame_num_minus4 and log2_max_pic_order_cnt_lsb_minus4 (§7.4.2.1.1)
_MAX_REF_FRAMES = 16  # MaxDpbFrames never exceeds 16 (Annex A.3.1 h)
_MAX_MBS = 139264  # MaxFS of level 6.2 (Table A-1): larger pictures are garbage
_PROFILES = frozenset({66, 77, 88, *_HIGH_PROFILES})


class NalType(IntEnum):
    """``nal_unit_type`` values (H.264 Table 7-1) plus RFC 6184 packetization types."""

    SLICE = 1
    SLICE_DPA = 2
    SLICE_DPB = 3
    SLICE_DPC = 4
    IDR = 5
    SEI = 6
    SPS = 7
    PPS = 8
    AUD = 9
    END_OF_SEQUENCE = 10
    END_OF_STREAM = 11
    FILLER = 12
    STAP_A = 24
    STAP_B = 25
    MTAP16 = 26
    MTAP24 = 27
    FU_A = 28
    FU_B = 29


def nal_type(nal: bytes) -> int:
    """The 5-bit ``nal_unit_type`` of a NAL unit (H.264 §7.3.1)."""
    if not nal:
        raise BitstreamError("empty NAL unit")
    return nal[0] & 0x1F


def is_vcl(nal: bytes) -> bool:
    """A coded slice (types 1-5, H.264 Table 7-1): what subsample encryption protects."""
    return bool(nal) and 1 <= nal[0] & 0x1F <= 5


def is_sync_sample(nal_units: Sequence[bytes]) -> bool:
    """True if the access unit holds an IDR slice, i.e. decoding can start here."""
    return any(nal and nal[0] & 0x1F == NalType.IDR for nal in nal_units)


@dataclass(frozen=True, slots=True)
class SpsInfo:
    """The parts of a sequence parameter set a recorder needs (H.264 §7.4.2.1.1)."""

    profile_idc: int
    constraint_flags: int
    level_idc: int
    width: int
    height: int
    chroma_format_idc: int = 1
    frame_rate: float | None = None
    """``time_scale / (2 * num_units_in_tick)`` from the VUI timing info, if present."""
    pic_order_cnt_type: int = 0
    max_num_reorder_frames: int | None = None
    """From the VUI bitstream_restriction (Annex E.2.1), None when absent."""

    @property
    def reorder_depth(self) -> int | None:
        """Pictures that may follow one in decode order yet precede it in output order.

        0 when output order is decode order: pic_order_cnt_type 2 (§8.2.1.3) or the
        Baseline profile (no B slices); the VUI's max_num_reorder_frames when present;
        None (unknown) otherwise, since the §C.4.5.3 default (MaxDpbFrames) is far more
        than any camera uses.
        """
        if self.pic_order_cnt_type == 2 or self.profile_idc == 66:
            return 0
        return self.max_num_reorder_frames

    @property
    def codec_string(self) -> str:
        """RFC 6381 ``avc1.PPCCLL`` codecs parameter."""
        return f"avc1.{self.profile_idc:02X}{self.constraint_flags:02X}{self.level_idc:02X}"


def parse_sps(nal: bytes) -> SpsInfo:
    """Parse a complete SPS NAL unit (header byte included, emulation bytes allowed).

    Every field is read up to the RBSP trailing bits and checked against the ranges
    §7.4.2.1.1 allows, so random bytes with an SPS header are refused, not believed.
    """
    if len(nal) < 4 or nal_type(nal) != NalType.SPS:
        raise BitstreamError("not an SPS NAL unit")
    reader = BitReader(unescape_rbsp(nal[1:]))
    profile, constraints, level = reader.read_bits(8), reader.read_bits(8), reader.read_bits(8)
    if profile not in _PROFILES:
        raise BitstreamError(f"profile_idc {profile} is not an H.264 profile")
    _check(reader.read_ue(), 31, "seq_parameter_set_id")
    chroma, separate_planes = _read_chroma_and_scaling(reader, profile)
    _check(reader.read_ue(), _MAX_LOG2, "log2_max_frame_num_minus4")
    poc_type = _skip_pic_order_count(reader)
    _check(reader.read_ue(), _MAX_REF_FRAMES, "max_num_ref_frames")
    reader.read_flag()  # gaps_in_frame_num_value_allowed_flag
    width_mbs = reader.read_ue() + 1
    height_units = reader.read_ue() + 1
    frame_mbs_only = reader.read_flag()
    if width_mbs * height_units * (1 if frame_mbs_only else 2) > _MAX_MBS:
        raise BitstreamError(f"picture of {width_mbs}x{height_units} macroblocks is too large")
    if not frame_mbs_only:
        reader.read_flag()  # mb_adaptive_frame_field_flag
    reader.read_flag()  # direct_8x8_inference_flag
    width, height = _cropped_size(reader, width_mbs, height_units, frame_mbs_only, chroma,
                                  separate_planes)
    if reader.read_flag():  # vui_parameters_present_flag
        vui = _read_vui(reader)
    else:
        vui = _Vui()
        _check_trailing_bits(reader)
    return SpsInfo(profile, constraints, level, width, height, chroma, vui.frame_rate,
                   poc_type, vui.max_num_reorder_frames)


def parse_pps_ids(nal: bytes) -> tuple[int, int]:
    """pic_parameter_set_id and seq_parameter_set_id of a PPS (§7.3.2.2), after checking
    every field up to the trailing bits against the ranges of §7.4.2.2."""
    if len(nal) < 2 or nal_type(nal) != NalType.PPS:
        raise BitstreamError("not a PPS NAL unit")
    reader = BitReader(unescape_rbsp(nal[1:]))
    pps_id = _check(reader.read_ue(), 255, "pic_parameter_set_id")
    sps_id = _check(reader.read_ue(), 31, "seq_parameter_set_id")
    reader.skip_bits(2)  # entropy_coding_mode_flag, bottom_field_pic_order_in_frame_present
    if _check(reader.read_ue(), 7, "num_slice_groups_minus1") > 0:
        return pps_id, sps_id  # FMO (Baseline only): its maps are not checked further
    _check(reader.read_ue(), 31, "num_ref_idx_l0_default_active_minus1")
    _check(reader.read_ue(), 31, "num_ref_idx_l1_default_active_minus1")
    reader.skip_bits(1)  # weighted_pred_flag
    _check(reader.read_bits(2), 2, "weighted_bipred_idc")
    _check_signed(reader.read_se(), -62, 25, "pic_init_qp_minus26")
    _check_signed(reader.read_se(), -26, 25, "pic_init_qs_minus26")
    _check_signed(reader.read_se(), -12, 12, "chroma_qp_index_offset")
    reader.skip_bits(3)  # deblocking, constrained_intra_pred, redundant_pic_cnt flags
    if not reader.at_trailing_bits():  # more_rbsp_data()
        reader.skip_bits(1)  # transform_8x8_mode_flag
        if reader.read_flag():  # pic_scaling_matrix_present_flag
            return pps_id, sps_id  # scaling lists: their count depends on the SPS
        _check_signed(reader.read_se(), -12, 12, "second_chroma_qp_index_offset")
    _check_trailing_bits(reader)
    return pps_id, sps_id


def _check_signed(value: int, low: int, high: int, name: str) -> None:
    if not low <= value <= high:
        raise BitstreamError(f"{name} {value} outside [{low}, {high}]")


def _check(value: int, limit: int, name: str) -> int:
    if value > limit:
        raise BitstreamError(f"{name} {value} > {limit}")
    return value


def _check_trailing_bits(reader: BitReader) -> None:
    """rbsp_trailing_bits (§7.3.2.11): a stop bit then zeros; anything else means the
    fields before were not what the parser took them for. A missing stop bit (only
    zeros left) is tolerated: some encoders pad that way."""
    if not reader.at_trailing_bits():
        raise BitstreamError("data after the end of the parameter set")


def _read_chroma_and_scaling(reader: BitReader, profile: int) -> tuple[int, bool]:
    if profile not in _HIGH_PROFILES:
        return 1, False
    chroma = reader.read_ue()
    if chroma > 3:
        raise BitstreamError(f"chroma_format_idc {chroma} out of range")
    separate_planes = reader.read_flag() if chroma == 3 else False
    reader.read_ue()  # bit_depth_luma_minus8
    reader.read_ue()  # bit_depth_chroma_minus8
    reader.read_flag()  # qpprime_y_zero_transform_bypass_flag
    if reader.read_flag():  # seq_scaling_matrix_present_flag
        for index in range(8 if chroma != 3 else 12):
            if reader.read_flag():
                _skip_scaling_list(reader, 16 if index < 6 else 64)
    return chroma, separate_planes


def _skip_scaling_list(reader: BitReader, size: int) -> None:
    """scaling_list() syntax (H.264 §7.3.2.1.1.1): only the delta coding matters here."""
    last, next_scale = 8, 8
    for _ in range(size):
        if next_scale != 0:
            next_scale = (last + reader.read_se() + 256) % 256
        last = next_scale if next_scale != 0 else last


def _skip_pic_order_count(reader: BitReader) -> int:
    """The picture order count fields; returns pic_order_cnt_type."""
    poc_type = reader.read_ue()
    if poc_type == 0:
        _check(reader.read_ue(), _MAX_LOG2, "log2_max_pic_order_cnt_lsb_minus4")
    elif poc_type == 1:
        reader.read_flag()  # delta_pic_order_always_zero_flag
        reader.read_se()  # offset_for_non_ref_pic
        reader.read_se()  # offset_for_top_to_bottom_field
        cycle = reader.read_ue()
        if cycle > 255:
            raise BitstreamError(f"num_ref_frames_in_pic_order_cnt_cycle {cycle} > 255")
        for _ in range(cycle):
            reader.read_se()
    elif poc_type != 2:
        raise BitstreamError(f"pic_order_cnt_type {poc_type} out of range")
    return poc_type


def _cropped_size(reader: BitReader, width_mbs: int, height_units: int, frame_mbs_only: bool,
                  chroma: int, separate_planes: bool) -> tuple[int, int]:
    """Frame size after frame cropping (H.264 §7.4.2.1.1, equations 7-19 to 7-22)."""
    field_factor = 1 if frame_mbs_only else 2
    width, height = width_mbs * 16, height_units * 16 * field_factor
    if not reader.read_flag():  # frame_cropping_flag
        return width, height
    left, right, top, bottom = (reader.read_ue() for _ in range(4))
    if chroma == 0 or separate_planes:
        crop_x, crop_y = 1, field_factor
    else:
        crop_x = 1 if chroma == 3 else 2
        crop_y = (2 if chroma == 1 else 1) * field_factor
    width -= crop_x * (left + right)
    height -= crop_y * (top + bottom)
    if width <= 0 or height <= 0:
        raise BitstreamError("frame cropping leaves an empty picture")
    return width, height


@dataclass(frozen=True, slots=True)
class _Vui:
    frame_rate: float | None = None
    max_num_reorder_frames: int | None = None


def _read_vui(reader: BitReader) -> _Vui:
    """vui_parameters() (H.264 Annex E.1.1): frame rate and reorder depth.

    A VUI cut short after the timing info is taken as it is (reorder depth unknown), as
    FFmpeg does ("Overread VUI"): some encoders write it so, and their video is fine.
    """
    frame_rate = _read_vui_frame_rate(reader)
    try:
        reorder = _read_vui_rest(reader)
    except TruncatedBitstream:
        return _Vui(frame_rate)
    _check_trailing_bits(reader)
    return _Vui(frame_rate, reorder)


def _read_vui_rest(reader: BitReader) -> int | None:
    """From the HRD flags to max_dec_frame_buffering; returns max_num_reorder_frames."""
    hrd = False
    for _ in range(2):  # nal_hrd_parameters_present_flag, vcl_hrd_parameters_present_flag
        if reader.read_flag():
            _skip_hrd(reader)
            hrd = True
    if hrd:
        reader.read_flag()  # low_delay_hrd_flag
    reader.read_flag()  # pic_struct_present_flag
    if not reader.read_flag():  # bitstream_restriction_flag
        return None
    reader.read_flag()  # motion_vectors_over_pic_boundaries_flag
    for _ in range(4):  # max_bytes_per_pic_denom .. log2_max_mv_length_vertical
        reader.read_ue()
    reorder = _check(reader.read_ue(), _MAX_REF_FRAMES, "max_num_reorder_frames")
    buffering = _check(reader.read_ue(), _MAX_REF_FRAMES, "max_dec_frame_buffering")
    if reorder > buffering:
        raise BitstreamError("max_num_reorder_frames > max_dec_frame_buffering")
    return reorder


def _skip_hrd(reader: BitReader) -> None:
    """hrd_parameters() (Annex E.1.2)."""
    count = _check(reader.read_ue(), 31, "cpb_cnt_minus1") + 1
    reader.skip_bits(8)  # bit_rate_scale, cpb_size_scale
    for _ in range(count):
        reader.read_ue()  # bit_rate_value_minus1
        reader.read_ue()  # cpb_size_value_minus1
        reader.read_flag()  # cbr_flag
    reader.skip_bits(20)  # four 5-bit delay and length fields


def _read_vui_frame_rate(reader: BitReader) -> float | None:
    """Walk the VUI up to and through timing_info (H.264 Annex E.1.1)."""
    # aspect_ratio_info_present_flag, then aspect_ratio_idc (Extended_SAR adds 32 bits)
    if reader.read_flag() and reader.read_bits(8) == _EXTENDED_SAR:
        reader.skip_bits(32)
    if reader.read_flag():  # overscan_info_present_flag
        reader.skip_bits(1)  # overscan_appropriate_flag
    if reader.read_flag():  # video_signal_type_present_flag
        reader.skip_bits(4)
        if reader.read_flag():  # colour_description_present_flag
            reader.skip_bits(24)
    if reader.read_flag():  # chroma_loc_info_present_flag
        reader.read_ue()
        reader.read_ue()
    if not reader.read_flag():  # timing_info_present_flag
        return None
    units, scale = reader.read_bits(32), reader.read_bits(32)
    reader.read_flag()  # fixed_frame_rate_flag
    return scale / (2 * units) if units and scale else None


# --- framing ----------------------------------------------------------------------------


def split_annexb(stream: bytes) -> list[bytes]:
    """Split an Annex B byte stream on 3- or 4-byte start codes (H.264 Annex B.2)."""
    units: list[bytes] = []
    start = _next_start_code(stream, 0)
    if start < 0:
        raise BitstreamError("no Annex B start code")
    while start >= 0:
        begin = start + 3
        end = _next_start_code(stream, begin)
        unit = stream[begin : end if end >= 0 else len(stream)]
        unit = unit.rstrip(b"\x00") if end >= 0 else unit  # trailing_zero_8bits
        if unit:
            units.append(unit)
            if len(units) > MAX_NAL_UNITS:
                raise BitstreamError(f"more than {MAX_NAL_UNITS} NAL units")
        start = end
    return units


def _next_start_code(stream: bytes, offset: int) -> int:
    return stream.find(b"\x00\x00\x01", offset)


def join_annexb(nal_units: Sequence[bytes]) -> bytes:
    """NAL units as an Annex B byte stream with 4-byte start codes."""
    return b"".join(b"\x00\x00\x00\x01" + nal for nal in nal_units)


def to_length_prefixed(nal_units: Sequence[bytes], size: int = 4) -> bytes:
    """NAL units as ISO/IEC 14496-15 sample data with ``size``-byte big-endian lengths."""
    limit = 1 << (8 * size)
    out = bytearray()
    for nal in nal_units:
        if len(nal) >= limit:
            raise BitstreamError(f"NAL unit of {len(nal)} bytes does not fit a {size}-byte length")
        out += len(nal).to_bytes(size, "big") + nal
    return bytes(out)


def from_length_prefixed(sample: bytes, size: int = 4) -> list[bytes]:
    """Split ISO/IEC 14496-15 sample data into NAL units."""
    units: list[bytes] = []
    pos = 0
    while pos < len(sample):
        if pos + size > len(sample):
            raise BitstreamError("truncated NAL unit length")
        length = int.from_bytes(sample[pos : pos + size], "big")
        pos += size
        if length == 0 or pos + length > len(sample):
            raise BitstreamError(f"NAL unit length {length} does not fit the sample")
        units.append(sample[pos : pos + length])
        pos += length
        if len(units) > MAX_NAL_UNITS:
            raise BitstreamError(f"more than {MAX_NAL_UNITS} NAL units")
    return units
