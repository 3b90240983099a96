"""Recording jobs (RC §5.13-5.19) and their auto-created receivers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RunningRecorder
from tests.integration.helpers import (
    RECEIVER_TYPE,
    auto_receiver_job,
    client,
    expect_fault,
    recording_configuration,
)
from tests.onvif_client import ResponseRecorder, validate_body

NO_JOB = ["Sender", "InvalidArgVal", "NoRecordingJob"]
BAD_CONFIGURATION = ["Sender", "InvalidArgVal", "BadConfiguration"]


@pytest.fixture
def clients(recorder: RunningRecorder) -> dict[str, tuple[Any, ResponseRecorder]]:
    return {"trc": client(recorder, "recording"), "trv": client(recorder, "receiver")}


def new_recording(svc: Any) -> str:
    token: str = svc.CreateRecording(RecordingConfiguration=recording_configuration())
    return token


def test_auto_create_receiver_follows_annex_j(clients: dict[str, Any]) -> None:
    trc, rec = clients["trc"]
    trv, _ = clients["trv"]
    recording = new_recording(trc)
    response = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
    validate_body(rec.last)
    configuration = response.JobConfiguration
    assert (configuration.RecordingToken, configuration.Mode, configuration.Priority) == (
        recording,
        "Idle",
        1,
    )
    [source] = configuration.Source
    assert source.AutoCreateReceiver is None  # never reported (RC §5.3.3)
    assert source.SourceToken.Type == RECEIVER_TYPE
    receiver = source.SourceToken.Token
    assert receiver in [r.Token for r in trv.GetReceivers()]
    state = trv.GetReceiverState(ReceiverToken=receiver)
    assert state.AutoCreated is True and state.State == "NotConnected"
    # RC §5.13: without tracks, the job records into every track of the recording.
    assert {(t.SourceTag, t.Destination) for t in source.Tracks} == {
        ("Video", "VIDEO001"),
        ("Audio", "AUDIO001"),
        ("Metadata", "META001"),
    }
    assert b"AutoCreateReceiver" not in rec.last


def test_get_jobs_and_configuration_agree(clients: dict[str, Any]) -> None:
    """Conformance Annex B: GetRecordingJobs and GetRecordingJobConfiguration agree."""
    trc, rec = clients["trc"]
    recording = new_recording(trc)
    job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording)).JobToken
    [item] = [i for i in trc.GetRecordingJobs() if i.JobToken == job]
    validate_body(rec.last)
    configuration = trc.GetRecordingJobConfiguration(JobToken=job)
    validate_body(rec.last)
    assert configuration == item.JobConfiguration


def test_job_state_lists_every_source_and_track(clients: dict[str, Any]) -> None:
    """Conformance Annex C; no media flows yet, so the job is honestly Idle."""
    trc, rec = clients["trc"]
    recording = new_recording(trc)
    created = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording, "Active"))
    state = trc.GetRecordingJobState(JobToken=created.JobToken)
    validate_body(rec.last)
    assert state.RecordingToken == recording and state.State == "Idle"
    [source] = state.Sources
    assert source.SourceToken.Token == created.JobConfiguration.Source[0].SourceToken.Token
    assert {(t.SourceTag, t.Destination, t.State) for t in source.Tracks.Track} == {
        ("Video", "VIDEO001", "Idle"),
        ("Audio", "AUDIO001", "Idle"),
        ("Metadata", "META001", "Idle"),
    }


def test_delete_job_deletes_its_auto_created_receiver(clients: dict[str, Any]) -> None:
    trc, rec = clients["trc"]
    trv, _ = clients["trv"]
    recording = new_recording(trc)
    created = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
    receiver = created.JobConfiguration.Source[0].SourceToken.Token
    trc.DeleteRecordingJob(JobToken=created.JobToken)
    validate_body(rec.last)
    assert created.JobToken not in [j.JobToken for j in trc.GetRecordingJobs()]
    assert receiver not in [r.Token for r in trv.GetReceivers()]


def test_shared_auto_receiver_survives_until_its_last_job(clients: dict[str, Any]) -> None:
    """RECORDING-3-1-12: a second job on the auto-created receiver keeps it alive."""
    trc, _ = clients["trc"]
    trv, _ = clients["trv"]
    recording = new_recording(trc)
    first = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
    receiver = first.JobConfiguration.Source[0].SourceToken.Token
    second = trc.CreateRecordingJob(
        JobConfiguration={
            "RecordingToken": recording,
            "Mode": "Active",
            "Priority": 2,
            "Source": [
                {
                    "SourceToken": {"Token": receiver, "Type": RECEIVER_TYPE},
                    "AutoCreateReceiver": False,
                }
            ],
        }
    )
    trc.DeleteRecordingJob(JobToken=first.JobToken)
    assert receiver in [r.Token for r in trv.GetReceivers()]
    trc.DeleteRecordingJob(JobToken=second.JobToken)
    assert receiver not in [r.Token for r in trv.GetReceivers()]


def test_delete_recording_deletes_jobs_and_auto_receivers(clients: dict[str, Any]) -> None:
    trc, _ = clients["trc"]
    trv, _ = clients["trv"]
    recording = new_recording(trc)
    created = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
    trc.DeleteRecording(RecordingToken=recording)
    assert trc.GetRecordingJobs() == []
    assert created.JobConfiguration.Source[0].SourceToken.Token not in [
        r.Token for r in trv.GetReceivers()
    ]


def test_set_job_configuration(clients: dict[str, Any]) -> None:
    """RC §5.16: echo the request, fill in the receiver, drop unused auto receivers."""
    trc, rec = clients["trc"]
    trv, _ = clients["trv"]
    recording = new_recording(trc)
    created = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
    old_receiver = created.JobConfiguration.Source[0].SourceToken.Token
    manual = trv.CreateReceiver(
        Configuration={
            "Mode": "NeverConnect",
            "MediaUri": "rtsp://192.0.2.1/stream",
            "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "UDP"}},
        }
    ).Token
    request = {
        "RecordingToken": recording,
        "Mode": "Idle",
        "Priority": 5,
        "Source": [
            {
                "SourceToken": {"Token": manual, "Type": RECEIVER_TYPE},
                "Tracks": [{"SourceTag": "video", "Destination": "VIDEO001"}],
            }
        ],
    }
    answer = trc.SetRecordingJobConfiguration(JobToken=created.JobToken, JobConfiguration=request)
    validate_body(rec.last)
    assert answer.Priority == 5 and answer.Source[0].SourceToken.Token == manual
    assert [(t.SourceTag, t.Destination) for t in answer.Source[0].Tracks] == [
        ("video", "VIDEO001")
    ]
    receivers = [r.Token for r in trv.GetReceivers()]
    assert manual in receivers and old_receiver not in receivers
    other = new_recording(trc)
    expect_fault(
        trc.SetRecordingJobConfiguration,
        JobToken=created.JobToken,
        JobConfiguration={**request, "RecordingToken": other},
        chain=BAD_CONFIGURATION,
        rec=rec,
    )


def test_set_job_mode(clients: dict[str, Any]) -> None:
    trc, rec = clients["trc"]
    recording = new_recording(trc)
    job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording)).JobToken
    trc.SetRecordingJobMode(JobToken=job, Mode="Active")
    validate_body(rec.last)
    assert trc.GetRecordingJobConfiguration(JobToken=job).Mode == "Active"
    expect_fault(
        trc.SetRecordingJobMode,
        JobToken=job,
        Mode="Paused",
        chain=["Sender", "InvalidArgVal", "BadMode"],
        rec=rec,
    )
    expect_fault(trc.SetRecordingJobMode, JobToken="nope", Mode="Idle", chain=NO_JOB, rec=rec)


def test_job_faults(clients: dict[str, Any]) -> None:
    trc, rec = clients["trc"]
    recording = new_recording(trc)
    for call in (
        trc.DeleteRecordingJob,
        trc.GetRecordingJobConfiguration,
        trc.GetRecordingJobState,
    ):
        expect_fault(call, JobToken="nope", chain=NO_JOB, rec=rec)
    expect_fault(
        trc.CreateRecordingJob,
        JobConfiguration=auto_receiver_job("nope"),
        chain=["Sender", "InvalidArgVal", "NoRecording"],
        rec=rec,
    )
    no_source = {"RecordingToken": recording, "Mode": "Idle", "Priority": 1}
    expect_fault(
        trc.CreateRecordingJob, JobConfiguration=no_source, chain=BAD_CONFIGURATION, rec=rec
    )
    unknown_receiver = {**no_source, "Source": [{"SourceToken": {"Token": "ghost"}}]}
    expect_fault(
        trc.CreateRecordingJob, JobConfiguration=unknown_receiver, chain=BAD_CONFIGURATION, rec=rec
    )
    bad_track = {**auto_receiver_job(recording)}
    bad_track["Source"] = [
        {**bad_track["Source"][0], "Tracks": [{"SourceTag": "v", "Destination": "VIDEO999"}]}
    ]
    expect_fault(
        trc.CreateRecordingJob, JobConfiguration=bad_track, chain=BAD_CONFIGURATION, rec=rec
    )
    negative = {**auto_receiver_job(recording), "Priority": -1}
    expect_fault(
        trc.CreateRecordingJob, JobConfiguration=negative, chain=BAD_CONFIGURATION, rec=rec
    )


def test_spare_jobs_count_down(clients: dict[str, Any]) -> None:
    trc, _ = clients["trc"]
    recording = new_recording(trc)
    before = trc.GetRecordingOptions(RecordingToken=recording).Job.Spare
    trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
    assert trc.GetRecordingOptions(RecordingToken=recording).Job.Spare == before - 1
