"""Two media roots while the real camera records: segments spread over both, each read
back from its own root (GetMediaAttributes reads the segment file), and when one root's
disk fails (its directory replaced by a file: even root cannot create directories in it)
recording goes on on the other, the job Active again after at most one storage error."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from onvif_recorder.settings import MediaRoot
from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import configure_receiver, engine_recorder, wait_until
from tests.integration.test_search_recorded import job_state
from tests.integration.test_segment_index_objects import index_rows
from tests.onvif_client import validate_body

pytestmark = pytest.mark.slow


def finished_on(data: Path, recording: str, root: Path, after: float = 0.0) -> list[Any]:
    return [r for r in index_rows(data, recording)
            if r.complete and r.root == str(root) and r.start_utc >= after]


def test_segments_spread_over_two_roots_and_a_failed_disk_does_not_stop_recording(
        tmp_path: Path) -> None:
    data, disk_a, disk_b = tmp_path / "data", tmp_path / "disk-a", tmp_path / "disk-b"
    roots = (MediaRoot(disk_a, 0.0), MediaRoot(disk_b, 0.0))
    with Camera() as camera, engine_recorder(data, 1.0, media_roots=roots) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        tse, rec = client(recorder, "search")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/h264"))
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        assert wait_until(lambda: all(finished_on(data, recording, d) for d in roots_of(roots)),
                          15.0)
        for disk in roots_of(roots):  # each segment is read from its own root
            row = finished_on(data, recording, disk)[0]
            assert (disk / row.key).is_file() and not (data / "media" / row.key).exists()
            middle = datetime.fromtimestamp((row.start_utc + row.end_utc) / 2, UTC)
            [attributes] = tse.GetMediaAttributes(RecordingTokens=[recording], Time=middle)
            validate_body(rec.last)
            video = attributes.TrackAttributes[0].VideoAttributes
            assert (video.Encoding, video.Width, video.Height) == ("H264", 640, 360)

        failed_at = time.time()
        disk_b.rename(tmp_path / "disk-b-failed")
        disk_b.write_text("a failed disk")
        assert wait_until(lambda: len(finished_on(data, recording, disk_a, failed_at)) >= 4,
                          20.0)
        assert wait_until(lambda: job_state(trc, job.JobToken) == "Active", 10.0)
        # The segment open on the failed disk when it failed may have started before.
        assert finished_on(data, recording, disk_b, failed_at + 1.5) == []
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        info = tse.GetRecordingInformation(RecordingToken=recording)
        assert info.LatestRecording.timestamp() > failed_at + 3


def roots_of(roots: tuple[MediaRoot, ...]) -> list[Path]:
    return [r.path for r in roots]
