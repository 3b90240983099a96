"""A camera whose parameters keep changing is flagged instead of leaving a span storm
(issue 18 item 7).

The test camera's ``/h264-unstable`` mount switches between 640x360 and 320x180 every
0.4 s, each GOP with its own SPS/PPS. Every switch would start a new span (RC B.2): 15 or
more in six seconds. The recorder lets 3 changes through in 10 s, then keeps the track's
parameters, drops the pictures encoded with the others, and reports the job track in
Error with the reason, through GetRecordingJobState (zeep).
"""

from __future__ import annotations

import time
from pathlib import Path

import av
import pytest

from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import (
    configure_receiver,
    engine_recorder,
    segments,
    wait_until,
)

pytestmark = pytest.mark.slow
RECORD_FOR = 6.0


def test_a_stream_that_keeps_changing_parameters_is_flagged_not_split(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording, mode="Active"))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/h264-unstable"))

        def video_error() -> str | None:
            source = trc.GetRecordingJobState(JobToken=job.JobToken).Sources[0]
            return {t.Destination: t.Error for t in source.Tracks.Track}.get("VIDEO001")

        assert wait_until(lambda: (video_error() or "").startswith("Unstable stream"), 8.0)
        assert video_error() == "Unstable stream: parameters changed 4 times in 10 s"
        assert str(trc.GetRecordingJobState(JobToken=job.JobToken).State) == "Error"
        time.sleep(RECORD_FOR)
    files = segments(data, recording)
    spans = [path for path in files if path.name.split(".")[-2] == "0"]
    assert 1 <= len(spans) <= 4, [p.name for p in files]
    for path in files:  # what was kept decodes, one picture size per file
        with av.open(str(path)) as container:
            sizes = {(frame.width, frame.height) for frame in container.decode(video=0)}
        assert len(sizes) == 1, (path.name, sizes)
