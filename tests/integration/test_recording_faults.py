"""The remaining fault chains of RC §5.4-5.18 not covered beside their operations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from onvif_recorder.settings import Limits
from tests.conftest import RunningRecorder, start_recorder
from tests.integration.helpers import (
    auto_receiver_job,
    client,
    expect_fault,
    recording_configuration,
)

BAD_CONFIGURATION = ["Sender", "InvalidArgVal", "BadConfiguration"]


@pytest.fixture
def small(tmp_path: Path) -> Any:
    running, thread = start_recorder(tmp_path / "d", Limits(max_recording_jobs=1, max_receivers=1))
    yield running
    thread.stop()


def test_max_recording_jobs_and_max_receivers(small: RunningRecorder) -> None:
    trc, rec = client(small, "recording")
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
    expect_fault(
        trc.CreateRecordingJob,
        JobConfiguration=auto_receiver_job(recording),
        chain=["Receiver", "Action", "MaxRecordingJobs"],
        rec=rec,
    )
    # Replacing the job's source with two auto-created receivers needs one receiver more.
    two = auto_receiver_job(recording)
    two["Source"] = two["Source"] * 2
    expect_fault(
        trc.SetRecordingJobConfiguration,
        JobToken=job.JobToken,
        JobConfiguration=two,
        chain=["Receiver", "Action", "MaxReceivers"],
        rec=rec,
    )
    assert trc.GetRecordingJobConfiguration(JobToken=job.JobToken) == job.JobConfiguration


def test_set_job_configuration_on_unknown_job(recorder: RunningRecorder) -> None:
    trc, rec = client(recorder, "recording")
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    expect_fault(
        trc.SetRecordingJobConfiguration,
        JobToken="ghost",
        JobConfiguration=auto_receiver_job(recording),
        chain=["Sender", "InvalidArgVal", "NoRecordingJob"],
        rec=rec,
    )


def test_track_configuration_faults(recorder: RunningRecorder) -> None:
    trc, rec = client(recorder, "recording")
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    expect_fault(
        trc.CreateTrack,
        RecordingToken=recording,
        TrackConfiguration={"TrackType": "Extended", "Description": ""},
        chain=BAD_CONFIGURATION,
        rec=rec,
    )
    expect_fault(
        trc.SetTrackConfiguration,
        RecordingToken="ghost",
        TrackToken="VIDEO001",
        TrackConfiguration={"TrackType": "Video", "Description": ""},
        chain=["Sender", "InvalidArgVal", "NoRecording"],
        rec=rec,
    )
    expect_fault(
        trc.DeleteTrack,
        RecordingToken="ghost",
        TrackToken="VIDEO001",
        chain=["Sender", "InvalidArgVal", "NoRecording"],
        rec=rec,
    )


def test_jobs_for_unsupported_sources_are_refused(recorder: RunningRecorder) -> None:
    """No Media service: profile sources are refused."""
    trc, rec = client(recorder, "recording")
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    profile = {
        "RecordingToken": recording,
        "Mode": "Active",
        "Priority": 1,
        "Source": [
            {
                "SourceToken": {
                    "Token": "Profile_1",
                    "Type": "http://www.onvif.org/ver10/schema/Profile",
                }
            }
        ],
    }
    expect_fault(trc.CreateRecordingJob, JobConfiguration=profile, chain=BAD_CONFIGURATION, rec=rec)
    assert trc.GetRecordingJobs() == []
