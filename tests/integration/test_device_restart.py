"""SystemReboot and SetSystemFactoryDefault end to end, with a real ``onvif-recorder
serve`` process recording the test camera (issue 18; Core 25.12 "System", Base Device
Test DEVICE-3-1-6 to 3-1-8): the process restarts itself and recording resumes; a soft
reset returns the configuration to its defaults and keeps the users; a hard reset needs
the operator's ``--allow-hard-reset``."""

from __future__ import annotations

import os
import time
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
from tests.integration.recorder_process import RecorderProcess
from tests.integration.recording_support import configure_receiver, wait_until
from tests.integration.test_schedule_service import schedule
from tests.onvif_client import validate_body

pytestmark = pytest.mark.slow
SCOPE = "onvif://www.onvif.org/location/site/7"


def services(recorder: RecorderProcess, user: str | None = None) -> tuple[Any, Any, Any]:
    password = None if user is None else "Pass-word-1"
    return tuple(client(recorder, name, user=user, password=password)[0]  # type: ignore[arg-type]
                 for name in ("device", "recording", "receiver"))


def record(recorder: RecorderProcess, camera: Camera) -> str:
    _, trc, trv = services(recorder)
    recording: str = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording, "Active"))
    configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token, camera.url("/av"))
    return recording


def writing(data: Path, after: float) -> bool:
    """A segment is being written that was started after ``after``."""
    return any(p.stat().st_mtime > after and p.stat().st_size > 4096
               for p in data.rglob("*.partial"))


def test_reboot_restarts_the_process_and_recording_resumes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, RecorderProcess(
            data, extra_args=("--segment-duration", "2")) as recorder:
        record(recorder, camera)
        assert wait_until(lambda: writing(data, 0), 15), recorder.log_tail()
        assert recorder.process is not None
        pid, starts = recorder.process.pid, recorder.starts()
        tds, rec = client(recorder, "device")  # type: ignore[arg-type]
        assert "Restarting" in tds.SystemReboot()
        validate_body(rec.last)
        recorder.wait_restarted(starts)
        restarted = time.time()
        assert recorder.process.pid == pid  # the same process, replaced by exec
        assert wait_until(lambda: writing(data, restarted), 15), recorder.log_tail()
        _, trc, _ = services(recorder)
        job = trc.GetRecordingJobs()[0]
        assert wait_until(lambda: trc.GetRecordingJobState(JobToken=job.JobToken).State
                          == "Active", 10)


def test_soft_factory_default_keeps_users_and_recordings(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, RecorderProcess(data) as recorder:
        recording = record(recorder, camera)
        tds, _, _ = services(recorder)
        tds.CreateUsers(User=[{"Username": "op", "Password": "Pass-word-1",
                               "UserLevel": "Operator"}])
        tds.AddScopes(ScopeItem=[SCOPE])
        tds.SetSystemDateAndTime(DateTimeType="NTP", DaylightSavings=True,
                                 TimeZone={"TZ": "CET-1CEST,M3.5.0,M10.5.0/3"})
        tsc, _ = client(recorder, "schedule")  # type: ignore[arg-type]
        tsc.CreateSchedule(Schedule=schedule())
        serial = tds.GetDeviceInformation().SerialNumber
        expect_fault(tds.SetSystemFactoryDefault, FactoryDefault="Hard",
                     chain=["Sender", "OperationProhibited"])
        starts = recorder.starts()
        tds.SetSystemFactoryDefault(FactoryDefault="Soft")
        recorder.wait_restarted(starts)
        tds, trc, trv = services(recorder, user="op")  # the user is still there
        assert [r.RecordingToken for r in trc.GetRecordings()] == [recording]
        assert trc.GetRecordingJobs() == [] and trv.GetReceivers() == []
        tsc, _ = client(recorder, "schedule")  # type: ignore[arg-type]
        assert tsc.GetScheduleList().Schedule == []
        assert SCOPE not in {s.ScopeItem for s in tds.GetScopes()}
        answer = tds.GetSystemDateAndTime()
        assert (answer.TimeZone.TZ, answer.DaylightSavings) == ("UTC0", False)
        assert tds.GetDeviceInformation().SerialNumber == serial


def test_hard_factory_default_with_the_operators_consent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, RecorderProcess(
            data, extra_args=("--allow-hard-reset", "--segment-duration", "2")) as recorder:
        record(recorder, camera)
        assert wait_until(lambda: writing(data, 0), 15), recorder.log_tail()
        tds, _, _ = services(recorder)
        tds.CreateUsers(User=[{"Username": "op", "Password": "Pass-word-1",
                               "UserLevel": "Operator"}])
        serial = tds.GetDeviceInformation().SerialNumber
        starts = recorder.starts()
        tds.SetSystemFactoryDefault(FactoryDefault="Hard")
        recorder.wait_restarted(starts)
        tds, trc, trv = services(recorder)  # the administrator of the command line
        assert trc.GetRecordings() == [] and trv.GetReceivers() == []
        assert [u.Username for u in tds.GetUsers()] == [recorder.admin_user]
        assert not list(data.rglob("*.mp4")) and not list(data.rglob("*.partial"))
        assert tds.GetDeviceInformation().SerialNumber == serial
        assert os.path.exists(data / "device.json")
