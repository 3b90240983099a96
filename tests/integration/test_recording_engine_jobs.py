"""The engine with real cameras: Annex A priorities live, RC example 2, camera restart.

Job states are read with GetRecordingJobState (zeep) and, in the same run, from the
JobState events the bus publishes (the ones PullPoint subscribers receive).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from onvif_recorder.domain.job import JobState
from onvif_recorder.service.events import JobStateChanged, PropertyOperation, Subscriber
from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import (
    configure_receiver,
    decode,
    engine_recorder,
    ffprobe,
    receiver_source,
    segments,
    wait_until,
)

pytestmark = pytest.mark.slow
RECEIVER_TYPE = "http://www.onvif.org/ver10/schema/Receiver"


def job_state(trc: Any, job: str) -> str:
    return str(trc.GetRecordingJobState(JobToken=job).State)


def changed_states(subscriber: Subscriber, job: str) -> list[str]:
    return [n.event.state.state.value for n in subscriber.take(1000)
            if isinstance(n.event, JobStateChanged) and n.event.job_token == job
            and n.event.operation is PropertyOperation.CHANGED and n.event.state]


def test_annex_a_priority_with_two_real_jobs(tmp_path: Path) -> None:
    with Camera() as camera, engine_recorder(tmp_path / "data") as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        events = recorder.services.events.subscribe(initialize=False)
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        j1 = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        receiver = j1.JobConfiguration.Source[0].SourceToken.Token
        configure_receiver(trv, receiver, camera.url("/av"))
        trc.SetRecordingJobMode(JobToken=j1.JobToken, Mode="Active")
        assert wait_until(lambda: job_state(trc, j1.JobToken) == "Active", 8.0)
        assert changed_states(events, j1.JobToken) == ["Active"]
        j2 = trc.CreateRecordingJob(JobConfiguration={
            "RecordingToken": recording, "Mode": "Active", "Priority": 2,
            "Source": [{"SourceToken": {"Token": receiver, "Type": RECEIVER_TYPE}}]})
        assert wait_until(lambda: job_state(trc, j2.JobToken) == "Active", 8.0)
        assert job_state(trc, j1.JobToken) == "Idle"  # lost every track to J2
        assert changed_states(events, j1.JobToken) == ["Idle"]
        trc.DeleteRecordingJob(JobToken=j2.JobToken)
        assert wait_until(lambda: job_state(trc, j1.JobToken) == "Active", 8.0)
        assert changed_states(events, j1.JobToken) == ["Active"]
        trc.SetRecordingJobMode(JobToken=j1.JobToken, Mode="Idle")
        assert wait_until(lambda: job_state(trc, j1.JobToken) == "Idle", 5.0)
        assert wait_until(lambda: not list(tmp_path.rglob("*.partial")), 5.0)
    for path in segments(tmp_path / "data", recording):
        ffprobe(path)


def test_example_2_two_receivers_into_one_recording(tmp_path: Path) -> None:
    with Camera() as camera, engine_recorder(tmp_path / "data") as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        for kind in ("Audio", "Video", "Metadata"):
            trc.CreateTrack(RecordingToken=recording,
                            TrackConfiguration={"TrackType": kind, "Description": kind})
        created = trc.CreateRecordingJob(JobConfiguration={
            "RecordingToken": recording, "Mode": "Idle", "Priority": 1, "Source": [
                receiver_source([("Video", "VIDEO001"), ("Audio", "AUDIO001"),
                                 ("Metadata", "META001")]),
                receiver_source([("Video", "VIDEO002"), ("Audio", "AUDIO002"),
                                 ("Metadata", "META002")])]})
        tokens = [s.SourceToken.Token for s in created.JobConfiguration.Source]
        for token, mount in zip(tokens, ("/av", "/meta"), strict=True):
            configure_receiver(trv, token, camera.url(mount))
        trc.SetRecordingJobMode(JobToken=created.JobToken, Mode="Active")
        assert wait_until(lambda: job_state(trc, created.JobToken) == "Active", 10.0)
        state = trc.GetRecordingJobState(JobToken=created.JobToken)
        assert [s.State for s in state.Sources] == ["Active", "Active"]
        time.sleep(4.0)
        trc.SetRecordingJobMode(JobToken=created.JobToken, Mode="Idle")
        assert wait_until(lambda: not list(tmp_path.rglob("*.partial")), 5.0)
    files = segments(tmp_path / "data", recording)
    kinds = [sorted(s["codec_type"] for s in ffprobe(path)["streams"]) for path in files]
    # /av gives video + audio, /meta video + ONVIF metadata: both cameras in one span.
    assert ["audio", "data", "video", "video"] in kinds, kinds


def test_camera_restart_gives_error_then_active_and_a_new_span(tmp_path: Path) -> None:
    data = tmp_path / "data"
    camera = Camera().start()
    try:
        with engine_recorder(data) as recorder:
            trc, _ = client(recorder, "recording")
            trv, _ = client(recorder, "receiver")
            recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
            job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
            token = job.JobConfiguration.Source[0].SourceToken.Token
            configure_receiver(trv, token, camera.url("/av"))
            trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
            assert wait_until(lambda: job_state(trc, job.JobToken) == "Active", 8.0)
            time.sleep(3.0)
            port = camera.port
            camera.kill()
            assert wait_until(lambda: job_state(trc, job.JobToken) == "Error", 8.0)
            error = trc.GetRecordingJobState(JobToken=job.JobToken)
            assert error.Sources[0].Tracks.Track[0].Error.startswith("Source lost")
            camera = Camera(port=port).start()
            assert wait_until(lambda: job_state(trc, job.JobToken) == "Active", 15.0)
            time.sleep(3.0)
            trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
            assert wait_until(lambda: not list(data.rglob("*.partial")), 5.0)
    finally:
        camera.stop()
    assert len(list(data.rglob("*.mp4_end"))) == 2  # the camera restart ended a span
    for path in segments(data, recording):
        ffprobe(path)
        assert decode(path).get("video")
    assert JobState.ERROR.value == "Error"
