"""``cbcs`` segments (RC B.8, ISO/IEC 23001-7 §10.4) read back by independent decryptors.

PyAV, Debian's ffmpeg CLI and ``onvif-recorder decrypt``'s reader decrypt video and audio
to frames that hash-equal the clear recording, Shaka Packager the video (H.264, H.265;
MP4 and CMAF). Shaka Packager v3.8.0 crashes (SIGSEGV) on ``cbcs`` audio with per-sample
IVs, which B.8's unique IV per fragment makes us write (README, "Encrypted recording").
The keyless decode must differ.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from onvif_recorder.cenc import reader
from onvif_recorder.cenc.boxes import TrackEncryptionInfo, tenc
from onvif_recorder.cenc.policy import EncryptionPolicy, EntryPolicy, StaticKey
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import ParsedBox, find, read_boxes
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import SegmenterConfig
from tests.unit.mp4 import media
from tests.unit.mp4.test_encrypted_decode import (
    KEY,
    assert_decrypts_to_clear,
    decodes_without_key_to,
    ffmpeg_framemd5,
    frame_hashes,
    shaka_decrypt,
    write,
)

CBCS = EncryptionPolicy([EntryPolicy("CBCS", StaticKey(KEY))])


def h264_and_aac() -> tuple[list[TrackInfo], list[TrackSample]]:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2, offset=0.01)
    return [video, audio], media.merge(video_samples, audio_samples)


def both(tmp_path: Path, tracks: list[TrackInfo], samples: list[TrackSample],
         fmt: Brand, duration: float) -> tuple[dict[str, list[Path]], dict[str, list[Path]]]:
    clear = write(tmp_path, "clear", tracks, samples,
                  SegmenterConfig(format=fmt, segment_duration=duration))
    secret = write(tmp_path, "enc", tracks, samples,
                   SegmenterConfig(format=fmt, segment_duration=duration, encryption=CBCS))
    return clear, secret


def test_mp4_cbcs_decrypts_in_pyav_and_ffmpeg(tmp_path: Path) -> None:
    tracks, samples = h264_and_aac()
    clear, secret = both(tmp_path, tracks, samples, Brand.MP4, 1.0)
    assert len(secret["mp4"]) == len(clear["mp4"]) == 2
    assert_decrypts_to_clear(clear["mp4"], secret["mp4"])


@pytest.mark.parametrize("fmt", [Brand.MP4, Brand.CMAF])
def test_shaka_packager_decrypts_cbcs_video(tmp_path: Path, fmt: Brand) -> None:
    tracks, samples = h264_and_aac()
    clear, secret = both(tmp_path, tracks, samples, fmt, 100.0)
    extension = "mp4" if fmt is Brand.MP4 else "m4v"
    decrypted = shaka_decrypt(secret[extension][0], "video", tmp_path / "video.mp4")
    expected = frame_hashes(clear[extension][0], "video", None)
    assert len(expected) > 20
    assert frame_hashes(decrypted, "video", None) == expected


def test_h265_cbcs_decrypts_in_every_decryptor(tmp_path: Path) -> None:
    video, samples = media.h265_track(1)
    clear, secret = both(tmp_path, [video], samples, Brand.MP4, 100.0)
    (plain,), (encrypted,) = clear["mp4"], secret["mp4"]
    expected = frame_hashes(plain, "video", None)
    assert len(expected) > 10
    assert frame_hashes(encrypted, "video", KEY.key) == expected
    assert ffmpeg_framemd5(encrypted, KEY.key, "v") == ffmpeg_framemd5(plain, None, "v")
    decrypted = shaka_decrypt(encrypted, "video", tmp_path / "shaka.mp4")
    assert frame_hashes(decrypted, "video", None) == expected
    assert not decodes_without_key_to(encrypted, expected)


def test_our_reader_restores_the_clear_samples(tmp_path: Path) -> None:
    tracks, samples = h264_and_aac()
    clear, secret = both(tmp_path, tracks, samples, Brand.MP4, 100.0)
    (plain,), (encrypted,) = clear["mp4"], secret["mp4"]
    restored = tmp_path / "restored.mp4"
    restored.write_bytes(reader.decrypt(encrypted.read_bytes(), {KEY.kid: KEY.key}.get))
    for kind in ("video", "audio"):
        assert frame_hashes(restored, kind, None) == frame_hashes(plain, kind, None)


def test_cbcs_boxes_say_pattern_and_per_sample_ivs(tmp_path: Path) -> None:
    """``schm 'cbcs'``; ``tenc`` version 1 with 1:9 for video and 0:0 for audio, 16-byte
    per-sample IVs; every ``senc`` IV in a segment differs (B.8: unique per fragment)."""
    tracks, samples = h264_and_aac()
    _, secret = both(tmp_path, tracks, samples, Brand.MP4, 100.0)
    boxes = read_boxes(secret["mp4"][0].read_bytes())
    moov = find(boxes, "moov")
    assert moov is not None
    tencs = [b.payload for b in _all(moov.children) if b.name == "tenc"]
    schms = [b.payload[4:8] for b in _all(moov.children) if b.name == "schm"]
    assert schms == [b"cbcs", b"cbcs"]
    assert [t[0] for t in tencs] == [1, 1] and [t[5] for t in tencs] == [0x19, 0x00]
    assert [t[7] for t in tencs] == [16, 16]
    assert tencs[0][8:24] == KEY.kid
    ivs = [iv for moof in boxes if moof.name == "moof"
           for traf in moof.find_all("traf") for iv in _senc_ivs(traf)]
    assert len(ivs) > 60 and len(set(ivs)) == len(ivs)


def test_tenc_version_1_golden() -> None:
    info = TrackEncryptionInfo("cbcs", KEY.kid, 16, 1, 9)
    assert tenc(info).hex() == (
        "00000020" "74656e63" "01000000" "00" "19" "01" "10" + KEY.kid.hex())


def _all(boxes: list[ParsedBox]) -> list[ParsedBox]:
    found = []
    for box in boxes:
        found.append(box)
        found += _all(box.children)
    return found


def _senc_ivs(traf: ParsedBox) -> list[bytes]:
    senc = traf.find("senc")
    assert senc is not None
    payload = senc.payload
    count, flags = int.from_bytes(payload[4:8], "big"), payload[3]
    position, ivs = 8, []
    for _ in range(count):
        ivs.append(payload[position:position + 16])
        position += 16
        if flags & 2:
            pairs = int.from_bytes(payload[position:position + 2], "big")
            position += 2 + 6 * pairs
    return ivs
