"""kill -9 while recording, ten times: no finished segment is ever unreadable.

A real ``onvif-recorder serve`` process records the camera's /av mount in 2 s segments.
It is killed with SIGKILL at random moments; after each restart (same data directory,
no client request) the torn segment has been repaired (cut to its last complete
fragment, index rebuilt, renamed), every finished segment passes ffprobe and decodes,
and recording resumes by itself.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recorder_process import RecorderProcess
from tests.integration.recording_support import (
    configure_receiver,
    decode,
    ffprobe,
    wait_until,
)

pytestmark = pytest.mark.slow
KILLS = 10


def partials(data: Path) -> set[Path]:
    return {p for p in data.rglob("*.partial") if p.stat().st_size > 4096}


def finished(data: Path) -> set[Path]:
    return set(data.rglob("*.mp4"))


def test_kill_9_ten_times_while_recording(tmp_path: Path) -> None:
    data = tmp_path / "data"
    rng = random.Random(6)
    checked: set[Path] = set()
    repaired = 0
    with Camera() as camera, RecorderProcess(
            data, extra_args=("--segment-duration", "2")) as recorder:
        trc, _ = client(recorder, "recording")  # type: ignore[arg-type]
        trv, _ = client(recorder, "receiver")  # type: ignore[arg-type]
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording, "Active"))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/av"))
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.0, 2.5))
            # Kill at a random moment, but one with a segment in progress: right after a
            # segment closes, its successor holds no complete fragment yet.
            assert wait_until(lambda: bool(partials(data)), 10.0), recorder.log_tail()
            recorder.kill9()
            torn = partials(data)
            recorder.start()
            # Start-up repaired every torn segment (renamed without .partial) before
            # recording resumed; one without a complete fragment would have been dropped.
            assert not any(path.exists() for path in torn), torn
            repaired += sum(p.with_name(p.name.removesuffix(".partial")).exists()
                            for p in torn)
            for path in sorted(finished(data) - checked):
                ffprobe(path)
                assert decode(path).get("video"), path
                checked.add(path)
        assert wait_until(lambda: bool(partials(data)), 10.0)  # resumed once more
    assert len(checked) >= KILLS and repaired >= KILLS - 1
