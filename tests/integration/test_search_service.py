"""Recording Search service (Search 25.12) through zeep clients from the official
search.wsdl; every answer is validated against the official XSD.

Recorded data is written into the segment index as the engine writes it (two spans with
a gap, as the TS-SEARCH fixture recording has); tests/integration/test_search_recorded.py
does the same against recordings made from the real test camera.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import zeep.exceptions
from lxml import etree

from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow
from tests.conftest import RunningRecorder, start_recorder
from tests.flowing_media import FlowingMedia
from tests.integration.event_client import subscribe, topic_filter
from tests.integration.helpers import client, expect_fault, recording_configuration
from tests.onvif_client import (
    ResponseRecorder,
    body_element,
    onvif_service_with_recorder,
    validate_body,
)

INVALID_TOKEN = ["Sender", "InvalidArgVal", "InvalidToken"]
T0 = 1_780_000_000.0  # 2026-05-28T20:26:40Z
VIDEO, AUDIO, META = "VIDEO001", "AUDIO001", "META001"
HISTORY = "tns1:RecordingHistory"
TSE = "http://www.onvif.org/ver10/search/wsdl"
TT = "http://www.onvif.org/ver10/schema"
WSNT_TOPIC = "{http://docs.oasis-open.org/wsn/b-2}Topic"


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def record_span(recorder: RunningRecorder, recording: str, start: float, end: float,
                tracks: tuple[str, ...] = (VIDEO, META), segment: float = 10.0) -> None:
    """Segment rows of one span, as local storage writes them."""
    index = SegmentIndex(recorder.data_dir / "recorder.sqlite3")
    span, moment = "", start
    while moment < end:
        key = f"{recording}/{moment:.3f}.mp4"
        span = span or key
        codecs = {t: {"VIDEO": "avc1", "AUDIO": "mp4a", "META": "metx"}[t[:5].rstrip("0")]
                  for t in tracks}
        index.put(SegmentRow(recording, key, span, "mp4", moment, min(moment + segment, end),
                             1000, tracks, codecs, True))
        moment += segment
    index.close()


@pytest.fixture
def tse(recorder: RunningRecorder) -> tuple[Any, ResponseRecorder]:
    return client(recorder, "search")


@pytest.fixture
def stopped(recorder: RunningRecorder) -> str:
    """A stopped recording with a gap: [T0, T0+60) and [T0+90, T0+150)."""
    trc, _ = client(recorder, "recording")
    token: str = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    record_span(recorder, token, T0, T0 + 60)
    record_span(recorder, token, T0 + 90, T0 + 150)
    return token


def results(tse: Any, rec: ResponseRecorder, get: str, token: str, **paging: Any
            ) -> tuple[list[Any], list[str]]:
    """Every result of a search, in order, and the SearchState of each answer. Event
    results get their wsnt:Topic text as ``topic`` (zeep drops mixed content)."""
    found, states = [], []
    for _ in range(100):
        answer = getattr(tse, get)(SearchToken=token, WaitTime="PT1S", **paging)
        validate_body(rec.last)
        states.append(answer.SearchState)
        if get == "GetEventSearchResults":
            topics = [t.text for t in body_element(rec.last).iter(WSNT_TOPIC)]
            for result, topic in zip(answer.Result, topics, strict=True):
                result.Event.Topic = topic
        found += answer.RecordingInformation if get == "GetRecordingSearchResults" \
            else answer.Result
        if answer.SearchState == "Completed":
            return found, states
    raise AssertionError("the search never completed")


def test_capabilities_agree_with_get_services_search_1_1_1_and_1_1_2(
        recorder: RunningRecorder, tse: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = tse
    caps = svc.GetServiceCapabilities()
    validate_body(rec.last)
    assert caps.MetadataSearch is True
    anonymous, _ = onvif_service_with_recorder(
        "search", f"{recorder.url}/onvif/search_service")
    assert anonymous.GetServiceCapabilities().MetadataSearch is True  # PRE_AUTH
    tds, drec = client(recorder, "device")
    services = tds.GetServices(IncludeCapability=True)
    validate_body(drec.last)
    [entry] = [s for s in services if s.Namespace == TSE]
    assert entry.XAddr == f"{recorder.url}/onvif/search_service"
    tds_ns = "{http://www.onvif.org/ver10/device/wsdl}"
    [listed] = [s.find(f"{tds_ns}Capabilities/{{{TSE}}}Capabilities")
                for s in body_element(drec.last) if s.findtext(f"{tds_ns}Namespace") == TSE]
    own = body_element(rec.exchanges[0].response)[0]
    assert listed is not None
    assert listed.tag == own.tag and listed.items() == own.items()
    tds.GetCapabilities(Category="All")
    validate_body(drec.last)
    search = body_element(drec.last).find(f"{tds_ns}Capabilities/{{{TT}}}Extension/{{{TT}}}Search")
    assert search is not None
    legacy = {etree.QName(child).localname: child.text for child in search.iterchildren()}
    assert legacy == {"XAddr": entry.XAddr, "MetadataSearch": "true"}
    with pytest.raises(zeep.exceptions.Fault):  # READ_MEDIA needs credentials
        anonymous.GetRecordingSummary()


def test_summary_and_information_follow_the_recorded_ranges(
        recorder: RunningRecorder, tse: tuple[Any, ResponseRecorder], stopped: str) -> None:
    svc, rec = tse
    trc, _ = client(recorder, "recording")
    empty = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    summary = svc.GetRecordingSummary()
    validate_body(rec.last)
    assert summary.NumberRecordings == 2
    assert (summary.DataFrom, summary.DataUntil) == (at(T0), at(T0 + 150))
    info = svc.GetRecordingInformation(RecordingToken=stopped)
    validate_body(rec.last)
    assert info.RecordingStatus == "Stopped"
    assert (info.EarliestRecording, info.LatestRecording) == (at(T0), at(T0 + 150))
    # The audio track holds no data: no TrackInformation (§5.3.3).
    assert [(t.TrackToken, t.TrackType, t.DataFrom, t.DataTo) for t in info.Track] == [
        (VIDEO, "Video", at(T0), at(T0 + 150)), (META, "Metadata", at(T0), at(T0 + 150))]
    assert info.Source.Name == "CameraName" and info.Content == "Create/Delete recordings test"
    fresh = svc.GetRecordingInformation(RecordingToken=empty)
    validate_body(rec.last)
    assert fresh.RecordingStatus == "Initiated" and fresh.EarliestRecording is None
    assert fresh.Track == []
    expect_fault(svc.GetRecordingInformation, RecordingToken="nope", chain=INVALID_TOKEN,
                 rec=rec)
    expect_fault(svc.GetMediaAttributes, RecordingTokens=["nope"], Time=at(T0),
                 chain=INVALID_TOKEN, rec=rec)


def test_find_recordings_with_filters_and_session_rules(
        recorder: RunningRecorder, tse: tuple[Any, ResponseRecorder], stopped: str) -> None:
    svc, rec = tse
    trc, _ = client(recorder, "recording")
    audio = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    record_span(recorder, audio, T0, T0 + 20, tracks=(AUDIO,))
    expected = {
        'boolean(//Track[TrackType = "Video"])': {stopped},
        'boolean(//Track[TrackType = "Audio"])': {audio},
        "boolean(//Track[TrackType = 'Metadata'])": {stopped},
        'boolean(//Track[TrackType = "Video"]) and boolean(//Track[TrackType = "Audio"])': set(),
        'boolean(//Track[TrackType = "Video"]) or boolean(//Track[TrackType = "Audio"])':
            {stopped, audio},
        'boolean(//Source[Name = "CameraName"]) and not(boolean(//Track[TrackType = "Audio"]))':
            {stopped},
    }
    for expression, tokens in expected.items():
        search = svc.FindRecordings(Scope={"RecordingInformationFilter": expression},
                                    KeepAliveTime="PT10S")
        validate_body(rec.last)
        found, states = results(svc, rec, "GetRecordingSearchResults", search)
        assert {i.RecordingToken for i in found} == tokens, expression
        assert states[-1] == "Completed"
        expect_fault(svc.GetRecordingSearchResults, SearchToken=search, chain=INVALID_TOKEN)
    # MaxResults 1: one at a time, never twice (SEARCH-2-1-4); field for field equal to
    # GetRecordingInformation (2-1-18).
    search = svc.FindRecordings(Scope={}, KeepAliveTime="PT10S")
    found, states = results(svc, rec, "GetRecordingSearchResults", search, MaxResults=1)
    assert sorted(i.RecordingToken for i in found) == sorted([stopped, audio])
    assert states == ["Searching", "Completed"]
    for info in found:
        assert info == svc.GetRecordingInformation(RecordingToken=info.RecordingToken)
    # MaxMatches (2-1-7) and IncludedRecordings.
    search = svc.FindRecordings(Scope={"IncludedRecordings": [audio]}, MaxMatches=1,
                                KeepAliveTime="PT10S")
    assert [i.RecordingToken for i in results(svc, rec, "GetRecordingSearchResults",
                                              search)[0]] == [audio]
    expect_fault(svc.FindRecordings, Scope={"IncludedRecordings": ["nope"]},
                 KeepAliveTime="PT10S", chain=INVALID_TOKEN, rec=rec)
    expect_fault(svc.FindRecordings, Scope={"RecordingInformationFilter": "boolean(//Track["},
                 KeepAliveTime="PT10S", chain=["Sender", "InvalidArgVal", "InvalidFilterFault"],
                 rec=rec)


def test_end_search_right_after_find_then_the_token_is_gone_search_2_1_12(
        tse: tuple[Any, ResponseRecorder], stopped: str) -> None:
    svc, rec = tse
    search = svc.FindRecordings(Scope={}, KeepAliveTime="PT10S")
    endpoint = svc.EndSearch(SearchToken=search)
    validate_body(rec.last)
    assert isinstance(endpoint, datetime)
    expect_fault(svc.GetRecordingSearchResults, SearchToken=search, chain=INVALID_TOKEN, rec=rec)
    expect_fault(svc.EndSearch, SearchToken=search, chain=INVALID_TOKEN, rec=rec)
    expect_fault(svc.GetEventSearchResults, SearchToken="nope", chain=INVALID_TOKEN, rec=rec)
    expect_fault(svc.GetMetadataSearchResults, SearchToken="nope", chain=INVALID_TOKEN,
                 rec=rec)  # SEARCH-5-1-6
    expect_fault(svc.GetPTZPositionSearchResults, SearchToken="nope", chain=INVALID_TOKEN,
                 rec=rec)
    expect_fault(svc.FindMetadata, StartPoint=at(T0), Scope={}, MetadataFilter={
        "MetadataStreamFilter": "boolean(//Frame["}, KeepAliveTime="PT10S",
        chain=["Sender", "InvalidArgVal", "InvalidFilterFault"], rec=rec)


def test_keep_alive_expiry_search_2_1_19_and_2_1_20(
        tse: tuple[Any, ResponseRecorder], stopped: str) -> None:
    svc, rec = tse
    search = svc.FindRecordings(Scope={}, KeepAliveTime="PT2S")
    time.sleep(1.0)
    assert svc.GetSearchState(SearchToken=search) == "Searching"  # alive, clock restarted
    validate_body(rec.last)
    time.sleep(2.5)
    expect_fault(svc.GetRecordingSearchResults, SearchToken=search, chain=INVALID_TOKEN, rec=rec)


def test_too_many_sessions_is_resource_problem(
        recorder: RunningRecorder, tse: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = tse
    limit = recorder.services.search.limits.max_search_sessions
    tokens = [svc.FindRecordings(Scope={}, KeepAliveTime="PT30S") for _ in range(limit)]
    assert len(set(tokens)) == limit
    expect_fault(svc.FindRecordings, Scope={}, KeepAliveTime="PT30S",
                 chain=["Receiver", "Action", "ResourceProblem"], rec=rec)
    svc.EndSearch(SearchToken=tokens[0])
    svc.FindRecordings(Scope={}, KeepAliveTime="PT30S")


def _events(found: list[Any]) -> list[tuple[Any, ...]]:
    rows = []
    for result in found:
        message = result.Event.Message._value_1
        assert message.UtcTime == result.Time
        items = {i.Name: i.Value for i in message.Data.SimpleItem}
        value = items.get("IsRecording", items.get("IsDataPresent", items.get("State")))
        rows.append((result.Time, result.TrackToken or "", value, result.StartStateEvent,
                     message.PropertyOperation, result.Event.Topic))
    return rows


def find_events(svc: Any, rec: ResponseRecorder, recording: str, start: float,
                end: float | None, include: bool, **extra: Any) -> list[tuple[Any, ...]]:
    request: dict[str, Any] = {"StartPoint": at(start), "Scope": {
        "IncludedRecordings": [recording]}, "SearchFilter": extra.pop("SearchFilter", {}),
        "IncludeStartState": include, "KeepAliveTime": "PT10S", **extra}
    if end is not None:
        request["EndPoint"] = at(end)
    search = svc.FindEvents(**request)
    validate_body(rec.last)
    return _events(results(svc, rec, "GetEventSearchResults", search)[0])


def test_find_events_recording_history_forward_and_backward_search_3_1_13_14(
        tse: tuple[Any, ResponseRecorder], stopped: str) -> None:
    svc, rec = tse
    recording, track = f"{HISTORY}/Recording/State", f"{HISTORY}/Track/State"
    expected = [
        (at(T0), "", "true", False, "Changed", recording),
        (at(T0), VIDEO, "true", False, "Changed", track),
        (at(T0), META, "true", False, "Changed", track),
        (at(T0 + 60), VIDEO, "false", False, "Changed", track),
        (at(T0 + 60), META, "false", False, "Changed", track),
        (at(T0 + 60), "", "false", False, "Changed", recording),
        (at(T0 + 90), "", "true", False, "Changed", recording),
        (at(T0 + 90), VIDEO, "true", False, "Changed", track),
        (at(T0 + 90), META, "true", False, "Changed", track),
        (at(T0 + 150), VIDEO, "false", False, "Changed", track),
        (at(T0 + 150), META, "false", False, "Changed", track),
        (at(T0 + 150), "", "false", False, "Changed", recording),
    ]
    for start, end in ((T0, T0 + 150), (T0 - 100, T0 + 1000)):  # endpoints equal, outside
        assert find_events(svc, rec, stopped, start, end, False) == expected
        assert find_events(svc, rec, stopped, end, start, False) == expected[::-1]
    limited = find_events(svc, rec, stopped, T0 + 150, T0, False, MaxMatches=1)
    assert limited == expected[-1:]
    only_tracks = find_events(svc, rec, stopped, T0, T0 + 150, False,
                              SearchFilter=topic_filter(f"{HISTORY}/Track/State"))
    assert only_tracks == [e for e in expected if e[5] == track]
    video = topic_filter(f"{HISTORY}//.", content=f'boolean(//SimpleItem[@Name="Track" and '
                                                  f'@Value="{VIDEO}"])')
    assert find_events(svc, rec, stopped, T0, T0 + 150, False, SearchFilter=video) == [
        e for e in expected if e[1] == VIDEO]
    other = topic_filter("tns1:RecordingConfig/JobState")  # valid, never recorded
    assert find_events(svc, rec, stopped, T0, T0 + 150, False, SearchFilter=other) == []
    expect_fault(svc.FindEvents, StartPoint=at(T0), Scope={}, IncludeStartState=False,
                 SearchFilter=topic_filter("tns1:Recording History"), KeepAliveTime="PT10S",
                 chain=["Sender", "InvalidArgVal", "InvalidFilterFault"], rec=rec)


def test_find_events_start_state_search_3_1_11(
        tse: tuple[Any, ResponseRecorder], stopped: str) -> None:
    svc, rec = tse
    start, end = T0 + 30, T0 + 120  # inside; StartPoint in data, EndPoint in the second span
    forward = find_events(svc, rec, stopped, start, end, True)
    virtual = [e for e in forward if e[3]]
    assert {(e[0], e[1], e[2], e[4]) for e in virtual} == {
        (at(start), "", "true", "Initialized"), (at(start), VIDEO, "true", "Initialized"),
        (at(start), AUDIO, "false", "Initialized"), (at(start), META, "true", "Initialized")}
    real = [e for e in forward if not e[3]]
    assert [e[0] for e in real] == sorted(e[0] for e in real)
    assert all(at(start) <= e[0] <= at(end) for e in real)
    year_one = datetime(1, 1, 1, tzinfo=UTC).timestamp()  # as TS-SEARCH 6-1-12 sends
    from_the_start = find_events(svc, rec, stopped, year_one, None, True)
    assert [e[:4] for e in from_the_start[:2]] == [(at(year_one), "", "false", True),
                                                   (at(year_one), VIDEO, "false", True)]
    assert len([e for e in from_the_start if not e[3]]) == 12
    backward = find_events(svc, rec, stopped, end, start, True)
    assert {e[0] for e in backward if e[3]} == {at(start), at(end)}
    assert [e for e in backward if not e[3]] == real[::-1]  # identical values backward


def test_media_attributes_for_the_tracks_at_that_time(
        tse: tuple[Any, ResponseRecorder], stopped: str) -> None:
    svc, rec = tse
    attributes = svc.GetMediaAttributes(RecordingTokens=[stopped], Time=at(T0 + 100))
    validate_body(rec.last)
    [item] = attributes
    assert item.RecordingToken == stopped
    assert [t.TrackInformation.TrackToken for t in item.TrackAttributes] == [VIDEO, META]
    assert (item.From, item.Until) == (at(T0 + 90), at(T0 + 150))
    assert svc.GetMediaAttributes(RecordingTokens=[stopped], Time=at(T0 + 75)) == []


def test_event_and_metadata_sessions_keep_alive_and_expire_search_3_1_15_16_5_1_7_8(
        tse: tuple[Any, ResponseRecorder], stopped: str) -> None:
    svc, rec = tse
    events = svc.FindEvents(StartPoint=at(T0), EndPoint=at(T0 + 150), Scope={},
                            SearchFilter={}, IncludeStartState=True, KeepAliveTime="PT2S")
    metadata = svc.FindMetadata(StartPoint=at(T0), Scope={}, KeepAliveTime="PT2S",
                                MetadataFilter={"MetadataStreamFilter": "boolean(//Frame)"})
    time.sleep(1.0)
    # Any MinResults is accepted (SEARCH-2-1-3); the session was alive after 1 s.
    page = svc.GetEventSearchResults(SearchToken=events, MinResults=1000, MaxResults=2,
                                     WaitTime="PT0.5S")
    validate_body(rec.last)
    assert page.SearchState == "Searching" and len(page.Result) == 2
    assert svc.GetSearchState(SearchToken=metadata) == "Completed"  # nothing recorded
    time.sleep(2.5)
    expect_fault(svc.GetEventSearchResults, SearchToken=events, chain=INVALID_TOKEN, rec=rec)
    expect_fault(svc.GetMetadataSearchResults, SearchToken=metadata, chain=INVALID_TOKEN,
                 rec=rec)


def test_recording_history_is_published_live(tmp_path: Path) -> None:
    """Search §5.17 topics on the event service: Initialized on subscription, Changed when
    a job starts and stops writing; the tracks the job does not own stay false."""
    media = FlowingMedia()
    recorder, thread = start_recorder(tmp_path / "data", media=media)
    try:
        trc, _ = client(recorder, "recording")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration={
            "RecordingToken": recording, "Mode": "Idle", "Priority": 1, "Source": [{
                "SourceToken": {"Token": zeep.xsd.SkipValue,
                                "Type": "http://www.onvif.org/ver10/schema/Receiver"},
                "AutoCreateReceiver": True,
                "Tracks": [{"SourceTag": "Video", "Destination": VIDEO}]}]}).JobToken
        subscription = subscribe(recorder, f"{HISTORY}//.")
        initial = subscription.pull_until(lambda got: len(got) >= 4)
        assert {(m.source.get("Track", ""), m.data[key], m.operation)
                for m in initial for key in m.data} == {
            ("", "false", "Initialized"), (VIDEO, "false", "Initialized"),
            (AUDIO, "false", "Initialized"), (META, "false", "Initialized")}
        trc.SetRecordingJobMode(JobToken=job, Mode="Active")
        started = subscription.pull_until(lambda got: len(got) >= 2)
        assert [(m.topic, m.source.get("Track", ""), m.data, m.operation) for m in started] == [
            (f"{HISTORY}/Recording/State", "", {"IsRecording": "true"}, "Changed"),
            (f"{HISTORY}/Track/State", VIDEO, {"IsDataPresent": "true"}, "Changed")]
        trc.SetRecordingJobMode(JobToken=job, Mode="Idle")
        stopped = subscription.pull_until(lambda got: len(got) >= 2)
        assert [(m.source.get("Track", ""), m.data) for m in stopped] == [
            ("", {"IsRecording": "false"}), (VIDEO, {"IsDataPresent": "false"})]
        assert subscription.pull("PT0S") == []
    finally:
        thread.stop()
