"""tns1:RecordingConfig/JobState, a property event (RC §5.26.1, Core "Property events";
RECORDING-5-1-18, RECORDING-5-1-19, EVENT-3-1-25)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import RunningRecorder, start_recorder
from tests.flowing_media import FlowingMedia
from tests.integration.event_client import TEV, Received, answer_action, same_content, subscribe
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.onvif_client import ResponseRecorder, body_element, validate_body

JOB_STATE = "tns1:RecordingConfig/JobState"
TRC = "http://www.onvif.org/ver10/recording/wsdl"
Client = tuple[Any, ResponseRecorder]


@pytest.fixture
def flowing(tmp_path: Path) -> Iterator[tuple[RunningRecorder, FlowingMedia]]:
    """A recorder whose jobs really become Active: media flows on every track they own."""
    media = FlowingMedia()
    running, thread = start_recorder(tmp_path / "data", media=media)
    yield running, media
    thread.stop()


def with_jobs(recorder: RunningRecorder, *modes: str) -> tuple[Client, list[str]]:
    trc = client(recorder, "recording")
    service, _ = trc
    recording = service.CreateRecording(RecordingConfiguration=recording_configuration())
    jobs = [
        service.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording, mode)).JobToken
        for mode in modes
    ]
    return trc, jobs


def job_state(trc: Client, job: str) -> etree._Element:
    service, rec = trc
    service.GetRecordingJobState(JobToken=job)
    validate_body(rec.last)
    state = body_element(rec.last).find(f"{{{TRC}}}State")
    assert state is not None
    return state


def assert_matches_get_state(trc: Client, message: Received) -> None:
    """RECORDING-5-1-18 step 5: State is State.State; Information, if present, is State."""
    state = job_state(trc, message.source["RecordingJobToken"])
    assert message.data["State"] == state.findtext("{*}State")
    if "Information" in message.elements:
        assert same_content(message.elements["Information"], state)


def for_job(job: str, operation: str) -> Any:
    return lambda got: any(m.source == {"RecordingJobToken": job} and m.operation == operation
                           for m in got)


def about(job: str, received: list[Received]) -> list[Received]:
    return [m for m in received if m.source == {"RecordingJobToken": job}]


def test_a_new_subscription_gets_every_job_initialized(
    flowing: tuple[RunningRecorder, FlowingMedia],
) -> None:
    recorder, _ = flowing
    trc, jobs = with_jobs(recorder, "Idle", "Active", "Idle")
    subscription = subscribe(recorder, JOB_STATE)
    received = subscription.pull_until(lambda got: len(got) >= 3)
    assert [m.source["RecordingJobToken"] for m in received] == jobs
    assert [m.data["State"] for m in received] == ["Idle", "Active", "Idle"]
    for message in received:
        assert message.topic == JOB_STATE and message.operation == "Initialized"
        assert_matches_get_state(trc, message)
    assert subscription.pull("PT0S") == []


def test_toggling_the_mode_changes_the_state_as_get_recording_job_state_reports(
    flowing: tuple[RunningRecorder, FlowingMedia],
) -> None:
    recorder, _ = flowing
    trc, [job] = with_jobs(recorder, "Idle")
    service, _ = trc
    subscription = subscribe(recorder, JOB_STATE)
    subscription.pull_until(for_job(job, "Initialized"))
    for mode in ("Active", "Idle"):
        service.SetRecordingJobMode(JobToken=job, Mode=mode)
        [message] = subscription.pull_until(for_job(job, "Changed"))
        assert message.data["State"] == mode and "Information" not in message.elements
        assert_matches_get_state(trc, message)


def test_deleting_a_job_deletes_its_property(
    flowing: tuple[RunningRecorder, FlowingMedia],
) -> None:
    recorder, _ = flowing
    trc, [job] = with_jobs(recorder, "Active")
    service, _ = trc
    subscription = subscribe(recorder, JOB_STATE)
    subscription.drain()
    service.DeleteRecordingJob(JobToken=job)
    [message] = subscription.pull_until(for_job(job, "Deleted"))
    assert message.data == {} and message.elements == {}


def test_a_job_created_later_is_initialized(flowing: tuple[RunningRecorder, FlowingMedia]) -> None:
    recorder, _ = flowing
    trc, _ = with_jobs(recorder)
    subscription = subscribe(recorder, JOB_STATE)
    assert subscription.pull("PT0S") == []
    _, [job] = with_jobs(recorder, "Active")
    [message] = subscription.pull_until(for_job(job, "Initialized"))
    assert_matches_get_state(trc, message)


def test_synchronization_point_repeats_every_job(
    flowing: tuple[RunningRecorder, FlowingMedia],
) -> None:
    """EVENT-3-1-25: the repeated messages have the same Source items."""
    recorder, _ = flowing
    _, jobs = with_jobs(recorder, "Active", "Idle")
    subscription = subscribe(recorder, JOB_STATE)
    first = subscription.drain()
    subscription.pullpoint.SetSynchronizationPoint()
    validate_body(subscription.pull_rec.last)
    assert answer_action(subscription.pull_rec.last) == (
        f"{TEV}/PullPointSubscription/SetSynchronizationPointResponse")
    again = subscription.pull_until(lambda got: len(got) >= 2)
    assert [m.source for m in again] == [m.source for m in first]
    assert [m.source["RecordingJobToken"] for m in again] == jobs
    assert {m.operation for m in again} == {"Initialized"}


def test_partially_active_jobs_carry_information(
    flowing: tuple[RunningRecorder, FlowingMedia],
) -> None:
    """RC §5.26.1: Information whenever the tracks' states differ. A job of higher
    priority takes VIDEO001 away, so the first job keeps only its other tracks."""
    recorder, _ = flowing
    trc, [job] = with_jobs(recorder, "Active")
    service, _ = trc
    recording = service.GetRecordingJobConfiguration(JobToken=job).RecordingToken
    subscription = subscribe(recorder, JOB_STATE)
    subscription.drain()
    stronger = auto_receiver_job(recording, "Active", priority=9)
    stronger["Source"][0]["Tracks"] = [{"SourceTag": "v", "Destination": "VIDEO001"}]
    service.CreateRecordingJob(JobConfiguration=stronger)
    [message] = about(job, subscription.pull_until(for_job(job, "Changed")))
    assert message.data["State"] == "PartiallyActive"
    assert "Information" in message.elements
    assert_matches_get_state(trc, message)


def test_media_flow_changes_reported_by_the_engine(
    flowing: tuple[RunningRecorder, FlowingMedia],
) -> None:
    recorder, media = flowing
    trc, [job] = with_jobs(recorder, "Active")
    subscription = subscribe(recorder, JOB_STATE)
    subscription.drain()
    media.stopped = True
    recorder.in_loop(recorder.services.engine.media_flow_changed)
    [message] = subscription.pull_until(for_job(job, "Changed"))
    assert message.data["State"] == "Idle"
    assert_matches_get_state(trc, message)


def test_changed_only_policy(flowing: tuple[RunningRecorder, FlowingMedia]) -> None:
    """tev:ChangedOnly: no Initialized nor Deleted, not even at a synchronization point."""
    recorder, _ = flowing
    trc, [job] = with_jobs(recorder, "Idle")
    service, _ = trc
    policy = {"_value_1": [etree.Element(f"{{{TEV}}}ChangedOnly")]}
    subscription = subscribe(recorder, JOB_STATE, SubscriptionPolicy=policy)
    subscription.pullpoint.SetSynchronizationPoint()
    assert subscription.pull("PT0S") == []
    service.SetRecordingJobMode(JobToken=job, Mode="Active")
    service.DeleteRecordingJob(JobToken=job)
    received = subscription.pull_until(lambda got: len(got) >= 1)
    assert [(m.operation, m.data.get("State")) for m in received] == [("Changed", "Active")]
    assert subscription.pull("PT0S") == []


def test_without_media_an_active_job_stays_idle_and_nothing_changes(
    recorder: RunningRecorder,
) -> None:
    """Until the engine writes samples a job is honestly Idle (RC §5.19), so toggling its
    mode does not change its state and no Changed message is sent."""
    trc, [job] = with_jobs(recorder, "Idle")
    service, _ = trc
    subscription = subscribe(recorder, JOB_STATE)
    subscription.drain()
    service.SetRecordingJobMode(JobToken=job, Mode="Active")
    assert subscription.pull("PT0S") == []
    assert job_state(trc, job).findtext("{*}State") == "Idle"
