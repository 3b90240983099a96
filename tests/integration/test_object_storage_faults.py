"""Nothing lost when the store is down or the recorder dies (RC Annex B, issue 7).

* S3 stopped for 20 s in the middle of a recording, then started again on the same
  port: every segment arrives, in order per span, none twice (uploads counted by the
  recorder equal the objects stored), and the spool empties.
* ``kill -9`` of a recorder process while uploads are pending (the store is down):
  after a restart with the store back, every object journalled before the kill is
  uploaded (the segment being built repaired, its span given its end object) and the
  spool is empty.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from onvif_recorder.upload_status import read_status
from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.object_checks import check_span, spans
from tests.integration.recorder_process import RecorderProcess
from tests.integration.recording_support import configure_receiver, engine_recorder, wait_until
from tests.integration.test_object_storage import (
    SOURCE,
    drained,
    layout,
    recording_jobs,
)
from tests.object_peers import MotoS3

pytestmark = pytest.mark.slow
OUTAGE = 20.0


def pending(data: Path) -> int:
    return sum(s.pending_objects for s in read_status(data / "recorder.sqlite3"))


def test_s3_outage_mid_recording(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with MotoS3() as s3, Camera() as camera, \
            engine_recorder(data, upload_backoff_max=2.0) as recorder:
        with recording_jobs(recorder, s3.storage_configuration(), camera, ("MP4",)):
            time.sleep(6.0)
            s3.stop()
            time.sleep(OUTAGE)
            during = read_status(data / "recorder.sqlite3")
            assert during[0].pending_objects >= 3 and during[0].last_error, during
            s3.start()  # same port: the recorder's configuration still points there
            time.sleep(4.0)
        assert drained(data, 20.0), read_status(data / "recorder.sqlite3")
        objects = s3.objects()
    (status,) = read_status(data / "recorder.sqlite3")
    assert status.uploaded_objects == len(objects) and status.dropped_objects == 0
    found = spans(objects, layout("MP4"))
    assert sum(len(span.segments) for span in found) >= 5  # 30 s of PT5S segments
    for span in found:
        check_span(span, SOURCE, s3=True)
    assert not [p for p in (data / "spool").rglob("*") if p.is_file()]


def test_kill_9_with_uploads_pending(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with MotoS3() as s3, Camera() as camera, RecorderProcess(data) as recorder:
        s3.stop()  # the bucket exists; the store is down while recording
        tds, _ = client(recorder, "device")  # type: ignore[arg-type]
        trc, _ = client(recorder, "recording")  # type: ignore[arg-type]
        trv, _ = client(recorder, "receiver")  # type: ignore[arg-type]
        storage = tds.CreateStorageConfiguration(StorageConfiguration=s3.storage_configuration())
        target = {"Storage": storage, "Format": "MP4", "Prefix": layout("MP4").prefix,
                  "Postfix": layout("MP4").postfix, "SegmentDuration": "PT2S"}
        recording = trc.CreateRecording(
            RecordingConfiguration=recording_configuration(Target=target))
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording, "Active"))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/av"))
        assert wait_until(lambda: pending(data) >= 3, 20.0), recorder.log_tail()
        recorder.kill9()
        journalled = spooled_keys(data)
        s3.start()
        recorder.start()
        assert wait_until(lambda: journalled <= {o.key for o in s3.objects()}, 20.0)
        trc, _ = client(recorder, "recording")  # type: ignore[arg-type]
        assert wait_until(lambda: str(trc.GetRecordingJobState(  # recording resumed: span 2
            JobToken=job.JobToken).State) == "Active", 20.0), recorder.log_tail()
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: not spool_files(data) and pending(data) == 0, 20.0), \
            (spool_files(data), recorder.log_tail())
        objects = s3.objects()
    # the segment being built at the kill was repaired and uploaded (or, with no complete
    # fragment yet, dropped), and its span got its end object (B.5)
    found = spans(objects, layout("MP4"))
    assert len(found) >= 2
    for span in found:
        check_span(span, SOURCE, s3=True, repaired=True)


def spool_files(data: Path) -> list[Path]:
    return [p for p in (data / "spool").rglob("*") if p.is_file()]


def spooled_keys(data: Path) -> set[str]:
    connection = sqlite3.connect(data / "recorder.sqlite3")
    try:
        rows = connection.execute("SELECT key FROM uploads WHERE ready = 1")
        return {str(row[0]) for row in rows}
    finally:
        connection.close()
