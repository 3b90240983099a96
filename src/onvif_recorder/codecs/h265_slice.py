"""The length of an H.265 slice segment header (ITU-T H.265 §7.3.6.1), for ``cbcs``.

As ``h264_slice``: built from a track's parameter sets, ``SliceHeaders.clear_size``
answers how many bytes of a slice segment NAL unit (2-byte NAL unit header and
emulation-prevention bytes included) reach the end of its header, whose
``byte_alignment()`` ends it on a byte. The parameter sets are read only as far as the
slice header needs; PPS extensions other than the range extension are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onvif_recorder.codecs.bits import BitReader
from onvif_recorder.codecs.errors import BitstreamError
from onvif_recorder.codecs.h265 import NalType, _read_profile_tier_level, nal_type
from onvif_recorder.codecs.h265_rps import ShortTermRps, read_short_term_rps
from onvif_recorder.codecs.slice_header import NalSyntax, ParameterSets

_B, _P, _I = range(3)
_IDR_W_RADL, _IDR_N_LP = 19, 20


@dataclass(frozen=True, slots=True)
class _Sps:
    chroma_array_type: int
    separate_colour_plane: bool
    log2_max_poc_lsb: int
    ctb_count: int
    rps: tuple[ShortTermRps, ...]
    long_term_used: tuple[bool, ...] | None
    """used_by_curr_pic_lt_sps_flag of each SPS long-term picture; None: no long-term."""
    temporal_mvp: bool
    sao: bool


@dataclass(frozen=True, slots=True)
class _Pps:
    sps_id: int
    dependent_slices: bool
    output_flag: bool
    extra_bits: int
    cabac_init: bool
    num_ref_idx_default: tuple[int, int]
    chroma_qp_offsets: bool
    weighted: tuple[bool, bool]
    entry_points: bool
    loop_filter_across_slices: bool
    deblocking_override: bool
    deblocking_disabled: bool
    lists_modification: bool
    header_extension: bool
    chroma_qp_offset_list: bool


def _parse_sps(rbsp: bytes) -> tuple[int, _Sps]:
    reader = BitReader(rbsp)
    reader.skip_bits(4)  # sps_video_parameter_set_id
    sub_layers_minus1 = reader.read_bits(3)
    reader.skip_bits(1)
    _read_profile_tier_level(reader, sub_layers_minus1)
    sps_id, chroma = reader.read_ue(), reader.read_ue()
    separate = reader.read_flag() if chroma == 3 else False
    width, height = reader.read_ue(), reader.read_ue()
    if reader.read_flag():  # conformance_window_flag
        for _ in range(4):
            reader.read_ue()
    reader.read_ue()  # bit_depth_luma_minus8
    reader.read_ue()  # bit_depth_chroma_minus8
    log2_poc = reader.read_ue() + 4
    every_layer = reader.read_flag()
    for _ in range(0 if every_layer else sub_layers_minus1, sub_layers_minus1 + 1):
        for _ in range(3):
            reader.read_ue()
    log2_ctb = reader.read_ue() + 3
    log2_ctb += reader.read_ue()
    ctb = 1 << log2_ctb
    ctb_count = -(-width // ctb) * -(-height // ctb)
    for _ in range(4):
        reader.read_ue()  # transform block sizes, transform hierarchy depths
    if reader.read_flag() and reader.read_flag():  # scaling list enabled, data present
        _skip_scaling_list_data(reader)
    reader.skip_bits(1)  # amp_enabled_flag
    sao = reader.read_flag()
    if reader.read_flag():  # pcm_enabled_flag
        reader.skip_bits(8)
        reader.read_ue()
        reader.read_ue()
        reader.skip_bits(1)
    sets: list[ShortTermRps] = []
    count = reader.read_ue()
    for index in range(count):
        sets.append(read_short_term_rps(reader, index, count, sets))
    long_term = None
    if reader.read_flag():  # long_term_ref_pics_present_flag
        lt_list = []
        for _ in range(reader.read_ue()):
            reader.skip_bits(log2_poc)  # lt_ref_pic_poc_lsb_sps
            lt_list.append(reader.read_flag())
        long_term = tuple(lt_list)
    temporal_mvp = reader.read_flag()
    return sps_id, _Sps(0 if separate else chroma, separate, log2_poc, ctb_count,
                        tuple(sets), long_term, temporal_mvp, sao)


def _skip_scaling_list_data(reader: BitReader) -> None:
    """scaling_list_data() (§7.3.4)."""
    for size_id in range(4):
        for _ in range(0, 6, 3 if size_id == 3 else 1):
            if not reader.read_flag():  # scaling_list_pred_mode_flag
                reader.read_ue()
                continue
            if size_id > 1:
                reader.read_se()
            for _ in range(min(64, 1 << (4 + (size_id << 1)))):
                reader.read_se()


def _parse_pps(rbsp: bytes) -> tuple[int, _Pps]:
    reader = BitReader(rbsp)
    pps_id, sps_id = reader.read_ue(), reader.read_ue()
    dependent, output_flag = reader.read_flag(), reader.read_flag()
    extra_bits = reader.read_bits(3)
    reader.skip_bits(1)  # sign_data_hiding_enabled_flag
    cabac_init = reader.read_flag()
    defaults = (reader.read_ue(), reader.read_ue())
    reader.read_se()  # init_qp_minus26
    reader.skip_bits(1)  # constrained_intra_pred_flag
    transform_skip = reader.read_flag()
    if reader.read_flag():  # cu_qp_delta_enabled_flag
        reader.read_ue()
    reader.read_se()  # pps_cb_qp_offset
    reader.read_se()  # pps_cr_qp_offset
    chroma_offsets = reader.read_flag()
    weighted = (reader.read_flag(), reader.read_flag())
    reader.skip_bits(1)  # transquant_bypass_enabled_flag
    tiles, sync = reader.read_flag(), reader.read_flag()
    if tiles:
        columns, rows = reader.read_ue(), reader.read_ue()
        if not reader.read_flag():  # uniform_spacing_flag
            for _ in range(columns + rows):
                reader.read_ue()
        reader.skip_bits(1)  # loop_filter_across_tiles_enabled_flag
    across_slices = reader.read_flag()
    override, disabled = False, False
    if reader.read_flag():  # deblocking_filter_control_present_flag
        override, disabled = reader.read_flag(), reader.read_flag()
        if not disabled:
            reader.read_se()
            reader.read_se()
    if reader.read_flag():  # pps_scaling_list_data_present_flag
        _skip_scaling_list_data(reader)
    lists_modification = reader.read_flag()
    reader.read_ue()  # log2_parallel_merge_level_minus2
    header_extension = reader.read_flag()
    offset_list = _read_pps_extensions(reader, transform_skip)
    return pps_id, _Pps(sps_id, dependent, output_flag, extra_bits, cabac_init, defaults,
                        chroma_offsets, weighted, tiles or sync, across_slices, override,
                        disabled, lists_modification, header_extension, offset_list)


def _read_pps_extensions(reader: BitReader, transform_skip: bool) -> bool:
    """chroma_qp_offset_list_enabled_flag from pps_range_extension() (§7.3.2.3.2)."""
    if not reader.read_flag():  # pps_extension_present_flag
        return False
    range_extension = reader.read_flag()
    if reader.read_bits(7):
        raise BitstreamError("PPS multilayer, 3D, SCC or other extensions are not supported")
    if not range_extension:
        return False
    if transform_skip:
        reader.read_ue()  # log2_max_transform_skip_block_size_minus2
    reader.skip_bits(1)  # cross_component_prediction_enabled_flag
    return reader.read_flag()


_SYNTAX = NalSyntax(2, nal_type, NalType.SPS, NalType.PPS, _parse_sps, _parse_pps)


class SliceHeaders:
    """Slice segment header lengths for the slices of one set of parameter sets."""

    def __init__(self, parameter_sets: Sequence[bytes]) -> None:
        self._sets = ParameterSets(_SYNTAX, parameter_sets)

    def clear_size(self, nal: bytes) -> int:
        """Bytes of ``nal`` from its first byte to the end of its slice segment header."""
        kind = nal_type(nal)
        if kind > 31:
            raise BitstreamError(f"NAL unit type {kind} is not a slice segment")
        return self._sets.header_length(nal, lambda reader: self._read(reader, kind))

    def _read(self, reader: BitReader, kind: int) -> None:
        first = reader.read_flag()
        if 16 <= kind <= 23:
            reader.skip_bits(1)  # no_output_of_prior_pics_flag
        sps, pps = self._sets.for_slice(reader.read_ue())
        dependent = False
        if not first:
            dependent = pps.dependent_slices and reader.read_flag()
            reader.skip_bits(max(sps.ctb_count - 1, 0).bit_length())  # slice_segment_address
        if not dependent:
            _read_independent(reader, kind, sps, pps)
        _read_entry_points(reader, pps)


def _read_independent(reader: BitReader, kind: int, sps: _Sps, pps: _Pps) -> None:
    """The fields of an independent slice segment header, up to its loop filter flag."""
    reader.skip_bits(pps.extra_bits)  # slice_reserved_flag
    slice_type = reader.read_ue()
    if pps.output_flag:
        reader.skip_bits(1)
    if sps.separate_colour_plane:
        reader.skip_bits(2)
    used_pictures, temporal_mvp = 0, False
    if kind not in (_IDR_W_RADL, _IDR_N_LP):
        used_pictures, temporal_mvp = _read_reference_pictures(reader, sps)
    sao = (False, False)
    if sps.sao:
        sao = (reader.read_flag(), reader.read_flag() if sps.chroma_array_type else False)
    if slice_type in (_P, _B):
        _read_inter(reader, slice_type, sps, pps, used_pictures, temporal_mvp)
    reader.read_se()  # slice_qp_delta
    if pps.chroma_qp_offsets:
        reader.read_se()
        reader.read_se()
    if pps.chroma_qp_offset_list:
        reader.skip_bits(1)  # cu_chroma_qp_offset_enabled_flag
    deblocking_disabled = pps.deblocking_disabled
    if pps.deblocking_override and reader.read_flag():  # deblocking_filter_override_flag
        deblocking_disabled = reader.read_flag()
        if not deblocking_disabled:
            reader.read_se()
            reader.read_se()
    if pps.loop_filter_across_slices and (any(sao) or not deblocking_disabled):
        reader.skip_bits(1)  # slice_loop_filter_across_slices_enabled_flag


def _read_reference_pictures(reader: BitReader, sps: _Sps) -> tuple[int, bool]:
    """POC LSB, short- and long-term sets: (NumPicTotalCurr, slice_temporal_mvp)."""
    reader.skip_bits(sps.log2_max_poc_lsb)  # slice_pic_order_cnt_lsb
    count = len(sps.rps)
    if not reader.read_flag():  # short_term_ref_pic_set_sps_flag
        rps = read_short_term_rps(reader, count, count, list(sps.rps))
    else:
        rps = sps.rps[reader.read_bits(max(count - 1, 0).bit_length()) if count > 1 else 0]
    used = rps.used_count
    if sps.long_term_used is not None:
        from_sps = reader.read_ue() if sps.long_term_used else 0
        for index in range(from_sps + reader.read_ue()):
            if index < from_sps:
                lt_count = len(sps.long_term_used)
                lt_idx = reader.read_bits((lt_count - 1).bit_length()) if lt_count > 1 else 0
                used += sps.long_term_used[lt_idx]
            else:
                reader.skip_bits(sps.log2_max_poc_lsb)  # poc_lsb_lt
                used += reader.read_flag()
            if reader.read_flag():  # delta_poc_msb_present_flag
                reader.read_ue()
    return used, sps.temporal_mvp and reader.read_flag()


def _read_inter(reader: BitReader, slice_type: int, sps: _Sps, pps: _Pps,
                used_pictures: int, temporal_mvp: bool) -> None:
    counts = pps.num_ref_idx_default
    if reader.read_flag():  # num_ref_idx_active_override_flag
        counts = (reader.read_ue(), reader.read_ue() if slice_type == _B else counts[1])
    lists = counts[:2 if slice_type == _B else 1]
    if pps.lists_modification and used_pictures > 1:
        for minus1 in lists:
            if reader.read_flag():  # ref_pic_list_modification_flag
                reader.skip_bits((minus1 + 1) * (used_pictures - 1).bit_length())
    if slice_type == _B:
        reader.skip_bits(1)  # mvd_l1_zero_flag
    if pps.cabac_init:
        reader.skip_bits(1)
    if temporal_mvp:
        from_l0 = reader.read_flag() if slice_type == _B else True
        if counts[0 if from_l0 else 1] > 0:
            reader.read_ue()  # collocated_ref_idx
    if pps.weighted[0 if slice_type == _P else 1]:
        _read_pred_weight_table(reader, lists, sps.chroma_array_type)
    reader.read_ue()  # five_minus_max_num_merge_cand


def _read_pred_weight_table(reader: BitReader, lists: tuple[int, ...], chroma: int) -> None:
    """pred_weight_table() (§7.3.6.3), single layer: no reference is the current picture."""
    reader.read_ue()  # luma_log2_weight_denom
    if chroma:
        reader.read_se()  # delta_chroma_log2_weight_denom
    for minus1 in lists:
        luma = [reader.read_flag() for _ in range(minus1 + 1)]
        chroma_flags = [reader.read_flag() if chroma else False for _ in range(minus1 + 1)]
        for has_luma, has_chroma in zip(luma, chroma_flags, strict=True):
            for _ in range((2 if has_luma else 0) + (4 if has_chroma else 0)):
                reader.read_se()


def _read_entry_points(reader: BitReader, pps: _Pps) -> None:
    """Entry points, the header extension, then byte_alignment()'s one bit (§7.3.2.12)."""
    if pps.entry_points:
        offsets = reader.read_ue()
        if offsets:
            size = reader.read_ue() + 1
            reader.skip_bits(offsets * size)
    if pps.header_extension:
        reader.skip_bits(8 * reader.read_ue())
    if not reader.read_flag():
        raise BitstreamError("slice segment header does not end with alignment_bit_equal_to_one")
