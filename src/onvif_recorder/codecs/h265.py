"""H.265 bitstream facts: NAL unit types, VPS and SPS basics, sync samples.

References: ITU-T H.265 §7.3.1.2 (NAL unit header), §7.3.2.1 (VPS), §7.3.2.2 (SPS),
§7.3.3 (profile_tier_level); ISO/IEC 14496-15 Annex E (``hvc1`` codecs string).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from onvif_recorder.codecs.bits import BitReader, unescape_rbsp
from onvif_recorder.codecs.errors import BitstreamError

_MAX_DIMENSION = 16888  # H.265 Level 6.2 limit: sqrt(MaxLumaPs * 8)


class NalType(IntEnum):
    """``nal_unit_type`` values (H.265 Table 7-1) plus RFC 7798 packetization types."""

    TRAIL_N = 0
    TRAIL_R = 1
    BLA_W_LP = 16
    BLA_W_RADL = 17
    BLA_N_LP = 18
    IDR_W_RADL = 19
    IDR_N_LP = 20
    CRA = 21
    VPS = 32
    SPS = 33
    PPS = 34
    AUD = 35
    EOS = 36
    EOB = 37
    FD = 38
    PREFIX_SEI = 39
    SUFFIX_SEI = 40
    AP = 48
    FU = 49
    PACI = 50


def nal_type(nal: bytes) -> int:
    """The 6-bit ``nal_unit_type`` of a NAL unit (H.265 §7.3.1.2)."""
    if len(nal) < 2:
        raise BitstreamError("H.265 NAL unit shorter than its 2-byte header")
    return (nal[0] >> 1) & 0x3F


def is_vcl(nal: bytes) -> bool:
    """A coded slice segment (types 0-31, H.265 Table 7-1)."""
    return len(nal) >= 2 and (nal[0] >> 1) & 0x3F < 32


def is_irap(kind: int) -> bool:
    """Intra random access point picture types 16..23 (H.265 §3.73)."""
    return 16 <= kind <= 23


def is_sync_sample(nal_units: Sequence[bytes]) -> bool:
    """True if the access unit holds an IRAP picture (IDR, CRA or BLA)."""
    return any(len(nal) >= 2 and is_irap((nal[0] >> 1) & 0x3F) for nal in nal_units)


@dataclass(frozen=True, slots=True)
class ProfileTierLevel:
    """general_* fields of profile_tier_level() (H.265 §7.3.3)."""

    profile_space: int
    tier: int
    profile_idc: int
    compatibility_flags: int
    constraint_flags: int
    """48 bits: progressive, interlaced, non-packed, frame-only and the 44 following bits."""
    level_idc: int

    @property
    def codec_string(self) -> str:
        """``hvc1.<space><profile>.<compat>.<tier><level>.<constraints>`` (14496-15 E.3)."""
        space = "" if self.profile_space == 0 else "ABC"[self.profile_space - 1]
        compat = int(f"{self.compatibility_flags:032b}"[::-1], 2)
        tier = "H" if self.tier else "L"
        constraint_bytes = self.constraint_flags.to_bytes(6, "big").rstrip(b"\x00")
        parts = [f"hvc1.{space}{self.profile_idc}", f"{compat:X}", f"{tier}{self.level_idc}"]
        parts += [f"{byte:X}" for byte in constraint_bytes]
        return ".".join(parts)


@dataclass(frozen=True, slots=True)
class VpsInfo:
    vps_id: int
    max_sub_layers: int
    profile: ProfileTierLevel


@dataclass(frozen=True, slots=True)
class SpsInfo:
    """The parts of an H.265 SPS a recorder needs (H.265 §7.4.3.2.1)."""

    vps_id: int
    sps_id: int
    profile: ProfileTierLevel
    chroma_format_idc: int
    width: int
    height: int
    bit_depth_luma: int
    bit_depth_chroma: int
    reorder_depth: int = 0
    """sps_max_num_reorder_pics of the highest sub-layer (§7.4.3.2.1): how many pictures
    may follow one in decode order yet precede it in output order."""


def parse_vps(nal: bytes) -> VpsInfo:
    """Parse the head of a VPS NAL unit, up to and including profile_tier_level()."""
    if nal_type(nal) != NalType.VPS:
        raise BitstreamError("not a VPS NAL unit")
    reader = BitReader(unescape_rbsp(nal[2:]))
    vps_id = reader.read_bits(4)
    reader.skip_bits(2 + 6)  # base_layer flags, vps_max_layers_minus1
    sub_layers = reader.read_bits(3) + 1
    reader.skip_bits(1)  # vps_temporal_id_nesting_flag
    if reader.read_bits(16) != 0xFFFF:
        raise BitstreamError("vps_reserved_0xffff_16bits is not 0xFFFF")
    if sub_layers > 7:
        raise BitstreamError("vps_max_sub_layers_minus1 is 7")
    return VpsInfo(vps_id, sub_layers, _read_profile_tier_level(reader, sub_layers - 1))


def parse_sps(nal: bytes) -> SpsInfo:
    """Parse an SPS NAL unit up to the bit depths (H.265 §7.3.2.2.1)."""
    if nal_type(nal) != NalType.SPS:
        raise BitstreamError("not an SPS NAL unit")
    reader = BitReader(unescape_rbsp(nal[2:]))
    vps_id = reader.read_bits(4)
    sub_layers_minus1 = reader.read_bits(3)
    reader.skip_bits(1)  # sps_temporal_id_nesting_flag
    profile = _read_profile_tier_level(reader, sub_layers_minus1)
    sps_id = reader.read_ue()
    chroma = reader.read_ue()
    if chroma > 3:
        raise BitstreamError(f"chroma_format_idc {chroma} out of range")
    separate_planes = reader.read_flag() if chroma == 3 else False
    width, height = reader.read_ue(), reader.read_ue()
    if not (0 < width <= _MAX_DIMENSION and 0 < height <= _MAX_DIMENSION):
        raise BitstreamError(f"picture size {width}x{height} out of range")
    width, height = _conformance_window(reader, width, height, chroma, separate_planes)
    depth_luma, depth_chroma = reader.read_ue() + 8, reader.read_ue() + 8
    if depth_luma > 16 or depth_chroma > 16:
        raise BitstreamError(f"bit depth {depth_luma}/{depth_chroma} out of range")
    reorder = _read_reorder_depth(reader, sub_layers_minus1)
    return SpsInfo(vps_id, sps_id, profile, chroma, width, height, depth_luma, depth_chroma,
                   reorder)


def _read_reorder_depth(reader: BitReader, sub_layers_minus1: int) -> int:
    """log2_max_pic_order_cnt_lsb_minus4 and the sub-layer ordering info (§7.3.2.2.1)."""
    if reader.read_ue() > 12:
        raise BitstreamError("log2_max_pic_order_cnt_lsb_minus4 > 12")
    every_layer = reader.read_flag()  # sps_sub_layer_ordering_info_present_flag
    reorder = 0
    for _ in range(0 if every_layer else sub_layers_minus1, sub_layers_minus1 + 1):
        buffering = reader.read_ue()  # sps_max_dec_pic_buffering_minus1
        reorder = reader.read_ue()  # sps_max_num_reorder_pics
        reader.read_ue()  # sps_max_latency_increase_plus1
        if buffering > 15 or reorder > buffering:
            raise BitstreamError(f"sps_max_num_reorder_pics {reorder} out of range")
    return reorder


def parse_pps_ids(nal: bytes) -> tuple[int, int]:
    """pps_pic_parameter_set_id and pps_seq_parameter_set_id of a PPS (§7.3.2.3.1)."""
    if nal_type(nal) != NalType.PPS:
        raise BitstreamError("not a PPS NAL unit")
    reader = BitReader(unescape_rbsp(nal[2:]))
    pps_id, sps_id = reader.read_ue(), reader.read_ue()
    if pps_id > 63 or sps_id > 15:
        raise BitstreamError(f"PPS ids {pps_id}/{sps_id} out of range")
    return pps_id, sps_id


def _conformance_window(reader: BitReader, width: int, height: int, chroma: int,
                        separate_planes: bool) -> tuple[int, int]:
    """Apply conf_win_*_offset in chroma units (H.265 §7.4.3.2.1, Table 6-1)."""
    if not reader.read_flag():
        return width, height
    left, right, top, bottom = (reader.read_ue() for _ in range(4))
    sub_width = 2 if chroma in (1, 2) and not separate_planes else 1
    sub_height = 2 if chroma == 1 and not separate_planes else 1
    width -= sub_width * (left + right)
    height -= sub_height * (top + bottom)
    if width <= 0 or height <= 0:
        raise BitstreamError("conformance window leaves an empty picture")
    return width, height


def _read_profile_tier_level(reader: BitReader, sub_layers_minus1: int) -> ProfileTierLevel:
    """profile_tier_level(1, sps_max_sub_layers_minus1) (H.265 §7.3.3)."""
    space, tier, idc = reader.read_bits(2), reader.read_bits(1), reader.read_bits(5)
    compat = reader.read_bits(32)
    constraints = reader.read_bits(48)
    level = reader.read_bits(8)
    present = [(reader.read_flag(), reader.read_flag()) for _ in range(sub_layers_minus1)]
    if sub_layers_minus1 > 0:
        reader.skip_bits(2 * (8 - sub_layers_minus1))  # reserved_zero_2bits
    for profile_present, level_present in present:
        reader.skip_bits((88 if profile_present else 0) + (8 if level_present else 0))
    return ProfileTierLevel(space, tier, idc, compat, constraints, level)
