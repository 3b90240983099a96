"""Encrypted recording live (RC B.8, B.8.2): the real camera recorded to local disk with an
AsymmetricEncryption entry (an EC certificate from the keystore, KeyRotationDuration
PT3S). ``onvif-recorder decrypt --private-key`` turns each segment into clear MP4, and
its frames hash-equal those PyAV (FFmpeg's decryptor) gets from the encrypted segment
with the content key unwrapped from the segment's AsymmetricKeySystemHeaderBox."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import av
import pytest

from onvif_recorder.cenc import asymmetric
from onvif_recorder.cli import main
from onvif_recorder.mp4.inspect import find, read_boxes
from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import (
    configure_receiver,
    engine_recorder,
    segments,
    wait_until,
)
from tests.unit.cenc.certificates import ec_key, pem, self_signed

pytestmark = pytest.mark.slow


def key_of(path: Path, private: asymmetric.PrivateKey) -> tuple[bytes, bytes]:
    """(KID, content key) from the segment's boxes: W3C pssh first, then B.8.2's."""
    moov = find(read_boxes(path.read_bytes()), "moov")
    assert moov is not None
    w3c, onvif = moov.find_all("pssh")
    kid, (entry,) = asymmetric.parse(onvif.payload)
    assert w3c.payload[24:40] == kid
    return kid, asymmetric.unwrap(entry, private)


def frame_hashes(path: Path, key: bytes | None = None) -> list[str]:
    options = {"decryption_key": key.hex()} if key else {}
    with av.open(str(path), options=options) as container:
        return [hashlib.md5(b"".join(bytes(p) for p in frame.planes)).hexdigest()
                for frame in container.decode(container.streams.video[0])]


def test_asymmetric_rotating_recording_decrypts_with_the_private_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = ec_key()
    with Camera() as camera, engine_recorder(data) as recorder:
        tds, _ = client(recorder, "device")
        tas, _ = client(recorder, "keystore")
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        certificate = tas.UploadCertificate(Certificate=self_signed(key)).CertificateID
        storage = tds.CreateStorageConfiguration(StorageConfiguration={
            "type": "NFS", "LocalPath": "/mnt/nfs", "StorageUri": "nfs://192.0.2.5/export"})
        entry = {"Mode": "CENC", "AsymmetricEncryption": {
            "CertificateID": [certificate], "KeyRotationDuration": "PT3S"}}
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration(
            Target={"Storage": storage, "Format": "MP4", "SegmentDuration": "PT2S",
                    "Encryption": [entry]}))
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/av"))
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        assert wait_until(lambda: len(segments(data, recording)) >= 4, 30.0)
        time.sleep(0.5)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: not list((data / "media").rglob("*.partial")), 10.0)
    files = segments(data, recording)
    keys = [key_of(path, key) for path in files]
    assert len({kid for kid, _ in keys}) >= 2  # a new key every 3 s, at segment boundaries
    key_file = tmp_path / "reader.pem"
    key_file.write_bytes(pem(key))
    out = tmp_path / "clear"
    assert main(["decrypt", *map(str, files), "--private-key", str(key_file),
                 "-o", str(out)]) == 0
    for index, (path, (_, content)) in enumerate(zip(files, keys, strict=True)):
        ours = frame_hashes(out / path.name)
        assert ours == frame_hashes(path, content)
        assert len(ours) >= (25 if index < len(files) - 1 else 1)  # Idle cut the last one
