"""The length of an H.264 slice header (ITU-T H.264 §7.3.3), for ``cbcs`` encryption.

ISO/IEC 23001-7 §10.4 (``cbcs``) keeps every slice header in clear. Its length depends on
the SPS and PPS the slice names, so ``SliceHeaders`` is built from a track's parameter
sets (``slice_header.ParameterSets``, shared with ``h265_slice``) and answers, for one
slice NAL unit, how many of its bytes (NAL unit header and emulation-prevention bytes
included) reach the end of the slice header, rounded up to a whole byte. Slice groups
(FMO, Baseline only) and MVC slices are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onvif_recorder.codecs.bits import BitReader
from onvif_recorder.codecs.errors import BitstreamError
from onvif_recorder.codecs.h264 import NalType, _read_chroma_and_scaling, nal_type
from onvif_recorder.codecs.slice_header import NalSyntax, ParameterSets

_P, _B, _I, _SP, _SI = range(5)


@dataclass(frozen=True, slots=True)
class _Sps:
    chroma_array_type: int
    separate_colour_plane: bool
    log2_max_frame_num: int
    frame_mbs_only: bool
    poc_type: int
    log2_max_poc_lsb: int
    delta_pic_order_always_zero: bool


@dataclass(frozen=True, slots=True)
class _Pps:
    sps_id: int
    cabac: bool
    bottom_field_pic_order: bool
    num_ref_idx_default: tuple[int, int]
    weighted_pred: bool
    weighted_bipred_idc: int
    deblocking_control: bool
    redundant_pic_cnt: bool


def _parse_sps(rbsp: bytes) -> tuple[int, _Sps]:
    reader = BitReader(rbsp)
    profile = reader.read_bits(8)
    reader.skip_bits(16)  # constraint flags, level_idc
    sps_id = reader.read_ue()
    chroma, separate = _read_chroma_and_scaling(reader, profile)
    log2_max_frame_num = reader.read_ue() + 4
    poc_type, log2_poc, always_zero = reader.read_ue(), 0, False
    if poc_type == 0:
        log2_poc = reader.read_ue() + 4
    elif poc_type == 1:
        always_zero = reader.read_flag()
        reader.read_se()  # offset_for_non_ref_pic
        reader.read_se()  # offset_for_top_to_bottom_field
        for _ in range(reader.read_ue()):
            reader.read_se()
    reader.read_ue()  # max_num_ref_frames
    reader.read_flag()  # gaps_in_frame_num_value_allowed_flag
    reader.read_ue()  # pic_width_in_mbs_minus1
    reader.read_ue()  # pic_height_in_map_units_minus1
    frame_mbs_only = reader.read_flag()
    return sps_id, _Sps(0 if separate else chroma, separate, log2_max_frame_num,
                        frame_mbs_only, poc_type, log2_poc, always_zero)


def _parse_pps(rbsp: bytes) -> tuple[int, _Pps]:
    reader = BitReader(rbsp)
    pps_id, sps_id = reader.read_ue(), reader.read_ue()
    cabac, bottom_field = reader.read_flag(), reader.read_flag()
    if reader.read_ue() > 0:
        raise BitstreamError("slice groups (FMO) are not supported")
    defaults = (reader.read_ue(), reader.read_ue())
    weighted_pred, bipred = reader.read_flag(), reader.read_bits(2)
    reader.read_se()  # pic_init_qp_minus26
    reader.read_se()  # pic_init_qs_minus26
    reader.read_se()  # chroma_qp_index_offset
    deblocking = reader.read_flag()
    reader.read_flag()  # constrained_intra_pred_flag
    redundant = reader.read_flag()
    return pps_id, _Pps(sps_id, cabac, bottom_field, defaults, weighted_pred, bipred,
                        deblocking, redundant)


_SYNTAX = NalSyntax(1, nal_type, NalType.SPS, NalType.PPS, _parse_sps, _parse_pps)


class SliceHeaders:
    """Slice header lengths for the slices of one set of parameter sets."""

    def __init__(self, parameter_sets: Sequence[bytes]) -> None:
        self._sets = ParameterSets(_SYNTAX, parameter_sets)

    def clear_size(self, nal: bytes) -> int:
        """Bytes of ``nal`` from its first byte to the end of its slice header."""
        if nal_type(nal) not in (NalType.SLICE, NalType.IDR):
            raise BitstreamError(f"NAL unit type {nal_type(nal)} is not a slice")
        return self._sets.header_length(
            nal, lambda reader: _read_header(reader, nal[0], self._sets))


def _read_header(reader: BitReader, header: int, sets: ParameterSets[_Sps, _Pps]) -> None:
    """slice_header() (§7.3.3), every field read, none kept beyond what later ones need."""
    idr = header & 0x1F == NalType.IDR
    reader.read_ue()  # first_mb_in_slice
    slice_type = reader.read_ue() % 5
    sps, pps = sets.for_slice(reader.read_ue())
    if sps.separate_colour_plane:
        reader.skip_bits(2)  # colour_plane_id
    reader.skip_bits(sps.log2_max_frame_num)  # frame_num
    field_pic = False
    if not sps.frame_mbs_only:
        field_pic = reader.read_flag()
        if field_pic:
            reader.skip_bits(1)  # bottom_field_flag
    if idr:
        reader.read_ue()  # idr_pic_id
    _read_poc(reader, sps, pps, field_pic)
    if pps.redundant_pic_cnt:
        reader.read_ue()
    if slice_type == _B:
        reader.skip_bits(1)  # direct_spatial_mv_pred_flag
    counts = pps.num_ref_idx_default
    if slice_type in (_P, _SP, _B) and reader.read_flag():  # num_ref_idx_active_override
        counts = (reader.read_ue(), reader.read_ue() if slice_type == _B else counts[1])
    _read_list_modifications(reader, slice_type)
    if ((pps.weighted_pred and slice_type in (_P, _SP))
            or (pps.weighted_bipred_idc == 1 and slice_type == _B)):
        _read_pred_weight_table(reader, slice_type, counts, sps.chroma_array_type)
    if header & 0x60:  # nal_ref_idc != 0
        _read_ref_pic_marking(reader, idr)
    _read_tail(reader, slice_type, pps)


def _read_poc(reader: BitReader, sps: _Sps, pps: _Pps, field_pic: bool) -> None:
    if sps.poc_type == 0:
        reader.skip_bits(sps.log2_max_poc_lsb)  # pic_order_cnt_lsb
        if pps.bottom_field_pic_order and not field_pic:
            reader.read_se()  # delta_pic_order_cnt_bottom
    elif sps.poc_type == 1 and not sps.delta_pic_order_always_zero:
        reader.read_se()
        if pps.bottom_field_pic_order and not field_pic:
            reader.read_se()


def _read_list_modifications(reader: BitReader, slice_type: int) -> None:
    """ref_pic_list_modification() (§7.3.3.1)."""
    for present in (slice_type not in (_I, _SI), slice_type == _B):
        if not present or not reader.read_flag():
            continue
        while (idc := reader.read_ue()) != 3:
            if idc > 5:
                raise BitstreamError(f"modification_of_pic_nums_idc {idc} out of range")
            reader.read_ue()  # abs_diff_pic_num_minus1 / long_term_pic_num / abs_diff_view


def _read_pred_weight_table(reader: BitReader, slice_type: int, counts: tuple[int, int],
                            chroma_array_type: int) -> None:
    """pred_weight_table() (§7.3.3.2)."""
    reader.read_ue()  # luma_log2_weight_denom
    if chroma_array_type:
        reader.read_ue()  # chroma_log2_weight_denom
    for minus1 in counts[:2 if slice_type == _B else 1]:
        for _ in range(minus1 + 1):
            if reader.read_flag():  # luma_weight_flag
                reader.read_se()
                reader.read_se()
            if chroma_array_type and reader.read_flag():  # chroma_weight_flag
                for _ in range(4):
                    reader.read_se()


def _read_ref_pic_marking(reader: BitReader, idr: bool) -> None:
    """dec_ref_pic_marking() (§7.3.3.3)."""
    if idr:
        reader.skip_bits(2)  # no_output_of_prior_pics_flag, long_term_reference_flag
        return
    if not reader.read_flag():  # adaptive_ref_pic_marking_mode_flag
        return
    while (operation := reader.read_ue()) != 0:
        if operation > 6:
            raise BitstreamError(f"memory_management_control_operation {operation}")
        if operation != 5:  # 5 (all unused) has no operand, 3 has two
            reader.read_ue()
        if operation == 3:
            reader.read_ue()


def _read_tail(reader: BitReader, slice_type: int, pps: _Pps) -> None:
    if pps.cabac and slice_type not in (_I, _SI):
        reader.read_ue()  # cabac_init_idc
    reader.read_se()  # slice_qp_delta
    if slice_type in (_SP, _SI):
        if slice_type == _SP:
            reader.skip_bits(1)  # sp_for_switch_flag
        reader.read_se()  # slice_qs_delta
    if pps.deblocking_control and reader.read_ue() != 1:  # disable_deblocking_filter_idc
        reader.read_se()  # slice_alpha_c0_offset_div2
        reader.read_se()  # slice_beta_offset_div2
