"""Exp-Golomb and emulation prevention (H.264 §9.1, §7.4.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.codecs.bits import BitReader, BitWriter, escape_rbsp, unescape_rbsp
from onvif_recorder.codecs.errors import BitstreamError


def test_ue_known_codes() -> None:
    # H.264 Table 9-2: 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3
    reader = BitReader(bytes([0b1010_0110, 0b0100_0000]))
    assert [reader.read_ue() for _ in range(4)] == [0, 1, 2, 3]


@given(st.lists(st.integers(-(2**20), 2**20), max_size=20), st.lists(st.integers(0, 2**20)))
def test_exp_golomb_round_trip(signed: list[int], unsigned: list[int]) -> None:
    writer = BitWriter()
    for value in signed:
        writer.write_se(value)
    for value in unsigned:
        writer.write_ue(value)
    reader = BitReader(writer.to_bytes())
    assert [reader.read_se() for _ in signed] == signed
    assert [reader.read_ue() for _ in unsigned] == unsigned


def test_reading_past_the_end_raises_bitstream_error() -> None:
    reader = BitReader(b"\x00")
    with pytest.raises(BitstreamError, match="truncated"):
        reader.read_ue()


def test_exp_golomb_longer_than_32_bits_is_refused() -> None:
    with pytest.raises(BitstreamError, match="longer than 32 bits"):
        BitReader(bytes(8)).read_ue()


def test_unescape_removes_emulation_prevention_bytes() -> None:
    assert unescape_rbsp(b"\x00\x00\x03\x01\x00\x00\x03\x00") == b"\x00\x00\x01\x00\x00\x00"


@given(st.binary(max_size=200))
def test_escape_then_unescape_is_identity(data: bytes) -> None:
    escaped = escape_rbsp(data)
    for marker in (b"\x00\x00\x00", b"\x00\x00\x01", b"\x00\x00\x02"):
        assert marker not in escaped
    assert unescape_rbsp(escaped) == data
