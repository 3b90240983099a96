"""A recording worker process killed with SIGKILL while recording (issue 11 item 2).

``onvif-recorder serve`` with two worker processes records two cameras' /av streams in
2 s segments. The worker that records the first recording is killed (``kill -9``, what
the OOM killer does). The front end stays up and answers SOAP throughout; the job of the
killed worker reads Error (RC §5.19) until a new worker process records the recording
again, then Active; the other worker's job stays Active. No finished segment is lost or
unreadable, the torn one is repaired by the replacement, and new segments follow.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recorder_process import RecorderProcess
from tests.integration.recording_support import configure_receiver, decode, ffprobe, wait_until
from tests.integration.test_operator import scrape, value

pytestmark = pytest.mark.slow


def workers_of(pid: int) -> list[int]:
    """The recorder's worker processes (children whose name says so)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return sorted(found)


def writer_of(pid: int, recording_dir: Path, timeout: float = 10.0) -> int:
    """The worker that has a file of ``recording_dir`` open (a segment being written;
    between two segments none is, for a moment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in workers_of(pid):
            for descriptor in Path(f"/proc/{worker}/fd").iterdir():
                try:
                    target = os.readlink(descriptor)
                except OSError:
                    continue
                if target.startswith(str(recording_dir)):
                    return worker
        time.sleep(0.05)
    raise AssertionError(f"no worker writes {recording_dir}")


def job_state(trc: Any, job: str) -> str:
    return str(trc.GetRecordingJobState(JobToken=job).State)


def test_a_killed_worker_is_replaced_and_its_recording_resumes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "recorder.toml"
    config.write_text("[recording]\nworkers = 2\nsegment_duration = 2.0\n")
    with Camera() as camera, RecorderProcess(
            data, extra_args=("--config", str(config))) as recorder:
        assert recorder.process is not None
        trc, _ = client(recorder, "recording")  # type: ignore[arg-type]
        trv, _ = client(recorder, "receiver")  # type: ignore[arg-type]
        jobs = []
        for _ in range(2):
            recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
            job = trc.CreateRecordingJob(
                JobConfiguration=auto_receiver_job(recording, "Active"))
            configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                               camera.url("/av"))
            jobs.append((recording, job.JobToken))
        assert wait_until(lambda: all(job_state(trc, j) == "Active" for _, j in jobs), 20.0)
        assert len(workers_of(recorder.process.pid)) == 2
        first = data / "media" / str(jobs[0][0])
        assert wait_until(lambda: len(list(first.rglob("*.mp4"))) >= 2, 20.0)
        victim = writer_of(recorder.process.pid, first)
        before = set(first.rglob("*.mp4"))

        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: job_state(trc, jobs[0][1]) == "Error", 5.0, step=0.05)
        assert job_state(trc, jobs[1][1]) == "Active"  # placed on the other worker
        assert wait_until(lambda: job_state(trc, jobs[0][1]) == "Active", 30.0), \
            recorder.log_tail()
        assert victim not in workers_of(recorder.process.pid)
        assert len(workers_of(recorder.process.pid)) == 2
        metrics = scrape(recorder.url)
        restarts = [value(metrics, "onvif_recorder_worker_restarts_total", worker=w)
                    for w in ("0", "1")]
        assert sorted(restarts) == [0.0, 1.0]
        assert all(value(metrics, "onvif_recorder_worker_cpu_seconds_total", worker=w) > 0
                   and value(metrics, "onvif_recorder_worker_resident_memory_bytes",
                             worker=w) > 10e6 for w in ("0", "1"))
        assert wait_until(lambda: len(set(first.rglob("*.mp4")) - before) >= 2, 20.0)
        assert not [p for p in first.rglob("*.partial")
                    if time.time() - p.stat().st_mtime > 10]  # none left torn
        for path in sorted(first.rglob("*.mp4")):
            assert path.exists(), path  # nothing finished before the kill was lost
            ffprobe(path)
            assert decode(path).get("video"), path
        assert before <= set(first.rglob("*.mp4"))
