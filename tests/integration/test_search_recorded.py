"""Search over recordings made from the real test camera: a recording stopped, left idle
and restarted has two recorded ranges with a gap, and every search operation says so
(the TS-SEARCH fixture shape: a stopped recording with a gap). zeep from search.wsdl,
every answer XSD-validated."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.camera import Camera
from tests.integration.event_client import topic_filter
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import (
    configure_receiver,
    engine_recorder,
    wait_until,
)
from tests.integration.test_search_service import find_events, results
from tests.onvif_client import validate_body

pytestmark = pytest.mark.slow


def job_state(trc: Any, job: str) -> str:
    return str(trc.GetRecordingJobState(JobToken=job).State)


def stop(trc: Any, tse: Any, job: str, recording: str) -> None:
    """Set the job Idle and wait until the recording is Stopped: Search §5.3 says Stopped
    once the job no longer executes the recording, so its data (LatestRecording, the
    history) is final; files and index rows may still change until then."""
    trc.SetRecordingJobMode(JobToken=job, Mode="Idle")
    assert wait_until(lambda: job_state(trc, job) == "Idle", 5.0)
    assert wait_until(lambda: status(tse, recording) == "Stopped", 10.0)


def status(tse: Any, recording: str) -> str:
    return str(tse.GetRecordingInformation(RecordingToken=recording).RecordingStatus)


def record_for(trc: Any, tse: Any, job: str, recording: str, seconds: float) -> None:
    trc.SetRecordingJobMode(JobToken=job, Mode="Active")
    assert wait_until(lambda: job_state(trc, job) == "Active", 10.0)
    time.sleep(seconds)
    stop(trc, tse, job, recording)


def test_a_recording_with_a_gap_is_found_with_both_ranges(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        tse, rec = client(recorder, "search")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/av"))
        assert tse.GetRecordingInformation(RecordingToken=recording).RecordingStatus == \
            "Initiated"
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        assert wait_until(lambda: job_state(trc, job.JobToken) == "Active", 10.0)
        assert tse.GetRecordingInformation(RecordingToken=recording).RecordingStatus == \
            "Recording"
        time.sleep(4.0)
        stop(trc, tse, job.JobToken, recording)
        time.sleep(2.0)
        record_for(trc, tse, job.JobToken, recording, 4.0)

        info = tse.GetRecordingInformation(RecordingToken=recording)
        validate_body(rec.last)
        assert info.RecordingStatus == "Stopped"
        tracks = {t.TrackToken: t for t in info.Track}
        assert set(tracks) == {"VIDEO001", "AUDIO001"}  # META001 recorded nothing
        assert info.EarliestRecording == min(t.DataFrom for t in info.Track)
        assert info.LatestRecording == max(t.DataTo for t in info.Track)

        events = find_events(tse, rec, recording, info.EarliestRecording.timestamp(),
                             info.LatestRecording.timestamp(), False)
        state = [(e[0], e[2]) for e in events if e[1] == ""]
        assert [value for _, value in state] == ["true", "false", "true", "false"]
        first_stop, second_start = state[1][0], state[2][0]
        assert (second_start - first_stop).total_seconds() >= 1.5  # the gap
        for track in tracks:
            values = [e[2] for e in events if e[1] == track and e[5].endswith("Track/State")]
            assert values == ["true", "false", "true", "false"], track
        backward = find_events(tse, rec, recording, info.LatestRecording.timestamp(),
                               info.EarliestRecording.timestamp(), False)
        assert backward == events[::-1]
        check_parameters(tse, rec, recording, info, events)

        middle = state[0][0] + (first_stop - state[0][0]) / 2
        check_media_attributes(tse, rec, recording, middle, state[0][0], first_stop)
        in_gap = first_stop + (second_start - first_stop) / 2
        assert tse.GetMediaAttributes(RecordingTokens=[recording], Time=in_gap) == []

        search = tse.FindRecordings(Scope={"RecordingInformationFilter":
                                           'boolean(//Track[TrackType = "Audio"])'},
                                    KeepAliveTime="PT10S")
        found, _ = results(tse, rec, "GetRecordingSearchResults", search)
        assert [i.RecordingToken for i in found] == [recording]
        assert found[0] == info


def parameter_events(tse: Any, rec: Any, recording: str, start: datetime, end: datetime,
                     include: bool) -> list[tuple[Any, ...]]:
    """(Time, Topic, Source items, Data items, StartStateEvent) of the parameters
    history topics (Search §5.17), every answer XSD-validated."""
    search = tse.FindEvents(StartPoint=start, EndPoint=end, IncludeStartState=include,
                            Scope={"IncludedRecordings": [recording]}, KeepAliveTime="PT10S",
                            SearchFilter=topic_filter(
                                "tns1:RecordingHistory/Track/VideoParameters",
                                "tns1:RecordingHistory/Track/AudioParameters"))
    validate_body(rec.last)
    found = []
    for result in results(tse, rec, "GetEventSearchResults", search)[0]:
        message = result.Event.Message._value_1
        found.append((result.Time, result.Event.Topic,
                      {i.Name: i.Value for i in message.Source.SimpleItem},
                      {i.Name: i.Value for i in message.Data.SimpleItem},
                      result.StartStateEvent))
    return found


def check_parameters(tse: Any, rec: Any, recording: str, info: Any,
                     events: list[tuple[Any, ...]]) -> None:
    """A VideoParameters and an AudioParameters event where each track's data starts,
    with what the camera's /av mount sends (H264 640x360, AAC 16 kHz)."""
    video = {"VideoEncoding": "H264", "VideoWidth": "640", "VideoHeight": "360"}
    starts = {track: [e[0] for e in events if e[1] == track
                      and e[5].endswith("Track/State") and e[2] == "true"]
              for track in ("VIDEO001", "AUDIO001")}
    found = parameter_events(tse, rec, recording, info.EarliestRecording,
                             info.LatestRecording, False)
    assert [(e[0], e[1], e[2]["Track"]) for e in found if "VideoWidth" in e[3]] == [
        (t, "tns1:RecordingHistory/Track/VideoParameters", "VIDEO001")
        for t in starts["VIDEO001"]]
    assert [(e[0], e[2]["Track"]) for e in found if "AudioEncoding" in e[3]] == [
        (t, "AUDIO001") for t in starts["AUDIO001"]]
    assert len(starts["VIDEO001"]) == 2 and all(e[2]["Recording"] == recording for e in found)
    for _, _, _, data, _ in found:
        if "VideoWidth" in data:
            assert data == video
        else:
            assert (data["AudioEncoding"], data["AudioSampleRate"]) == ("AAC", "16")
            assert int(data["AudioBitrate"]) > 0
    backward = parameter_events(tse, rec, recording, info.LatestRecording,
                                info.EarliestRecording, False)
    assert backward == found[::-1]
    virtual = parameter_events(tse, rec, recording, info.LatestRecording,
                               info.EarliestRecording, True)
    assert {(e[0], e[2]["Track"]) for e in virtual if e[4]} == {
        (moment, track) for moment in (info.LatestRecording, info.EarliestRecording)
        for track in ("VIDEO001", "AUDIO001")}
    assert all(e[3] == video for e in virtual if e[4] and "VideoWidth" in e[3])


def check_media_attributes(tse: Any, rec: Any, recording: str, moment: datetime,
                           start: datetime, stop: datetime) -> None:
    [attributes] = tse.GetMediaAttributes(RecordingTokens=[recording], Time=moment)
    validate_body(rec.last)
    assert (attributes.From, attributes.Until) == (start, stop)
    by_token = {t.TrackInformation.TrackToken: t for t in attributes.TrackAttributes}
    video = by_token["VIDEO001"].VideoAttributes
    assert (video.Encoding, video.Width, video.Height) == ("H264", 640, 360)
    assert 20 <= video.Framerate <= 30  # the camera sends 25 frames/s
    audio = by_token["AUDIO001"].AudioAttributes
    assert (audio.Encoding, audio.Samplerate) == ("AAC", 16)


def test_events_recorded_in_a_metadata_track_are_found(tmp_path: Path) -> None:
    """The camera's /meta stream sends a tns1:VideoSource/MotionAlarm event a second."""
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        tse, rec = client(recorder, "search")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/meta"))
        record_for(trc, tse, job.JobToken, recording, 5.0)
        info = tse.GetRecordingInformation(RecordingToken=recording)
        assert {t.TrackToken for t in info.Track} == {"VIDEO001", "META001"}
        start, end = info.EarliestRecording.timestamp(), info.LatestRecording.timestamp()

        events = find_events(tse, rec, recording, start, end, False)
        motion = [e for e in events if e[5] == "tns1:VideoSource/MotionAlarm"]
        assert len(motion) >= 3 and {e[1] for e in motion} == {"META001"}
        assert all(e[4] == "Changed" and e[3] is False for e in motion)
        assert [e[0] for e in events] == sorted(e[0] for e in events)
        assert all(info.EarliestRecording <= e[0] <= info.LatestRecording for e in events)
        backward = find_events(tse, rec, recording, end, start, False)
        assert backward == events[::-1]

        only_motion = find_events(tse, rec, recording, start, end, False,
                                  SearchFilter=topic_filter("tns1:VideoSource//."))
        assert only_motion == motion
        history_only = find_events(tse, rec, recording, start, end, False,
                                   SearchFilter=topic_filter("tns1:RecordingHistory//."))
        assert history_only == [e for e in events if e not in motion]
        by_content = find_events(
            tse, rec, recording, start, end, False, SearchFilter=topic_filter(
                content=f'boolean(//SimpleItem[@Name="State" and @Value="{motion[0][2]}"])'))
        assert by_content == [e for e in motion if e[2] == motion[0][2]]

        check_find_metadata(tse, rec, recording, start, end, motion)

        middle = info.EarliestRecording + (info.LatestRecording - info.EarliestRecording) / 2
        [attributes] = tse.GetMediaAttributes(RecordingTokens=[recording], Time=middle)
        validate_body(rec.last)
        [meta] = [t for t in attributes.TrackAttributes
                  if t.TrackInformation.TrackToken == "META001"]
        assert meta.MetadataAttributes.CanContainNotifications is True
        assert meta.MetadataAttributes.CanContainPTZ is True  # the documents carry tt:PTZ

        check_find_ptz_position(tse, rec, recording, start, end)


def find_metadata(tse: Any, rec: Any, recording: str, start: float, end: float,
                  expression: str, **extra: Any) -> list[tuple[datetime, str]]:
    search = tse.FindMetadata(StartPoint=datetime.fromtimestamp(start, UTC),
                              EndPoint=datetime.fromtimestamp(end, UTC),
                              Scope={"IncludedRecordings": [recording]},
                              MetadataFilter={"MetadataStreamFilter": expression},
                              KeepAliveTime="PT10S", **extra)
    validate_body(rec.last)
    found = []
    while True:
        answer = tse.GetMetadataSearchResults(SearchToken=search, WaitTime="PT1S")
        validate_body(rec.last)
        found += [(r.Time, r.TrackToken) for r in answer.Result]
        if answer.SearchState == "Completed":
            return found


def check_find_metadata(tse: Any, rec: Any, recording: str, start: float, end: float,
                        motion: list[tuple[Any, ...]]) -> None:
    """SEARCH-5-1-1, 5-1-4, 5-1-5 over the recorded /meta documents (one per event)."""
    every = 'boolean(//SimpleItem[@Name="Source" and @Value="VideoSource_1"])'
    forward = find_metadata(tse, rec, recording, start, end, every)
    assert [t for t, _ in forward] == sorted(t for t, _ in forward)
    assert {track for _, track in forward} == {"META001"}
    # One document per event; an event's UtcTime is the camera's clock truncated to the
    # second, the document's time the recorder's timeline, so the event of the first and
    # of the last document may each fall outside the recorded range.
    assert len(motion) <= len(forward) <= len(motion) + 2
    assert all(any(abs((t - e[0]).total_seconds()) < 1.5 for t, _ in forward) for e in motion)
    assert find_metadata(tse, rec, recording, end, start, every) == forward[::-1]
    assert find_metadata(tse, rec, recording, start, end, every, MaxMatches=1) == forward[:1]
    nothing = 'boolean(//Track[TrackToken = "NonExistingToken"])'
    assert find_metadata(tse, rec, recording, start, end, nothing) == []
    state = motion[0][2]
    with_state = find_metadata(tse, rec, recording, start, end,
                               f'boolean(//Data/SimpleItem[@Value = "{state}"])')
    assert 1 <= len(with_state) <= len([e for e in motion if e[2] == state]) + 1
    assert set(with_state) <= set(forward)


def find_ptz(tse: Any, rec: Any, recording: str, start: float, end: float,
             low: float, high: float, enter_or_exit: bool,
             **extra: Any) -> list[tuple[datetime, float]]:
    """FindPTZPosition over pan in [low, high] (tilt 0, any zoom), all results."""
    search = tse.FindPTZPosition(
        StartPoint=datetime.fromtimestamp(start, UTC), EndPoint=datetime.fromtimestamp(end, UTC),
        Scope={"IncludedRecordings": [recording]},
        SearchFilter={"MinPosition": {"PanTilt": {"x": low, "y": -1.0}},
                      "MaxPosition": {"PanTilt": {"x": high, "y": 1.0}},
                      "EnterOrExit": enter_or_exit},
        KeepAliveTime="PT10S", **extra)
    validate_body(rec.last)
    found = []
    while True:
        answer = tse.GetPTZPositionSearchResults(SearchToken=search, MaxResults=2)
        validate_body(rec.last)
        for result in answer.Result:
            assert (result.RecordingToken, result.TrackToken) == (recording, "META001")
            assert result.Position.Zoom.x == 0.5
            found.append((result.Time, result.Position.PanTilt.x))
        if answer.SearchState == "Completed":
            return found


def check_find_ptz_position(tse: Any, rec: Any, recording: str, start: float,
                            end: float) -> None:
    """The camera's documents report pan -0.75, -0.25, 0.25, 0.75, -0.75, ... (PANS)."""
    every = find_ptz(tse, rec, recording, start, end, -1.0, 1.0, False)
    assert len(every) >= 4 and [t for t, _ in every] == sorted(t for t, _ in every)
    assert {pan for _, pan in every} <= {-0.75, -0.25, 0.25, 0.75}
    right = find_ptz(tse, rec, recording, start, end, 0.0, 1.0, False)
    assert right == [(t, pan) for t, pan in every if pan > 0]
    crossings = find_ptz(tse, rec, recording, start, end, 0.0, 1.0, True)
    pans = [pan for _, pan in every]
    expected = [every[n] for n in range(1, len(every)) if (pans[n] > 0) != (pans[n - 1] > 0)]
    assert crossings == expected and crossings
    assert find_ptz(tse, rec, recording, end, start, 0.0, 1.0, True) == crossings[::-1]
    assert find_ptz(tse, rec, recording, start, end, -1.0, 1.0, False, MaxMatches=3) == \
        every[:3]
    assert find_ptz(tse, rec, recording, start, end, 2.0, 3.0, False) == []
