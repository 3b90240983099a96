"""Object-storage recordings in the segment index: what was uploaded is indexed, and
"Incompatible Stream" (RC §5.19) holds across a restart for them too.

The real camera (``/h264``, then ``/h265``) records through moto S3; a second recorder
process on the same data directory must refuse H.265 into the track that holds H.264
without having seen any of it itself: only the index remembers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from onvif_recorder.storage.segment_index import Location, SegmentIndex
from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import configure_receiver, engine_recorder, wait_until
from tests.integration.test_object_storage import drained
from tests.object_peers import MotoS3

pytestmark = pytest.mark.slow


def index_rows(data: Path, recording: str) -> list[Any]:
    index = SegmentIndex(data / "recorder.sqlite3")
    try:
        return index.segments(recording)
    finally:
        index.close()


def video_state(trc: Any, job: str) -> tuple[str, str | None]:
    source = trc.GetRecordingJobState(JobToken=job).Sources[0]
    found = {t.Destination: (t.State, t.Error) for t in source.Tracks.Track}
    return found["VIDEO001"]


def test_object_segments_are_indexed_and_incompatible_stream_survives_restart(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    with MotoS3() as s3, Camera() as camera:
        with engine_recorder(data, segment_duration=1.0) as recorder:
            tds, _ = client(recorder, "device")
            trc, _ = client(recorder, "recording")
            trv, _ = client(recorder, "receiver")
            storage = tds.CreateStorageConfiguration(
                StorageConfiguration=s3.storage_configuration())
            target = {"Storage": storage, "Format": "MP4", "Prefix": "site", "Postfix": "cam",
                      "SegmentDuration": "PT1S"}
            recording = trc.CreateRecording(
                RecordingConfiguration=recording_configuration(Target=target))
            job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
            receiver = job.JobConfiguration.Source[0].SourceToken.Token
            configure_receiver(trv, receiver, camera.url("/h264"))
            trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
            assert wait_until(lambda: sum(r.complete for r in index_rows(data, recording))
                              >= 3, 15.0)
            trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
            assert drained(data, 20.0)
            uploaded = {o.key for o in s3.objects() if not o.key.endswith("_end")}
        rows = index_rows(data, recording)
        assert {r.key for r in rows} == uploaded
        assert all(r.location is Location.OBJECT and r.storage == storage and r.complete
                   for r in rows)
        assert {r.codecs["VIDEO001"] for r in rows} == {"avc1"}
        assert not (data / "media" / recording).exists()  # nothing went to local storage

        with engine_recorder(data, segment_duration=1.0) as recorder:
            trc, _ = client(recorder, "recording")
            trv, _ = client(recorder, "receiver")
            configure_receiver(trv, receiver, camera.url("/h265"))
            trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
            incompatible = ("Error", "Incompatible Stream")
            assert wait_until(lambda: video_state(trc, job.JobToken) == incompatible, 10.0), \
                video_state(trc, job.JobToken)
            trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert {r.codecs.get("VIDEO001") for r in index_rows(data, recording)} == {"avc1"}
