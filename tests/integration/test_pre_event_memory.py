"""The memory goal of pre-event buffers (README "Event recording"): 50 event jobs waiting
with Before PT30S on 4 Mbit/s streams stay under ``GOAL_BYTES``.

The samples are real: a few seconds of the camera's 4 Mbit/s mount recorded by the
recorder and read back, then replayed into 50 buffers through the engine's own
``Buffering.add`` (the code a waiting job's subscription runs), every sample a distinct
copy as each receiver's would be. ``tracemalloc`` counts what the buffers keep. The same
with 50 real receivers in one recorder process is ``bench/pre_event_memory.py``.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from onvif_recorder.domain.recording import TrackType
from onvif_recorder.engine.pre_event import TRIGGER_SLACK, Buffering
from onvif_recorder.engine.samples import SampleQueue
from onvif_recorder.ingest.items import IngestItem, MediaSample, SessionStarted, StreamInfo
from onvif_recorder.mp4.fragment_reader import read_segment
from onvif_recorder.recording.pre_event import PreEventBuffer
from onvif_recorder.rtp.stream import ReceivedSample
from onvif_recorder.rtp.timing import ClockSource
from onvif_recorder.settings import Limits
from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import (
    configure_receiver,
    engine_recorder,
    segments,
    wait_until,
)

pytestmark = pytest.mark.slow

JOBS, BEFORE, FPS = 50, 30.0, 25
BITRATE = 4_000_000
GOAL_BYTES = 900 * 1024 * 1024
"""README: 50 jobs x (30 s + 1 s slack + one 1 s GOP) x 4 Mbit/s is 775 MB of payload;
with the per-sample bookkeeping all of it stays under 900 MiB."""
OVERHEAD = 1.05
"""Bookkeeping per held byte of payload: under 5 % at 4 Mbit/s, 25 fps."""


def recorded_frames(data: Path) -> list[tuple[bytes, bool]]:
    """A few seconds of the camera's 4 Mbit/s stream as the recorder wrote it, from the
    first I-frame on: (access unit, sync)."""
    with Camera() as camera, engine_recorder(data) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording, "Active"))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/h264-4m"))
        assert wait_until(lambda: str(trc.GetRecordingJobState(
            JobToken=job.JobToken).State) == "Active", 10.0)
        time.sleep(3.5)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: not list(data.rglob("*.partial")), 5.0)
    frames = [(s.data, s.sync) for path in segments(data, recording)
              for s in read_segment(path.read_bytes()).samples if s.track_id == 1]
    first = next(i for i, (_, sync) in enumerate(frames) if sync)
    return frames[first:]


def received(data: bytes, sync: bool, time_utc: float) -> MediaSample:
    copy = bytes(bytearray(data))  # each receiver has its own bytes
    sample = ReceivedSample(units=(copy,), pts=0, dts=0, clock_rate=90000, sync=sync,
                            utc=time_utc, clock_source=ClockSource.RTCP, config=None,
                            config_changed=False)
    return MediaSample(1, 0, sample, time_utc)


def test_fifty_waiting_jobs_with_30_s_before_stay_within_the_goal(tmp_path: Path) -> None:
    frames = recorded_frames(tmp_path / "data")
    seconds = len(frames) / FPS
    assert seconds >= 2.0 and sum(len(d) for d, _ in frames) * 8 / seconds >= 0.85 * BITRATE
    video = StreamInfo(0, TrackType.VIDEO, "H264", 90000, 1, {}, "stream=0")
    started = SessionStarted("Receiver", 1, "rtsp://camera/h264-4m", (video,))
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        jobs = [Buffering(BEFORE, SampleQueue(), PreEventBuffer[IngestItem](
            BEFORE + TRIGGER_SLACK, Limits().pre_event_max_bytes)) for _ in range(JOBS)]
        for job in jobs:
            job.add(started)
        for n in range(int((BEFORE + TRIGGER_SLACK + 5) * FPS)):
            data, sync = frames[n % len(frames)]
            for job in jobs:
                job.add(received(data, sync, 1000.0 + n / FPS))
        used = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    payload = sum(job.buffer.bytes for job in jobs)
    print(f"\n{JOBS} buffers: {payload / 2**20:.0f} MiB payload held, "
          f"{used / 2**20:.0f} MiB traced ({used / payload:.3f} x payload)")
    assert used <= GOAL_BYTES
    assert used <= payload * OVERHEAD
    for job in jobs:
        assert job.buffer.dropped == 0  # the byte bound leaves 30 s at 4 Mbit/s alone
        newest = job.buffer.newest
        assert newest is not None
        taken = job.take(newest - BEFORE)
        first = taken[1]
        assert isinstance(first, MediaSample) and first.sample.sync
        assert newest - BEFORE - 1.0 <= first.sample.utc <= newest - BEFORE  # Before held
