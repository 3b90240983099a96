"""Slice header lengths (``cbcs`` keeps slice headers clear, ISO/IEC 23001-7 §10.4.1)
against FFmpeg's ``trace_headers`` bitstream filter, an independent parser that prints
every slice header field with its bit position. Streams: the committed clips and
libx264/libx265 streams made here with the features that change a header's length
(B-frames, weighted prediction, several slices, interlace, long POC and frame numbers)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from onvif_recorder.codecs import bits, h264, h264_slice, h265_slice
from onvif_recorder.codecs.bits import BitWriter, escape_rbsp, escaped_length
from tests.unit.mp4.media import DATA

_FIELD = re.compile(r"\] (\d+)\s+(\S+)\s+([01]+) = ")
_ALIGNMENT = ("cabac_alignment_one_bit", "alignment_bit_equal_to_zero")


def traced_header_ends(path: Path) -> list[int]:
    """RBSP bit (NAL header included) where each slice header ends, per trace_headers."""
    log = subprocess.run(
        ["ffmpeg", "-nostats", "-v", "trace", "-i", str(path), "-c", "copy",
         "-bsf:v", "trace_headers", "-f", "null", "-"],
        capture_output=True, text=True, check=True).stderr
    ends: list[int] = []
    current: int | None = None
    for line in log.splitlines():
        if "trace_headers" not in line:
            continue
        if "] Slice Header" in line or "] Slice Segment Header" in line:
            if current is not None:
                ends.append(current)
            current = 0
        elif (field := _FIELD.search(line)) and current is not None:
            if not field.group(2).startswith(_ALIGNMENT):
                current = int(field.group(1)) + len(field.group(3))
        elif current is not None:
            ends.append(current)
            current = None
    if current is not None:
        ends.append(current)
    return ends


def check(path: Path, hevc: bool) -> int:
    """Compare every slice; returns how many there were."""
    nals = h264.split_annexb(path.read_bytes())
    if hevc:
        kind: Callable[[bytes], int] = lambda n: (n[0] >> 1) & 0x3F  # noqa: E731
        parser: h264_slice.SliceHeaders | h265_slice.SliceHeaders = h265_slice.SliceHeaders(
            [n for n in nals if kind(n) in (33, 34)])
        slices = [n for n in nals if kind(n) < 32]
    else:
        kind = h264.nal_type
        parser = h264_slice.SliceHeaders([n for n in nals if kind(n) in (7, 8)])
        slices = [n for n in nals if kind(n) in (1, 5)]
    ends = traced_header_ends(path)
    assert len(ends) == len(slices) > 0
    for nal, end in zip(slices, ends, strict=True):
        assert parser.clear_size(nal) == escaped_length(nal, (end + 7) // 8)
    return len(slices)


def test_committed_clips() -> None:
    assert check(DATA / "clip_h264.h264", hevc=False) == 50
    assert check(DATA / "clip_h265.h265", hevc=True) == 50


ENCODES = {
    "h264_b_weighted_slices": ["-c:v", "libx264", "-bf", "3", "-weightp", "2", "-slices", "4",
                               "-x264-params", "b-pyramid=normal:weightb=1"],
    "h264_cavlc_interlaced": ["-c:v", "libx264", "-profile:v", "main", "-coder", "0",
                              "-flags", "+ildct+ilme", "-x264-params", "interlaced=1"],
    "h265_b_weighted_slices": ["-c:v", "libx265", "-x265-params",
                               "bframes=4:weightp=1:weightb=1:slices=2:log-level=error"],
    "h265_long_poc": ["-c:v", "libx265", "-x265-params",
                      "bframes=0:log2-max-poc-lsb=16:keyint=1000:log-level=error"],
}


@pytest.mark.parametrize("name", sorted(ENCODES))
def test_encoded_streams(tmp_path: Path, name: str) -> None:
    path = tmp_path / (name + (".h265" if name.startswith("h265") else ".h264"))
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:rate=25", "-t", "0.6", *ENCODES[name], str(path)],
                   check=True)
    assert check(path, hevc=name.startswith("h265")) >= 15


def _sps_pps() -> list[bytes]:
    """Baseline SPS (log2_max_frame_num 16, POC type 0 with 16-bit LSBs) and its PPS."""
    sps = BitWriter()
    sps.write_bits(66, 8)
    sps.write_bits(0, 8)
    sps.write_bits(30, 8)
    for value in (0, 12, 0, 12, 1):  # sps id, frame_num bits-4, poc type, poc bits-4, refs
        sps.write_ue(value)
    sps.write_flag(False)
    sps.write_ue(19)
    sps.write_ue(14)
    sps.write_bits(0b1100, 4)  # frame_mbs_only, direct_8x8, no cropping, no VUI
    pps = BitWriter()
    for value in (0, 0):
        pps.write_ue(value)
    pps.write_bits(0, 2)
    for value in (0, 0, 0):
        pps.write_ue(value)
    pps.write_bits(0, 3)
    for value in (0, 0, 0):
        pps.write_se(value)
    pps.write_bits(0, 3)  # no deblocking control, constrained intra or redundant_pic_cnt
    return [b"\x67" + escape_rbsp(sps.to_bytes(rbsp_trailing=True)),
            b"\x68" + escape_rbsp(pps.to_bytes(rbsp_trailing=True))]


def test_emulation_prevention_bytes_inside_the_header_are_counted() -> None:
    """A P slice with frame_num 0 and POC LSB 0 (16 bits each): its header RBSP holds
    ``00 00 00``, so the NAL unit carries emulation-prevention bytes inside the header."""
    header = BitWriter()
    for value in (0, 5, 0):  # first_mb_in_slice, slice_type P, pps id
        header.write_ue(value)
    header.write_bits(0, 16)  # frame_num
    header.write_bits(0, 16)  # pic_order_cnt_lsb
    header.write_bits(0, 3)  # override, list modification, adaptive marking flags
    header.write_se(0)  # slice_qp_delta
    bits = 7 + 16 + 16 + 3 + 1
    rbsp = header.to_bytes() + bytes(40) + b"\x80"
    nal = b"\x41" + escape_rbsp(rbsp)
    assert nal.count(b"\x00\x00\x03") > 1
    expected = 1 + escaped_length(nal[1:], (bits + 7) // 8)
    assert expected > 1 + (bits + 7) // 8  # the header's own bytes hold an EPB
    assert h264_slice.SliceHeaders(_sps_pps()).clear_size(nal) == expected


def test_escaped_length_skips_emulation_prevention() -> None:
    assert escaped_length(b"\x00\x00\x03\x01\x05", 3) == 4
    assert escaped_length(b"\x00\x00\x03\x01\x05", 2) == 2
    assert escaped_length(b"\x12\x00\x00\x03\x00\x00\x03\x00", 6) == 8


def test_headers_longer_than_the_first_prefix_are_read_again_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a prefix of each slice is unescaped first (speed); a header that runs past it
    is read again from the whole NAL unit, with the same answer."""
    monkeypatch.setattr(bits, "HEADER_PREFIX", 3)
    assert check(DATA / "clip_h264.h264", hevc=False) == 50
    assert check(DATA / "clip_h265.h265", hevc=True) == 50
