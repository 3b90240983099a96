"""``onvif-recorder decrypt`` and the asymmetric key system end to end (RC B.8.2): a
recording encrypted for RSA and EC certificates with key rotation, decrypted with either
private key into files that PyAV decodes, with no key, to the clear recording's frames."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from onvif_recorder.cenc import asymmetric
from onvif_recorder.cenc.policy import EncryptionPolicy, EntryPolicy, StaticKey
from onvif_recorder.cenc.rotation import RotatingKey
from onvif_recorder.cli import main
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import find, read_boxes
from onvif_recorder.mp4.segmenter import SegmenterConfig
from tests.unit.cenc.certificates import ec_key, pem, rsa_key, self_signed
from tests.unit.mp4.test_encrypted_decode import KEY, av_streams, frame_hashes, write

W3C = bytes.fromhex("1077efecc0b24d02ace33c1e52e2fb4b")


def pssh_of(path: Path) -> list[bytes]:
    moov = find(read_boxes(path.read_bytes()), "moov")
    assert moov is not None
    return [box.payload for box in moov.find_all("pssh")]


def test_rotating_asymmetric_recording_decrypts_with_either_private_key(
        tmp_path: Path) -> None:
    rsa_private, ec_private = rsa_key(), ec_key()
    recipients = [asymmetric.Recipient.from_certificate(self_signed(k))
                  for k in (rsa_private, ec_private)]
    source = RotatingKey(recipients, rotation=1.0)
    tracks, samples = av_streams()
    clear = write(tmp_path, "clear", tracks, samples,
                  SegmenterConfig(format=Brand.MP4, segment_duration=1.0))["mp4"]
    policy = EncryptionPolicy([EntryPolicy("CENC", source)])
    secret = write(tmp_path, "enc", tracks, samples,
                   SegmenterConfig(format=Brand.MP4, segment_duration=1.0,
                                   encryption=policy))["mp4"]
    assert len(secret) == 2
    kids = []
    for path in secret:
        w3c, onvif = pssh_of(path)  # the W3C box first, then one per KID (B.8.2)
        assert w3c[4:20] == W3C and onvif[4:20] == asymmetric.SYSTEM_ID
        kid, entries = asymmetric.parse(onvif)
        assert w3c[24:40] == kid and [e.version for e in entries] == [1, 2]
        kids.append(kid)
    assert kids[0] != kids[1]  # one second per key: each segment has its own
    for name, private in (("rsa", rsa_private), ("ec", ec_private)):
        key_file = tmp_path / f"{name}.pem"
        key_file.write_bytes(pem(private))
        out = tmp_path / name
        assert main(["decrypt", *map(str, secret), "--private-key", str(key_file),
                     "-o", str(out)]) == 0
        for plain, encrypted in zip(clear, secret, strict=True):
            decrypted = out / encrypted.name
            assert pssh_of(decrypted) == []
            for kind in ("video", "audio"):
                assert frame_hashes(decrypted, kind, None) == frame_hashes(plain, kind, None)


def test_decrypt_with_a_content_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tracks, samples = av_streams()
    config = SegmenterConfig(format=Brand.CMAF, segment_duration=10.0)
    (plain,) = write(tmp_path, "clear", tracks, samples, config)["m4v"]
    policy = EncryptionPolicy([EntryPolicy("CENC", StaticKey(KEY))])
    (secret,) = write(tmp_path, "enc", tracks, samples,
                      SegmenterConfig(format=Brand.CMAF, segment_duration=10.0,
                                      encryption=policy))["m4v"]
    assert main(["decrypt", str(secret), "--key", f"{KEY.kid.hex()}:{KEY.key.hex()}"]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written == secret.with_name(secret.stem + ".clear.m4v")
    assert frame_hashes(written, "video", None) == frame_hashes(plain, "video", None)
    assert main(["decrypt", str(secret), "--key", "00" * 16, "-o",
                 str(tmp_path / "wrong.m4v")]) == 0  # a wrong key still "decrypts"...
    wrong = tmp_path / "wrong.m4v"
    assert frame_hashes_or_none(wrong) != frame_hashes(plain, "video", None)  # ...to garbage
    assert main(["decrypt", str(secret), "--key", f"{'11' * 16}:{KEY.key.hex()}"]) == 1
    assert "no key for KID" in capsys.readouterr().err


def frame_hashes_or_none(path: Path) -> list[str] | None:
    try:
        return frame_hashes(path, "video", None)
    except av.error.FFmpegError:  # garbage may fail to decode at all
        return None
