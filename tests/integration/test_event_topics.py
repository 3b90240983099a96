"""Every topic, live: a subscription filtered to it receives the message after the operation
that triggers it, schema-valid, with the Configuration the matching Get* returns
(RC §5.26; RECORDING-5-1-3, -4, -6, -10, -11, -15, -16, -17, -20; Receiver "Events")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.service.events import TrackDataDeleted
from tests.conftest import RunningRecorder
from tests.integration.event_client import CONCRETE_SET, Received, same_content, subscribe
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.onvif_client import ResponseRecorder, body_element, validate_body

TRC = "http://www.onvif.org/ver10/recording/wsdl"
DEFAULT_TRACKS = ["VIDEO001", "AUDIO001", "META001"]


@pytest.fixture
def trc(recorder: RunningRecorder) -> tuple[Any, ResponseRecorder]:
    return client(recorder, "recording")


def new_recording(trc: tuple[Any, ResponseRecorder]) -> str:
    service, _ = trc
    token: str = service.CreateRecording(RecordingConfiguration=recording_configuration())
    return token


def answer_element(rec: ResponseRecorder, name: str) -> etree._Element:
    found = body_element(rec.last).find(f"{{{TRC}}}{name}")
    assert found is not None, f"no trc:{name} in the answer"
    return found


def assert_plain_event(message: Received, topic: str) -> None:
    """What every notification must have (conformance §2.0 step 6)."""
    assert message.topic == topic and message.dialect == CONCRETE_SET
    assert message.operation is None
    stamp = datetime.fromisoformat(message.utc_time)
    assert message.utc_time.endswith("Z") and abs(stamp - datetime.now(UTC)) < timedelta(minutes=1)


def test_create_recording(recorder: RunningRecorder, trc: tuple[Any, ResponseRecorder]) -> None:
    """RECORDING-5-1-6."""
    subscription = subscribe(recorder, "tns1:RecordingConfig/CreateRecording")
    token = new_recording(trc)
    [message] = subscription.pull_until(lambda got: len(got) >= 1)
    assert_plain_event(message, "tns1:RecordingConfig/CreateRecording")
    assert message.source == {"RecordingToken": token} and message.data == {}
    assert subscription.pull("PT0S") == []  # nothing of the other topics got through


def test_create_recording_announces_each_default_track(
    recorder: RunningRecorder, trc: tuple[Any, ResponseRecorder]
) -> None:
    """RECORDING-5-1-10: pulled two at a time, as the test tool does."""
    subscription = subscribe(recorder, "tns1:RecordingConfig/CreateTrack")
    token = new_recording(trc)
    received: list[Received] = []
    while len(received) < 3:
        received.extend(subscription.pull(limit=2))
    for message in received:
        assert_plain_event(message, "tns1:RecordingConfig/CreateTrack")
    assert [m.source for m in received] == [
        {"RecordingToken": token, "TrackToken": track} for track in DEFAULT_TRACKS]


def test_delete_recording_announces_each_track_then_itself(
    recorder: RunningRecorder, trc: tuple[Any, ResponseRecorder]
) -> None:
    """RECORDING-5-1-11 and RECORDING-5-1-17."""
    service, _ = trc
    token = new_recording(trc)
    extra = service.CreateTrack(RecordingToken=token,
                                TrackConfiguration={"TrackType": "Video", "Description": "x"})
    subscription = subscribe(recorder, "tns1:RecordingConfig/DeleteTrack",
                             "tns1:RecordingConfig/DeleteRecording")
    service.DeleteRecording(RecordingToken=token)
    received = subscription.pull_until(lambda got: len(got) >= 5)
    assert [(m.topic.rsplit("/", 1)[1], m.source.get("TrackToken")) for m in received] == [
        *(("DeleteTrack", track) for track in [*DEFAULT_TRACKS, extra]),
        ("DeleteRecording", None),
    ]
    assert {m.source["RecordingToken"] for m in received} == {token}


def test_create_and_delete_track(
    recorder: RunningRecorder, trc: tuple[Any, ResponseRecorder]
) -> None:
    """RECORDING-5-1-15 and RECORDING-5-1-16."""
    service, _ = trc
    token = new_recording(trc)
    created = subscribe(recorder, "tns1:RecordingConfig/CreateTrack")
    deleted = subscribe(recorder, "tns1:RecordingConfig/DeleteTrack")
    new_track = {"TrackType": "Audio", "Description": "New Track"}
    track = service.CreateTrack(RecordingToken=token, TrackConfiguration=new_track)
    service.DeleteTrack(RecordingToken=token, TrackToken=track)
    for subscription, topic in ((created, "CreateTrack"), (deleted, "DeleteTrack")):
        [message] = subscription.pull_until(lambda got: len(got) >= 1)
        assert_plain_event(message, f"tns1:RecordingConfig/{topic}")
        assert message.source == {"RecordingToken": token, "TrackToken": track}


def test_recording_configuration_equals_get_recording_configuration(
    recorder: RunningRecorder, trc: tuple[Any, ResponseRecorder]
) -> None:
    """RECORDING-5-1-3: a different Source.Name, everything else unchanged."""
    service, rec = trc
    token = new_recording(trc)
    subscription = subscribe(recorder, "tns1:RecordingConfig/RecordingConfiguration")
    configuration = recording_configuration(Content="x" * 2000)  # stored truncated
    configuration["Source"]["Name"] = "Renamed"
    service.SetRecordingConfiguration(RecordingToken=token, RecordingConfiguration=configuration)
    [message] = subscription.pull_until(lambda got: len(got) >= 1)
    assert_plain_event(message, "tns1:RecordingConfig/RecordingConfiguration")
    assert message.source == {"RecordingToken": token}
    service.GetRecordingConfiguration(RecordingToken=token)
    validate_body(rec.last)
    expected = answer_element(rec, "RecordingConfiguration")
    assert same_content(message.elements["Configuration"], expected)
    assert message.elements["Configuration"].findtext("{*}Source/{*}Name") == "Renamed"


def test_track_configuration_equals_get_track_configuration(
    recorder: RunningRecorder, trc: tuple[Any, ResponseRecorder]
) -> None:
    """RECORDING-5-1-4: a different Description."""
    service, rec = trc
    token = new_recording(trc)
    subscription = subscribe(recorder, "tns1:RecordingConfig/TrackConfiguration")
    service.SetTrackConfiguration(RecordingToken=token, TrackToken="AUDIO001",
                                  TrackConfiguration={"TrackType": "Audio", "Description": "mic"})
    [message] = subscription.pull_until(lambda got: len(got) >= 1)
    assert_plain_event(message, "tns1:RecordingConfig/TrackConfiguration")
    assert message.source == {"RecordingToken": token, "TrackToken": "AUDIO001"}
    service.GetTrackConfiguration(RecordingToken=token, TrackToken="AUDIO001")
    assert same_content(message.elements["Configuration"],
                        answer_element(rec, "TrackConfiguration"))


def test_job_configuration_equals_get_recording_job_configuration(
    recorder: RunningRecorder, trc: tuple[Any, ResponseRecorder]
) -> None:
    """RECORDING-5-1-20: the same configuration with the other Mode."""
    service, rec = trc
    token = new_recording(trc)
    job = service.CreateRecordingJob(JobConfiguration=auto_receiver_job(token))
    subscription = subscribe(recorder, "tns1:RecordingConfig/RecordingJobConfiguration")
    configuration = job.JobConfiguration
    configuration.Mode = "Active"
    service.SetRecordingJobConfiguration(JobToken=job.JobToken, JobConfiguration=configuration)
    [message] = subscription.pull_until(lambda got: len(got) >= 1)
    assert_plain_event(message, "tns1:RecordingConfig/RecordingJobConfiguration")
    assert message.source == {"RecordingJobToken": job.JobToken}
    service.GetRecordingJobConfiguration(JobToken=job.JobToken)
    expected = answer_element(rec, "JobConfiguration")
    assert same_content(message.elements["Configuration"], expected)
    assert expected.findtext("{*}Mode") == "Active"


def test_delete_track_data_as_the_retention_work_will_publish_it(
    recorder: RunningRecorder, trc: tuple[Any, ResponseRecorder]
) -> None:
    token = new_recording(trc)
    subscription = subscribe(recorder, "tns1:RecordingConfig/DeleteTrackData")
    start = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    event = TrackDataDeleted(token, "VIDEO001", start, start + timedelta(minutes=10))
    recorder.in_loop(lambda: recorder.services.events.publish(event))
    [message] = subscription.pull_until(lambda got: len(got) >= 1)
    assert_plain_event(message, "tns1:RecordingConfig/DeleteTrackData")
    assert message.source == {"RecordingToken": token, "TrackToken": "VIDEO001"}
    assert message.data == {"StartTime": "2026-01-02T03:04:05.678Z",
                            "EndTime": "2026-01-02T03:14:05.678Z"}


def test_receiver_events_as_the_engine_will_report_them(recorder: RunningRecorder) -> None:
    """Receiver spec "Events"; RECEIVER-2-1-16..18 check them through the engine later."""
    receiver, _ = client(recorder, "receiver")
    token = receiver.CreateReceiver(Configuration={
        "Mode": "NeverConnect", "MediaUri": "rtsp://192.0.2.7/stream",
        "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "UDP"}}}).Token
    changes = subscribe(recorder, "tns1:Receiver/ChangeState")
    failures = subscribe(recorder, "tns1:Receiver/ConnectionFailed")
    engine = recorder.services.engine
    recorder.in_loop(lambda: engine.receiver_state_changed(
        token, ReceiverState.CONNECTING, "rtsp://192.0.2.7/stream"))
    recorder.in_loop(lambda: engine.receiver_connection_failed(token, "rtsp://192.0.2.7/stream"))
    recorder.in_loop(lambda: engine.receiver_state_changed(token, ReceiverState.NOT_CONNECTED))
    state_changes = changes.pull_until(lambda got: len(got) >= 2)
    for message in state_changes:
        assert_plain_event(message, "tns1:Receiver/ChangeState")
        assert message.source == {"ReceiverToken": token}
    assert [m.data for m in state_changes] == [
        {"NewState": "Connecting", "MediaUri": "rtsp://192.0.2.7/stream"},
        {"NewState": "NotConnected"},
    ]
    [failure] = failures.pull_until(lambda got: len(got) >= 1)
    assert_plain_event(failure, "tns1:Receiver/ConnectionFailed")
    assert (failure.source, failure.data) == (
        {"ReceiverToken": token}, {"MediaUri": "rtsp://192.0.2.7/stream"})


def test_an_unfiltered_subscription_sees_everything_in_order(
    recorder: RunningRecorder, trc: tuple[Any, ResponseRecorder]
) -> None:
    """Core: without a Filter a pull point notifies all events; order is kept."""
    service, _ = trc
    subscription = subscribe(recorder)
    token = new_recording(trc)
    service.DeleteRecording(RecordingToken=token)
    received = subscription.pull_until(lambda got: len(got) >= 16)
    # Each change is followed by the recording history properties (Search §5.17) it
    # creates or deletes: the recording and its three tracks.
    assert [(m.topic.rsplit("/", 1)[1], m.operation) for m in received] == [
        ("CreateRecording", None), ("CreateTrack", None), ("CreateTrack", None),
        ("CreateTrack", None), *[("State", "Initialized")] * 4,
        ("DeleteTrack", None), ("DeleteTrack", None), ("DeleteTrack", None),
        ("DeleteRecording", None), *[("State", "Deleted")] * 4,
    ]
    stamps = [datetime.fromisoformat(m.utc_time) for m in received]
    assert stamps == sorted(stamps)
