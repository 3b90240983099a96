"""Event recording (RC §5.3.4) with the real camera: a job with an EventFilter records
only around matching events, and its EventFilter is echoed exactly as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.camera import Camera
from tests.integration.helpers import (
    auto_receiver_job,
    client,
    expect_fault,
    recording_configuration,
)
from tests.integration.recording_support import (
    configure_receiver,
    engine_recorder,
    ffprobe,
    segments,
    wait_until,
)
from tests.onvif_client import validate_body

pytestmark = pytest.mark.slow


def job_state(trc: Any, job: str) -> str:
    return str(trc.GetRecordingJobState(JobToken=job).State)


def event_job(recording: str, topic: str, **extra: Any) -> dict[str, Any]:
    configuration = auto_receiver_job(recording, mode="Active")
    configuration["EventFilter"] = {"Filter": [{"Topic": topic}], **extra}
    return configuration


def test_a_momentary_event_records_a_window_and_nothing_else(tmp_path: Path) -> None:
    with Camera() as camera, engine_recorder(tmp_path / "data") as recorder:
        trc, rec = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        caps = trc.GetServiceCapabilities()
        validate_body(rec.last)
        assert caps is not None
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        created = trc.CreateRecordingJob(JobConfiguration=event_job(
            recording, "tns1:RecordingConfig/CreateRecording", After="PT2S"))
        validate_body(rec.last)
        job = created.JobToken
        configure_receiver(trv, created.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/h264"))
        echoed = trc.GetRecordingJobConfiguration(JobToken=job)
        validate_body(rec.last)
        assert echoed.EventFilter.Filter[0].Topic == "tns1:RecordingConfig/CreateRecording"
        assert echoed.EventFilter.Before is None
        assert b"<tt:After>PT2S</tt:After>" in rec.last  # as written
        assert not wait_until(lambda: job_state(trc, job) == "Active", 3.0)  # no event
        assert segments(tmp_path / "data", recording) == []
        trc.CreateRecording(RecordingConfiguration=recording_configuration())  # the event
        assert wait_until(lambda: job_state(trc, job) == "Active", 8.0)
        assert wait_until(lambda: job_state(trc, job) == "Idle", 15.0)  # hold + After over
        assert wait_until(lambda: not list(tmp_path.rglob("*.partial")), 5.0)
        files = segments(tmp_path / "data", recording)
        assert files
        for path in files:
            assert any(s["codec_type"] == "video" for s in ffprobe(path)["streams"])


def test_event_filters_the_recorder_cannot_honour_are_refused(tmp_path: Path) -> None:
    with engine_recorder(tmp_path / "data") as recorder:
        trc, rec = client(recorder, "recording")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        bad = ["Sender", "InvalidArgVal", "BadConfiguration"]
        expect_fault(trc.CreateRecordingJob, JobConfiguration=event_job(
            recording, "tns1:VideoSource/MotionAlarm", Before="PT10S"), chain=bad, rec=rec)
        expect_fault(trc.CreateRecordingJob, JobConfiguration=event_job(
            recording, "tns1:VideoSource/MotionAlarm", After="PT1H"), chain=bad, rec=rec)
        expect_fault(trc.CreateRecordingJob, JobConfiguration=event_job(
            recording, "nope:Motion"), chain=bad, rec=rec)
        assert trc.GetRecordingJobs() == []
