"""Event recording (RC §5.3.4) with the real camera: a job with an EventFilter records
only around matching events, and its EventFilter is echoed exactly as written."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.camera import Camera
from tests.integration.event_client import events_service, subscribe
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
            recording, "tns1:VideoSource/MotionAlarm", Before="PT31S"), chain=bad, rec=rec)
        expect_fault(trc.CreateRecordingJob, JobConfiguration=event_job(
            recording, "tns1:VideoSource/MotionAlarm", After="PT1H"), chain=bad, rec=rec)
        expect_fault(trc.CreateRecordingJob, JobConfiguration=event_job(
            recording, "nope:Motion"), chain=bad, rec=rec)
        assert trc.GetRecordingJobs() == []


def test_a_camera_event_in_its_metadata_stream_triggers_the_job(tmp_path: Path) -> None:
    """The /meta camera sends tns1:VideoSource/MotionAlarm (State true, then false) from
    VideoSource_1 every second: re-published with the receiver token, it triggers the job
    that filters on it; a job filtering on another source never records."""
    with Camera() as camera, engine_recorder(tmp_path / "data") as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        events = subscribe(recorder)
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        other = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        motion = "tns1:VideoSource/MotionAlarm"
        source = 'boolean(//tt:SimpleItem[@Name="Source" and @Value="{}"])'
        wanted = trc.CreateRecordingJob(JobConfiguration=event_job(
            recording, motion, After="PT2S") | {"EventFilter": {"Filter": [
                {"Topic": motion, "Source": source.format("VideoSource_1")}], "After": "PT2S"}})
        receiver = wanted.JobConfiguration.Source[0].SourceToken.Token
        configure_receiver(trv, receiver, camera.url("/meta"))
        unwanted = trc.CreateRecordingJob(JobConfiguration={
            **event_job(other, motion), "Source": [{"SourceToken": {
                "Token": receiver, "Type": "http://www.onvif.org/ver10/schema/Receiver"}}],
            "EventFilter": {"Filter": [{"Topic": motion,
                                        "Source": source.format("VideoSource_9")}]}})
        assert wait_until(lambda: job_state(trc, wanted.JobToken) == "Active", 15.0)
        assert job_state(trc, unwanted.JobToken) == "Idle"
        seen = events.pull_until(lambda r: any(e.topic == motion for e in r), within=10)
        camera_event = next(e for e in seen if e.topic == motion)
        assert camera_event.source == {"Source": "VideoSource_1", "ReceiverToken": receiver}
        assert camera_event.operation == "Changed" and camera_event.data["State"] in (
            "true", "false")
        # Now a known topic: listed in GetEventProperties, and a PullPoint may filter on it.
        service, rec = events_service(recorder)
        service.GetEventProperties()
        validate_body(rec.last)
        assert b"MotionAlarm" in rec.last
        only_motion = subscribe(recorder, motion)
        filtered = only_motion.pull_until(lambda r: len(r) >= 1, within=10)
        assert {e.topic for e in filtered} == {motion}
        time.sleep(3.0)  # motion goes on (true/false every second, After PT2S): it records
        assert job_state(trc, wanted.JobToken) == "Active"
        trc.SetRecordingJobMode(JobToken=wanted.JobToken, Mode="Idle")
        assert wait_until(lambda: not list(tmp_path.rglob("*.partial")), 8.0)
        assert segments(tmp_path / "data", recording)
        assert segments(tmp_path / "data", other) == []
