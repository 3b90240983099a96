"""Common Encryption boxes, byte for byte (ISO/IEC 23001-7 §8; RC B.8.1)."""

from __future__ import annotations

from onvif_recorder.cenc.boxes import (
    SampleAuxInfo,
    SampleEncryption,
    TrackEncryptionInfo,
    sinf,
    tenc,
    w3c_pssh,
)
from onvif_recorder.cenc.subsamples import Subsample
from onvif_recorder.mp4.fields import FieldReader
from onvif_recorder.mp4.fragment import FragmentSample, TrackRun, encode_fragment
from onvif_recorder.mp4.inspect import read_boxes

KID = bytes.fromhex("0123456789abcdef0123456789abcdef")


def test_w3c_pssh_is_the_eme_initdata_layout() -> None:
    expected = bytes.fromhex(
        "00000034" "70737368" "01000000"
        "1077efecc0b24d02ace33c1e52e2fb4b"
        "00000001" "0123456789abcdef0123456789abcdef"
        "00000000")
    assert w3c_pssh([KID, KID]) == expected  # one KID per distinct key (B.8.1.2)


def test_tenc_cenc_version_0_with_eight_byte_ivs() -> None:
    expected = bytes.fromhex("00000020" "74656e63" "00000000" "00" "00" "01" "08") + KID
    assert tenc(TrackEncryptionInfo("cenc", KID, 8)) == expected


def test_tenc_cbcs_version_1_pattern_and_constant_iv() -> None:
    iv = bytes(range(16))
    box = tenc(TrackEncryptionInfo("cbcs", KID, 0, 1, 9, iv))
    assert box[8:12] == b"\x01\x00\x00\x00"
    assert box[12:16] == bytes([0, 0x19, 1, 0])
    assert box[16:32] == KID and box[32] == 16 and box[33:] == iv


def test_sinf_names_the_original_format_and_scheme() -> None:
    boxes = read_boxes(sinf("avc1", TrackEncryptionInfo("cenc", KID, 8)))
    assert [b.name for b in boxes[0].children] == ["frma", "schm", "schi"]
    frma, schm, schi = boxes[0].children
    assert frma.payload == b"avc1"
    assert schm.payload == b"\x00\x00\x00\x00cenc\x00\x01\x00\x00"
    assert schi.children[0].name == "tenc"


def test_saio_points_at_the_first_iv_of_each_tracks_senc() -> None:
    def run(track_id: int, ivs: list[bytes], subsamples: bool) -> TrackRun:
        entries = tuple(SampleAuxInfo(iv, (Subsample(5, 16),) if subsamples else ())
                        for iv in ivs)
        samples = [FragmentSample(bytes(21), 10, True) for _ in ivs]
        return TrackRun(track_id, 0, samples, SampleEncryption(entries, subsamples))

    runs = [run(1, [b"A" * 8, b"B" * 8], True), run(2, [b"C" * 8], False)]
    data = encode_fragment(3, runs).data
    moof = read_boxes(data)[0]
    for traf, first_iv, size in zip(moof.find_all("traf"), (b"A" * 8, b"C" * 8), (16, 8),
                                    strict=True):
        names = [b.name for b in traf.children]
        assert names[-3:] == ["saiz", "saio", "senc"]
        saio = FieldReader(traf.children[-2].payload)
        saio.full()
        assert saio.uint(4) == 1
        offset = saio.uint(4)
        assert data[moof.offset + offset:moof.offset + offset + 8] == first_iv
        saiz = traf.children[-3].payload
        assert saiz[4] == size  # default_sample_info_size: IV (+ 2 + 6 per subsample)
