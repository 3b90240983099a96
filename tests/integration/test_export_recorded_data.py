"""ExportRecordedData end to end (RC §5.21-5.23): a recording made from the real test
camera, exported over SOAP (zeep from recording.wsdl) to a local LocalPath (the NFS mount
point case), moto S3 and Azurite; progress over a PullPoint; Stop; a failing store.
The files: PyAV decodes them to the same frames as the recording's own segments, the
signature verifies, TS-EFF EXPORT_FORMAT-1-1-1 holds."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from lxml import etree

from onvif_recorder.mp4.inspect import read_boxes
from onvif_recorder.service.export_signature import verify_export
from tests.camera import Camera
from tests.conftest import RunningRecorder
from tests.integration.event_client import Received, subscribe
from tests.integration.helpers import (
    auto_receiver_job,
    client,
    expect_fault,
    recording_configuration,
)
from tests.integration.recording_support import (
    configure_receiver,
    engine_recorder,
    ffprobe,
    segments,
    wait_until,
)
from tests.object_peers import Azurite, MotoS3
from tests.onvif_client import validate_body
from tests.stall_proxy import Mode, StallProxy
from tests.unit.export.ts_eff import CHECKS

pytestmark = pytest.mark.slow
TOPIC = "tns1:Monitoring/AsynchronousOperationStatus"


class Recorded:
    def __init__(self, recorder: RunningRecorder, recording: str, root: Path) -> None:
        self.recorder = recorder
        self.recording = recording
        self.root = root
        self.trc, self.rec = client(recorder, "recording")
        self.tds, _ = client(recorder, "device")

    def storage(self, configuration: dict[str, Any]) -> str:
        return str(self.tds.CreateStorageConfiguration(StorageConfiguration=configuration))

    def storage_behind(self, proxy: StallProxy, s3: MotoS3) -> str:
        """A storage configuration for the S3 peer that ``proxy`` stands in front of."""
        configuration = s3.storage_configuration()
        configuration["StorageUri"] = f"{proxy.endpoint}/recordings"
        return self.storage(configuration)

    def local_storage(self, name: str) -> tuple[str, Path]:
        directory = self.root / name
        directory.mkdir()
        return self.storage({"type": "NFS", "LocalPath": str(directory),
                             "StorageUri": "nfs://192.0.2.5/export"}), directory

    def export(self, storage: str, path: str = "cases/7", **extra: Any) -> Any:
        answer = self.trc.ExportRecordedData(
            SearchScope={"IncludedRecordings": [self.recording]}, FileFormat="ONVIF",
            StorageDestination={"StorageToken": storage, "RelativePath": path}, **extra)
        validate_body(self.rec.last)
        return answer

    def state(self, token: str) -> Any:
        answer = self.trc.GetExportRecordedDataState(OperationToken=token)
        validate_body(self.rec.last)
        return answer


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    root = tmp_path_factory.mktemp("export")
    data = root / "data"
    with Camera() as camera, engine_recorder(data) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration(
            Source={"SourceId": "urn:x", "Name": "Gate camera", "Location": "52.52,13.405",
                    "Description": "", "Address": "http://192.0.2.10/onvif/device_service"}))
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/av"))
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        assert wait_until(lambda: len(segments(data, recording)) >= 2, 20.0)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: not list(data.rglob("*.partial")), 5.0)
        time.sleep(0.5)  # the index row is completed right after the rename
        yield Recorded(recorder, recording, root)


def frame_hashes(paths: list[Path]) -> list[str]:
    hashes = []
    for path in paths:
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                digest = hashlib.sha256()
                for plane in frame.planes:
                    digest.update(bytes(plane))
                hashes.append(digest.hexdigest())
    return hashes


def finished(events: list[Received]) -> bool:
    return any(e.operation == "Deleted" for e in events)


def test_export_to_a_local_path_gives_a_signed_file_with_the_recordings_frames(
        recorded: Recorded) -> None:
    storage, directory = recorded.local_storage("nfs")
    pull = subscribe(recorded.recorder, TOPIC)
    answer = recorded.export(storage)
    [name] = answer.FileNames
    assert name.startswith(f"cases/7/{recorded.recording}-") and name.endswith("Z.mp4")
    events = pull.pull_until(finished, within=20.0)
    assert events[0].operation == "Initialized"
    assert events[-1].operation == "Deleted" and events[-1].data["Progress"] == "1"
    assert {e.source["Token"] for e in events} == {answer.OperationToken}
    assert all(e.source["OperationName"] == "ExportRecordedData" for e in events)
    assert any(e.operation == "Changed" and "FileProgressStatus" in e.elements for e in events)
    state = recorded.state(answer.OperationToken)
    assert state.Progress == 1.0
    assert [(f.FileName, f.Progress) for f in state.FileProgressStatus.FileProgress] == [
        (name, 1.0)]
    exported = directory / name
    data = exported.read_bytes()
    facts = verify_export(data)
    assert facts.operator == recorded.recorder.admin_user
    assert {s[1] for s in facts.sources} == {"Gate camera"}
    for check in CHECKS.values():
        check(data)
    moov = next(b for b in read_boxes(data) if b.name == "moov")
    assert moov.find("udta/loci") is not None  # the Source has a Location
    assert frame_hashes([exported]) == frame_hashes(
        segments(recorded.recorder.data_dir, recorded.recording))
    probed = ffprobe(exported)  # no warning on stderr either
    assert {s["codec_type"] for s in probed["streams"]} >= {"video", "audio"}
    assert not [p for p in directory.rglob("*") if p.name.endswith(".partial")]


def test_file_format_mp4_exports_the_frames_unsigned(recorded: Recorded) -> None:
    storage, directory = recorded.local_storage("plain")
    answer = recorded.trc.ExportRecordedData(
        SearchScope={"IncludedRecordings": [recorded.recording]}, FileFormat="MP4",
        StorageDestination={"StorageToken": storage})
    validate_body(recorded.rec.last)
    assert wait_until(lambda: recorded.state(answer.OperationToken).Progress == 1.0, 20.0)
    exported = directory / answer.FileNames[0]
    assert b"suep" not in exported.read_bytes()
    assert frame_hashes([exported]) == frame_hashes(
        segments(recorded.recorder.data_dir, recorded.recording))


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_export_to_object_storage(recorded: Recorded, kind: str, tmp_path: Path) -> None:
    peer: Any = MotoS3() if kind == "s3" else Azurite(tmp_path / "azurite")
    with peer:
        storage = recorded.storage(peer.storage_configuration())
        answer = recorded.export(storage, path="evidence")
        assert wait_until(lambda: recorded.state(answer.OperationToken).Progress == 1.0, 20.0)
        [stored] = peer.objects("evidence/")
        assert stored.key == answer.FileNames[0] and stored.content_type == "video/mp4"
        verify_export(stored.body)


def test_a_store_that_fails_is_retried_then_reported_never_complete(
        recorded: Recorded) -> None:
    with MotoS3() as s3, StallProxy(s3.port) as proxy:
        storage = recorded.storage_behind(proxy, s3)
        proxy.set_mode(Mode.REFUSE)
        pull = subscribe(recorded.recorder, TOPIC)
        answer = recorded.export(storage)
        events = pull.pull_until(finished, within=20.0)
        errors = [e for e in events if "Error" in e.elements]
        assert errors and "failed 3 times" in etree.tostring(errors[0].elements["Error"]).decode()
        assert recorded.state(answer.OperationToken).Progress < 1.0
        proxy.set_mode(Mode.PASS)
        assert s3.objects() == []


def test_an_unmounted_local_path_is_reported_and_not_created(recorded: Recorded) -> None:
    missing = recorded.root / "not-mounted"
    storage = recorded.storage({"type": "CIFS", "LocalPath": str(missing),
                                "StorageUri": "cifs://192.0.2.5/evidence"})
    pull = subscribe(recorded.recorder, TOPIC)
    answer = recorded.export(storage)
    events = pull.pull_until(finished, within=20.0)
    errors = [e for e in events if "Error" in e.elements]
    assert errors and "is the share mounted" in etree.tostring(
        errors[0].elements["Error"]).decode()
    assert recorded.state(answer.OperationToken).Progress == 0.0
    assert not missing.exists()


def test_a_store_that_comes_back_gets_the_file_on_a_retry(
        recorded: Recorded, caplog: pytest.LogCaptureFixture) -> None:
    with MotoS3() as s3, StallProxy(s3.port) as proxy:
        storage = recorded.storage_behind(proxy, s3)
        proxy.set_mode(Mode.REFUSE)
        answer = recorded.export(storage, path="retry")
        assert wait_until(lambda: "(attempt 1 of 3)" in caplog.text, 10.0)
        assert recorded.state(answer.OperationToken).Progress < 1.0
        proxy.set_mode(Mode.PASS)
        assert wait_until(lambda: recorded.state(answer.OperationToken).Progress == 1.0, 10.0)
        [stored] = s3.objects("retry/")
        verify_export(stored.body)


def test_stop_in_the_middle_leaves_no_file(recorded: Recorded) -> None:
    with MotoS3() as s3, StallProxy(s3.port) as proxy:
        storage = recorded.storage_behind(proxy, s3)
        proxy.set_mode(Mode.SILENT)
        answer = recorded.export(storage)
        assert wait_until(lambda: recorded.state(answer.OperationToken).Progress >= 0.5, 10.0)
        stopped = recorded.trc.StopExportRecordedData(OperationToken=answer.OperationToken)
        validate_body(recorded.rec.last)
        assert 0.0 < stopped.Progress < 1.0
        proxy.set_mode(Mode.PASS)
        assert s3.objects() == []


def test_bad_requests_get_the_faults_the_spec_names(recorded: Recorded) -> None:
    storage, _ = recorded.local_storage("faults")
    scope = {"IncludedRecordings": [recorded.recording]}
    trc, rec = recorded.trc, recorded.rec
    expect_fault(trc.ExportRecordedData, SearchScope=scope, FileFormat="AVI",
                 StorageDestination={"StorageToken": storage},
                 chain=["Sender", "InvalidArgVal", "BadConfiguration"], rec=rec)
    expect_fault(trc.ExportRecordedData, SearchScope=scope, FileFormat="ONVIF",
                 StorageDestination={"StorageToken": "nope"},
                 chain=["Sender", "InvalidArgVal", "InvalidStorage"], rec=rec)
    expect_fault(trc.ExportRecordedData, SearchScope=scope, FileFormat="ONVIF",
                 StartPoint="2026-01-02T00:00:00Z", EndPoint="2026-01-01T00:00:00Z",
                 StorageDestination={"StorageToken": storage},
                 chain=["Sender", "InvalidArgVal", "BadDuration"], rec=rec)
    expect_fault(trc.ExportRecordedData, SearchScope=scope, FileFormat="ONVIF",
                 StorageDestination={"StorageToken": storage, "RelativePath": "../x"},
                 chain=["Sender", "InvalidArgVal", "InvalidStorage"], rec=rec)


def test_the_export_and_verify_commands(recorded: Recorded, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "onvif_recorder"]
    target = tmp_path / "evidence.mp4"
    run = subprocess.run([*command, "export", recorded.recording, "--data-dir",
                          str(recorded.recorder.data_dir), "--output", str(target),
                          "--operator", "investigator"],
                         capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(target) and "100.0%" in run.stderr
    checked = subprocess.run([*command, "verify", str(target)], capture_output=True,
                             text=True, check=False, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert "signature OK" in checked.stdout and "'investigator'" in checked.stdout
    assert "'Gate camera'" in checked.stdout and "(cstb)" in checked.stdout
    assert frame_hashes([target]) == frame_hashes(
        segments(recorded.recorder.data_dir, recorded.recording))
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # inside the media
    target.write_bytes(bytes(data))
    tampered = subprocess.run([*command, "verify", str(target)], capture_output=True,
                              text=True, check=False, timeout=60)
    assert tampered.returncode == 1 and "NOT VERIFIED" in tampered.stderr


def test_delete_recording_waits_for_the_export_of_it(recorded: Recorded) -> None:
    """RC §5.21; last in this module: it deletes the recording the others export."""
    with MotoS3() as s3, StallProxy(s3.port) as proxy:
        storage = recorded.storage_behind(proxy, s3)
        proxy.set_mode(Mode.SILENT)
        answer = recorded.export(storage)
        assert wait_until(lambda: recorded.state(answer.OperationToken).Progress >= 0.5, 10.0)
        trc, _ = client(recorded.recorder, "recording")  # a client of its own: another thread
        deleting = threading.Thread(
            target=lambda: trc.DeleteRecording(RecordingToken=recorded.recording))
        deleting.start()
        time.sleep(1.0)
        assert deleting.is_alive()
        assert recorded.recording in {r.RecordingToken for r in recorded.trc.GetRecordings()}
        recorded.trc.StopExportRecordedData(OperationToken=answer.OperationToken)
        deleting.join(10.0)
        assert not deleting.is_alive()
        assert recorded.recording not in {
            r.RecordingToken for r in recorded.trc.GetRecordings() or []}
