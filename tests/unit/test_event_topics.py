"""Every domain event becomes a message of its topic, with exactly the described items."""

from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta, timezone

import pytest

from onvif_recorder.domain.duration import ZERO
from onvif_recorder.domain.job import (
    JobMode,
    JobState,
    RecordingJobConfiguration,
    RecordingJobStateInformation,
    SourceJobState,
    SourceReference,
    TrackJobState,
)
from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.domain.recording import (
    RecordingConfiguration,
    RecordingSource,
    TrackConfiguration,
    TrackType,
)
from onvif_recorder.events.topics import HISTORY_TOPICS, TOPICS, Message, message_of, utc_text
from onvif_recorder.service import events as ev
from onvif_recorder.service.async_operation_events import (
    AsynchronousOperationStatus,
    FileProgress,
    FileProgressStatus,
    OperationError,
)

CONFIG = RecordingConfiguration(RecordingSource("id", "n", "l", "d", "a"), "c", ZERO)
T0 = datetime(2026, 3, 4, 5, 6, 7, 891_234, tzinfo=UTC)


def state(*track_states: JobState) -> RecordingJobStateInformation:
    tracks = tuple(TrackJobState(f"t{i}", f"T{i}", s) for i, s in enumerate(track_states))
    source = SourceJobState(SourceReference("Receiver_1"), track_states[0], tracks)
    return RecordingJobStateInformation("Recording_1", track_states[0], (source,))


SAMPLES: list[ev.DomainEvent] = [
    ev.RecordingCreated("R"),
    ev.RecordingDeleted("R"),
    ev.TrackCreated("R", "T"),
    ev.TrackDeleted("R", "T"),
    ev.TrackDataDeleted("R", "T", T0, T0 + timedelta(hours=1)),
    ev.RecordingConfigurationChanged("R", CONFIG),
    ev.TrackConfigurationChanged("R", "T", TrackConfiguration(TrackType.VIDEO, "")),
    ev.JobConfigurationChanged("J", RecordingJobConfiguration("R", JobMode.IDLE, 1)),
    ev.JobStateChanged("J", ev.PropertyOperation.CHANGED, state(JobState.IDLE, JobState.ACTIVE)),
    ev.ReceiverStateChanged("V", ReceiverState.CONNECTED, "rtsp://cam/"),
    ev.ReceiverConnectionFailed("V", "rtsp://cam/"),
    ev.ScheduleStateChanged("S", "Office hours", ev.PropertyOperation.CHANGED, True, False),
    ev.ScheduleChanged("S"),
    ev.ScheduleChanged("S", removed=True),
    ev.SpecialDaysChanged("G"),
    ev.SpecialDaysChanged("G", removed=True),
    ev.CameraEvent("Receiver_1", ("VideoSource", "MotionAlarm"), ev.PropertyOperation.CHANGED,
                   (("Source", "VideoSource_1"),), (("State", "true"),)),
    ev.KeyStatusChanged("Key_1", "ok", old="generating"),
    ev.RecordingHistoryState("R", True, ev.PropertyOperation.CHANGED),
    ev.TrackHistoryState("R", "T", False, ev.PropertyOperation.INITIALIZED),
    ev.TrackVideoParameters("R", "V", "H264", 640, 360, ev.PropertyOperation.CHANGED,
                            ev.VideoRateControl(25, 1, 1024)),
    ev.TrackAudioParameters("R", "A", "AAC", 16, 32, ev.PropertyOperation.INITIALIZED),
    AsynchronousOperationStatus(
        "Export_1", "ExportRecordedData", "http://nvr/onvif/recording_service", 0.5,
        ev.PropertyOperation.CHANGED, FileProgressStatus((FileProgress("a.mp4", 0.5),)),
        OperationError("store refused"), alias="evidence-7"),
]


def test_samples_cover_every_event_type_and_every_topic() -> None:
    event_types = set(typing.get_args(ev.DomainEvent))
    assert {type(e) for e in SAMPLES} == event_types
    # A camera's topics are its own (CameraEvent): every other sample is one of ours.
    assert {message_of(e).topic for e in SAMPLES
            if not isinstance(e, ev.CameraEvent)} == set(TOPICS) | set(HISTORY_TOPICS)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_each_message_has_exactly_the_described_items(event: ev.DomainEvent) -> None:
    message = message_of(event)
    assert [name for name, _ in message.source] == [i.name for i in message.topic.source]
    assert [name for name, _ in message.data] == [i.name for i in message.topic.data]
    for item in message.topic.data:
        value = dict(message.data)[item.name]
        assert isinstance(value, str) != item.element
    assert (message.operation is not None) == message.topic.is_property


def test_job_state_information_only_when_the_tracks_disagree() -> None:
    def data(info: RecordingJobStateInformation) -> Message:
        return message_of(ev.JobStateChanged("J", ev.PropertyOperation.CHANGED, info))

    assert [n for n, _ in data(state(JobState.ACTIVE, JobState.ACTIVE)).data] == ["State"]
    mixed = state(JobState.PARTIALLY_ACTIVE, JobState.IDLE)
    assert data(mixed).data == (("State", "PartiallyActive"), ("Information", mixed))


def test_a_deleted_job_state_has_no_data() -> None:
    message = message_of(ev.JobStateChanged("J", ev.PropertyOperation.DELETED, None))
    assert message.data == () and message.operation is ev.PropertyOperation.DELETED


def test_receiver_state_without_uri_leaves_the_optional_item_out() -> None:
    message = message_of(ev.ReceiverStateChanged("V", ReceiverState.NOT_CONNECTED))
    assert message.data == (("NewState", "NotConnected"),)


def test_times_are_utc_with_z_and_milliseconds() -> None:
    assert utc_text(T0) == "2026-03-04T05:06:07.891Z"
    plus_two = T0.astimezone(timezone(timedelta(hours=2)))
    assert utc_text(plus_two) == "2026-03-04T05:06:07.891Z"
    data = dict(message_of(SAMPLES[4]).data)
    assert data == {"StartTime": "2026-03-04T05:06:07.891Z", "EndTime": "2026-03-04T06:06:07.891Z"}


def test_topic_texts_and_the_state_type_the_tests_expect() -> None:
    texts = [t.text for t in TOPICS]
    assert texts[0] == "tns1:RecordingConfig/JobState"
    assert "tns1:Receiver/ConnectionFailed" in texts and len(set(texts)) == len(texts)
    assert TOPICS[0].data[0].type == "xs:string"  # not the spec's xs:String (RC tests)
