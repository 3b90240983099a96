"""A generated key outlives the recorder process (RC B.8.2, README "When keys change").

A real ``onvif-recorder serve`` subprocess records the camera with an AsymmetricEncryption
entry (an EC certificate from the keystore, no rotation), is killed with SIGKILL and
started again on the same data directory; the job resumes. Every segment, before and
after the restart, names the same KID and decrypts with the one content key unwrapped
from its AsymmetricKeySystemHeaderBox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from onvif_recorder.cli import main
from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recorder_process import RecorderProcess
from tests.integration.recording_support import configure_receiver, segments, wait_until
from tests.integration.test_encrypted_recording import frame_hashes, key_of
from tests.unit.cenc.certificates import ec_key, pem, self_signed

pytestmark = pytest.mark.slow


def test_generated_key_is_kept_across_a_kill_and_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = ec_key()
    with Camera() as camera, RecorderProcess(
            data, extra_args=("--segment-duration", "1")) as recorder:
        tds, _ = client(recorder, "device")  # type: ignore[arg-type]
        tas, _ = client(recorder, "keystore")  # type: ignore[arg-type]
        trc, _ = client(recorder, "recording")  # type: ignore[arg-type]
        trv, _ = client(recorder, "receiver")  # type: ignore[arg-type]
        certificate = tas.UploadCertificate(Certificate=self_signed(key)).CertificateID
        storage = tds.CreateStorageConfiguration(StorageConfiguration={
            "type": "NFS", "LocalPath": "/mnt/nfs", "StorageUri": "nfs://192.0.2.5/export"})
        entry = {"Mode": "CENC", "AsymmetricEncryption": {"CertificateID": [certificate]}}
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration(
            Target={"Storage": storage, "Format": "MP4", "SegmentDuration": "PT1S",
                    "Encryption": [entry]}))
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/av"))
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        assert wait_until(lambda: len(segments(data, recording)) >= 2, 30.0)
        recorder.kill9()
        before = set(segments(data, recording))
        recorder.start()
        assert wait_until(lambda: len(set(segments(data, recording)) - before) >= 2, 30.0)
        recorder.stop()
    files = segments(data, recording)
    after = [path for path in files if path not in before]
    assert before and after
    keys = {key_of(path, key) for path in files}
    assert len(keys) == 1  # one KID and content key on both sides of the restart
    ((_, content),) = keys
    key_file = tmp_path / "reader.pem"
    key_file.write_bytes(pem(key))
    out = tmp_path / "clear"
    assert main(["decrypt", *map(str, files), "--private-key", str(key_file),
                 "-o", str(out)]) == 0
    for path in files:
        ours = frame_hashes(out / path.name)
        assert ours and ours == frame_hashes(path, content)
