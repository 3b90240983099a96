"""RC §5.27 example 1 end to end: a real camera, a zeep client, segments a decoder plays.

Create a recording, a job with AutoCreateReceiver, configure the receiver with the test
camera's /av mount (H.264 640x360@25 + AAC 16 kHz), set the job Active: within seconds
GetRecordingJobState is Active and segments appear under the Annex B keys. Every segment
is checked by ffprobe and decoded by PyAV.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import (
    configure_receiver,
    decode,
    engine_recorder,
    ffprobe,
    key_start,
    segments,
    wait_until,
)

pytestmark = pytest.mark.slow
SECONDS = 7.0
FPS = 25
GOP = 25


def test_example_1_records_playable_segments(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=2.0) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        receiver = job.JobConfiguration.Source[0].SourceToken.Token
        configure_receiver(trv, receiver, camera.url("/av"))
        assert trc.GetRecordingJobState(JobToken=job.JobToken).State == "Idle"
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        started = time.monotonic()

        def state() -> str:
            return str(trc.GetRecordingJobState(JobToken=job.JobToken).State)

        assert wait_until(lambda: state() == "Active", 8.0), state()
        activation = time.monotonic() - started
        information = trc.GetRecordingJobState(JobToken=job.JobToken)
        assert information.Sources[0].State == "Active"
        time.sleep(SECONDS)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: state() == "Idle", 5.0)
        assert wait_until(lambda: not list(data.rglob("*.partial")), 5.0)
    assert activation < 5.0
    check_segments(data, recording)


def check_segments(data: Path, recording: str) -> None:
    files = segments(data, recording)
    assert len(files) >= 3, files
    video_frames = 0
    previous_end = None
    for path in files:
        probe = ffprobe(path)
        kinds = {s["codec_type"]: s for s in probe["streams"]}
        assert kinds["video"]["codec_name"] == "h264"
        assert (kinds["video"]["width"], kinds["video"]["height"]) == (640, 360)
        assert kinds["audio"]["codec_name"] == "aac"
        times = decode(path)
        video_frames += len(times["video"])
        assert_in_sync(times)
        start = key_start(path, data)
        duration = float(probe["format"]["duration"])
        if previous_end is not None:  # consecutive segments of the span are contiguous
            assert start == pytest.approx(previous_end, abs=0.05)
        previous_end = start + duration_of_video(times, duration)
    total = previous_end - key_start(files[0], data) if previous_end else 0.0
    assert abs(video_frames - total * FPS) <= GOP, (video_frames, total)
    assert abs(video_frames - SECONDS * FPS) <= 2 * GOP + FPS


def duration_of_video(times: dict[str, list[float]], fallback: float) -> float:
    video = times["video"]
    return (video[-1] - video[0] + 1 / FPS) if len(video) > 1 else fallback


def assert_in_sync(times: dict[str, list[float]]) -> None:
    """Audio starts with video (within 40 ms) and ends with it (within a frame + 40 ms)."""
    video, audio = times["video"], times["audio"]
    assert abs(audio[0] - video[0]) <= 0.04 + 0.064, (audio[0], video[0])
