"""Scheduled recording with the real camera (RC §5.3.3, §4.1.2): a job with a ScheduleToken
records only while its schedule is active, and meanwhile a lower-priority job on the same
tracks records instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from onvif_recorder.service.events import JobStateChanged, PropertyOperation, Subscriber
from tests.camera import Camera
from tests.integration.helpers import (
    RECEIVER_TYPE,
    auto_receiver_job,
    client,
    recording_configuration,
)
from tests.integration.recording_support import (
    configure_receiver,
    engine_recorder,
    ffprobe,
    segments,
    wait_until,
)

pytestmark = pytest.mark.slow


def job_state(trc: Any, job: str) -> str:
    return str(trc.GetRecordingJobState(JobToken=job).State)


def changes(subscriber: Subscriber) -> dict[str, list[str]]:
    """Each job's JobState Changed values, in order."""
    found: dict[str, list[str]] = {}
    for n in subscriber.take(1000):
        if isinstance(n.event, JobStateChanged) and n.event.state is not None \
                and n.event.operation is PropertyOperation.CHANGED:
            found.setdefault(n.event.job_token, []).append(n.event.state.state.value)
    return found


def window(start: datetime, end: datetime) -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "BEGIN:VEVENT",
                        f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}",
                        "END:VEVENT", "END:VCALENDAR"])


def test_a_scheduled_job_takes_over_while_its_schedule_is_active(tmp_path: Path) -> None:
    with Camera() as camera, engine_recorder(tmp_path / "data") as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        tsc, _ = client(recorder, "schedule")
        assert trc.GetServiceCapabilities()  # ScheduledRecording is an anyAttribute in 25.12
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
        schedule = tsc.CreateSchedule(Schedule={
            "token": "", "Name": "Burst", "Standard": window(start, start + timedelta(
                seconds=8))})
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        base = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        receiver = base.JobConfiguration.Source[0].SourceToken.Token
        configure_receiver(trv, receiver, camera.url("/h264"))
        events = recorder.services.events.subscribe(initialize=False)
        trc.SetRecordingJobMode(JobToken=base.JobToken, Mode="Active")
        scheduled = trc.CreateRecordingJob(JobConfiguration={
            "RecordingToken": recording, "Mode": "Active", "Priority": 5,
            "ScheduleToken": schedule,
            "Source": [{"SourceToken": {"Token": receiver, "Type": RECEIVER_TYPE}}]})
        job = scheduled.JobToken
        assert scheduled.JobConfiguration.ScheduleToken == schedule
        assert wait_until(lambda: job_state(trc, base.JobToken) == "Active", 8.0)
        assert job_state(trc, job) == "Idle"  # before its window: the base job records
        assert wait_until(lambda: job_state(trc, job) == "Active", 14.0)
        assert datetime.now(UTC) >= start
        assert job_state(trc, base.JobToken) == "Idle"
        assert trc.GetRecordingJobConfiguration(JobToken=job).Mode == "Active"
        assert wait_until(lambda: job_state(trc, base.JobToken) == "Active", 14.0)
        assert datetime.now(UTC) >= start + timedelta(seconds=8)
        assert job_state(trc, job) == "Idle"
        assert changes(events) == {base.JobToken: ["Active", "Idle", "Active"],
                                   job: ["Active", "Idle"]}
        trc.SetRecordingJobMode(JobToken=base.JobToken, Mode="Idle")
        assert wait_until(lambda: not list(tmp_path.rglob("*.partial")), 5.0)
    files = segments(tmp_path / "data", recording)
    assert files
    for path in files:
        ffprobe(path)
