"""The ``cenc`` sample cipher and subsample maps (ISO/IEC 23001-7 §9.5, §10.1)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from onvif_recorder.cenc import cipher
from onvif_recorder.cenc.subsamples import NalLayout, Subsample, video_subsamples
from onvif_recorder.codecs import h264, h265

# NIST SP 800-38A F.5.1 CTR-AES128.Encrypt, first block.
NIST_KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
NIST_COUNTER = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
NIST_PLAIN = bytes.fromhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
NIST_CIPHER = bytes.fromhex("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff")

AVC = NalLayout(4, 1, h264.is_vcl)
HEVC = NalLayout(4, 2, h265.is_vcl)


def nal(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + payload


def test_full_sample_matches_nist_vector() -> None:
    assert cipher.apply(NIST_KEY, NIST_COUNTER, NIST_PLAIN, []) == NIST_CIPHER


def test_eight_byte_iv_counts_blocks_from_zero() -> None:
    iv = bytes(range(8))
    expected = Cipher(algorithms.AES(NIST_KEY), modes.CTR(iv + bytes(8))).encryptor().update(
        NIST_PLAIN)
    assert cipher.apply(NIST_KEY, iv, NIST_PLAIN, []) == expected


def test_protected_ranges_form_one_key_stream() -> None:
    iv = bytes(8)
    sample = bytes(range(100))
    pairs = [Subsample(5, 32), Subsample(10, 48), Subsample(5, 0)]
    out = cipher.apply(NIST_KEY, iv, sample, pairs)
    stream = cipher.apply(NIST_KEY, iv, sample[5:37] + sample[47:95], [])
    assert out[:5] == sample[:5] and out[37:47] == sample[37:47] and out[95:] == sample[95:]
    assert out[5:37] + out[47:95] == stream
    assert cipher.apply(NIST_KEY, iv, out, pairs) == sample  # CTR is its own inverse


def test_h264_parameter_sets_clear_slices_protected_in_whole_blocks() -> None:
    sps, pps = nal(b"\x67" + bytes(20)), nal(b"\x68" + bytes(5))
    idr = nal(b"\x65" + bytes(100))
    pairs = video_subsamples(sps + pps + idr, AVC)
    # 100 slice bytes after the header: 96 protected, 4 more stay clear.
    assert pairs == [Subsample(len(sps) + len(pps) + 4 + 1 + 4, 96)]
    assert sum(p.clear + p.protected for p in pairs) == len(sps + pps + idr)


def test_h265_keeps_two_byte_header_clear_and_trailing_sei_clear() -> None:
    slice_ = nal(bytes([1 << 1, 1]) + bytes(34))  # TRAIL_R, 34 bytes of slice data
    sei = nal(bytes([40 << 1, 1]) + bytes(3))  # suffix SEI
    assert video_subsamples(slice_ + sei, HEVC) == [Subsample(4 + 2 + 2, 32),
                                                    Subsample(len(sei), 0)]


def test_long_clear_runs_split_at_sixteen_bits() -> None:
    sei = nal(b"\x06" + bytes(70_000))
    idr = nal(b"\x65" + bytes(32))
    pairs = video_subsamples(sei + idr, AVC)
    assert pairs[0] == Subsample(0xFFFF, 0)
    assert pairs[-1].protected == 32
    assert sum(p.clear + p.protected for p in pairs) == len(sei + idr)


def test_truncated_nal_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="past the end"):
        video_subsamples(nal(b"\x65" + bytes(10))[:-1], AVC)
