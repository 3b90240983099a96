"""Playback over HTTP and export of recordings uploaded to object storage (moto S3,
Azurite): once the spool has drained, every part is read back from the store, and the
frames decoded through the HLS playlist, and those of an ExportRecordedData file, are those
of the uploaded objects (MP4: video and audio in one object; CMAF: the ``m4v`` objects)."""

from __future__ import annotations

import time
from pathlib import Path

import av
import pytest

from tests.camera import Camera
from tests.conftest import RunningRecorder
from tests.integration.helpers import client
from tests.integration.recording_support import engine_recorder, wait_until
from tests.integration.test_data_deletion import rows
from tests.integration.test_object_storage import drained, recording_jobs
from tests.integration.test_playback_http import BASIC, frame_hashes
from tests.object_peers import Azurite, MotoS3

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("peer", ["s3", "azure"])
def test_uploaded_recordings_play_and_export_from_the_store(tmp_path: Path, peer: str) -> None:
    data = tmp_path / "data"
    store: MotoS3 | Azurite = MotoS3() if peer == "s3" else Azurite(tmp_path / "azurite")
    with store, Camera() as camera, engine_recorder(data) as recorder:
        with recording_jobs(recorder, store.storage_configuration(), camera):
            time.sleep(8.0)
        assert drained(data, 20.0)
        assert not [p for p in (data / "spool").rglob("*") if p.is_file()]
        bodies = {o.key: o.body for o in store.objects()}
        trc, _ = client(recorder, "recording")
        for item in trc.GetRecordings():
            token = item.RecordingToken
            segments = [r for r in rows(data, token) if r.extension in ("mp4", "m4v")]
            assert len(segments) >= 2
            expected: list[str] = []
            for row in segments:
                (tmp_path / "object.mp4").write_bytes(bodies[row.key])
                with av.open(str(tmp_path / "object.mp4")) as container:
                    expected += frame_hashes(container)
            playlist = f"{recorder.url}/recordings/{token}/hls/index.m3u8"
            with av.open(playlist, options={"headers": BASIC}, timeout=20) as container:
                assert frame_hashes(container) == expected
            assert exported_frames(recorder, token, tmp_path / f"nfs-{token}") == expected


def exported_frames(recorder: RunningRecorder, token: str, directory: Path) -> list[str]:
    """ExportRecordedData of the whole recording to a LocalPath: the video frames."""
    directory.mkdir()
    trc, _ = client(recorder, "recording")
    tds, _ = client(recorder, "device")
    storage = tds.CreateStorageConfiguration(StorageConfiguration={
        "type": "NFS", "LocalPath": str(directory), "StorageUri": "nfs://192.0.2.5/x"})
    answer = trc.ExportRecordedData(
        SearchScope={"IncludedRecordings": [token]}, FileFormat="ONVIF",
        StorageDestination={"StorageToken": storage, "RelativePath": "case"})
    assert wait_until(lambda: trc.GetExportRecordedDataState(
        OperationToken=answer.OperationToken).Progress == 1.0, 30.0)
    state = trc.GetExportRecordedDataState(OperationToken=answer.OperationToken)
    names = [f.FileName for f in state.FileProgressStatus.FileProgress]
    assert names[0] == answer.FileNames[0]
    hashes: list[str] = []
    for name in names:  # a CMAF recording: the video file, then the audio one
        with av.open(str(directory / name)) as container:
            if container.streams.video:
                hashes += frame_hashes(container)
            else:
                assert next(container.decode(audio=0), None) is not None
    return hashes
