"""``tns1:RecordingHistory/Track/VideoParameters`` and ``AudioParameters`` (Search §5.17)
are published live by the event service once a span's first segment is recorded, and
FindEvents finds the very same messages at the same times: recordings of the real test
camera, a PullPoint and the Search service through zeep, every answer XSD-validated
(the VideoRateControl ElementItem as the tt:VideoRateControl its topic describes)."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from tests.camera import Camera
from tests.conftest import RunningRecorder
from tests.integration.event_client import (
    TT,
    Received,
    Subscription,
    parse_notifications,
    subscribe,
    topic_filter,
)
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import configure_receiver, engine_recorder
from tests.integration.test_search_recorded import job_state, stop
from tests.onvif_client import validate_body

pytestmark = pytest.mark.slow
VIDEO = "tns1:RecordingHistory/Track/VideoParameters"
AUDIO = "tns1:RecordingHistory/Track/AudioParameters"
WSNT = "http://docs.oasis-open.org/wsn/b-2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def start_recording(recorder: RunningRecorder, camera: Camera, mount: str,
                    mode: str = "Idle") -> tuple[str, str, Any, Any]:
    trc, _ = client(recorder, "recording")
    trv, _ = client(recorder, "receiver")
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording, mode=mode))
    configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                       camera.url(mount))
    return recording, job.JobToken, trc, trv


def found_events(recorder: RunningRecorder, recording: str) -> list[Received]:
    """FindEvents over [EarliestRecording, LatestRecording] for the parameter topics, read
    from the raw answers as the PullPoint's messages are (UtcTime equal to Time)."""
    tse, rec = client(recorder, "search")
    info = tse.GetRecordingInformation(RecordingToken=recording)
    search = tse.FindEvents(StartPoint=info.EarliestRecording, EndPoint=info.LatestRecording,
                            Scope={"IncludedRecordings": [recording]}, IncludeStartState=False,
                            SearchFilter=topic_filter(VIDEO, AUDIO), KeepAliveTime="PT10S")
    validate_body(rec.last)
    received: list[Received] = []
    for _ in range(20):
        answer = tse.GetEventSearchResults(SearchToken=search, WaitTime="PT1S")
        received += search_messages(rec.last)
        if answer.SearchState == "Completed":
            return received
    raise AssertionError("the search never completed")


def search_messages(xml: bytes) -> list[Received]:
    """Each tt:Result's Event as a wsnt:NotificationMessage (its type), the body validated
    with every VideoRateControl ElementItem typed as the topic describes it."""
    validate_body(xml)
    root = etree.fromstring(xml)
    for item in root.iter(f"{{{TT}}}ElementItem"):
        assert item.get("Name") == "VideoRateControl"
        [child] = list(item)
        child.set(f"{{{XSI}}}type", "tt:VideoRateControl")
    validate_body(etree.tostring(root))
    for result in root.iter(f"{{{TT}}}Result"):
        event = result.find(f"{{{TT}}}Event")
        assert event is not None
        assert event.find(f"{{{WSNT}}}Message/{{{TT}}}Message").get(  # type: ignore[union-attr]
            "UtcTime") == result.findtext(f"{{{TT}}}Time")
        event.tag = f"{{{WSNT}}}NotificationMessage"
    return parse_notifications(etree.tostring(root))


def rate_control(message: Received) -> dict[str, int]:
    control = message.elements["VideoRateControl"]
    assert control.tag == f"{{{TT}}}VideoRateControl"
    return {etree.QName(child).localname: int(child.text or "") for child in control}


def same(live: Received, found: Received) -> bool:
    """The same message: topic, time, items, rate control; live says Initialized or
    Changed (the property appears or changes), FindEvents always Changed."""
    return (live.topic, live.utc_time, live.source, live.data) == (
        found.topic, found.utc_time, found.source, found.data) and (
        "VideoRateControl" not in live.elements
        or rate_control(live) == rate_control(found))


def parameters(subscription: Subscription, done: Any, within: float) -> list[Received]:
    return [m for m in subscription.pull_until(done, within) if m.topic in (VIDEO, AUDIO)]


def test_recording_start_publishes_the_recorded_parameters_live(tmp_path: Any) -> None:
    with Camera() as camera, engine_recorder(tmp_path / "data") as recorder:
        recording, job, trc, _ = start_recording(recorder, camera, "/av")
        subscription = subscribe(recorder, VIDEO, AUDIO)
        assert subscription.drain() == []  # nothing recorded yet: no value
        trc.SetRecordingJobMode(JobToken=job, Mode="Active")

        def both(got: list[Received]) -> bool:
            return {m.topic for m in got} == {VIDEO, AUDIO}

        live = parameters(subscription, both, 20.0)
        video = next(m for m in live if m.topic == VIDEO)
        audio = next(m for m in live if m.topic == AUDIO)
        assert video.source == {"Recording": recording, "Track": "VIDEO001"}
        assert video.data == {"VideoEncoding": "H264", "VideoWidth": "640",
                              "VideoHeight": "360"}  # what the camera's /av mount sends
        control = rate_control(video)
        assert 20 <= control["FrameRateLimit"] <= 30 and control["EncodingInterval"] == 1
        assert control["BitrateLimit"] > 0
        assert audio.source == {"Recording": recording, "Track": "AUDIO001"}
        assert (audio.data["AudioEncoding"], audio.data["AudioSampleRate"]) == ("AAC", "16")
        assert int(audio.data["AudioBitrate"]) > 0
        assert {m.operation for m in live} == {"Initialized"}  # the properties appear

        tse, _ = client(recorder, "search")
        stop(trc, tse, job, recording)
        found = found_events(recorder, recording)
        assert [m.topic for m in found] == [VIDEO, AUDIO]
        assert same(video, found[0]) and same(audio, found[1])

        later = subscribe(recorder, VIDEO, AUDIO)  # a new subscription gets the values
        initial = [m for m in later.drain() if m.source["Recording"] == recording]
        assert sorted((m.topic, m.operation) for m in initial) == [
            (AUDIO, "Initialized"), (VIDEO, "Initialized")]
        assert next(m for m in initial if m.topic == VIDEO).data == video.data
        assert job_state(trc, job) == "Idle"


def test_a_resolution_change_is_published_live_as_found(tmp_path: Any) -> None:
    """``/h264-unstable`` alternates 640x360 and 320x180 every 0.4 s; each change the
    recorder lets through starts a span (at most 3 in 10 s, then it holds the stream)."""
    with Camera() as camera, engine_recorder(tmp_path / "data", 1.0) as recorder:
        subscription = subscribe(recorder, VIDEO)
        recording, job, trc, _ = start_recording(recorder, camera, "/h264-unstable",
                                                 mode="Active")

        def changed(got: list[Received]) -> bool:
            return len({m.data["VideoWidth"] for m in got if m.topic == VIDEO}) == 2

        live = parameters(subscription, changed, 20.0)
        tse, _ = client(recorder, "search")
        stop(trc, tse, job, recording)
        found = found_events(recorder, recording)
        # The last spans' messages follow within a poll of the index (a second).
        live += parameters(subscription, lambda got: len(live) + len(got) >= len(found), 5.0)
        assert len(live) == len(found)
        assert all(same(a, b) for a, b in zip(live, found, strict=True))
        assert [m.operation for m in live] == ["Initialized"] + ["Changed"] * (len(live) - 1)
        assert {(m.data["VideoWidth"], m.data["VideoHeight"]) for m in live} == {
            ("640", "360"), ("320", "180")}
        assert all(m.source == {"Recording": recording, "Track": "VIDEO001"} for m in live)
        assert subscription.drain() == []
