"""RC 26.06 segment operations and StorageStrategy over SOAP, without media: a zeep client
from the 26.06 recording.wsdl, every answer validated against the 26.06 schema (and the
25.12 one where both declare it); the faults §5.4, §5.7 and §5.26-5.28 name; an export
with nothing to upload still reports Initialized and Deleted over a PullPoint."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningRecorder
from tests.integration.event_client import subscribe
from tests.integration.helpers import client, expect_fault, recording_configuration
from tests.onvif_client import validate_body

TOPIC = "tns1:Monitoring/AsynchronousOperationStatus"
TIME = {"From": "2026-01-01T00:00:00Z", "Until": "2026-01-02T00:00:00Z"}
ACTION = ["Receiver", "Action"]
ARG = ["Sender", "InvalidArgVal"]


def trc26(recorder: RunningRecorder) -> tuple[Any, Any]:
    return client(recorder, "recording", version="26.06")


def storage(recorder: RunningRecorder, kind: str = "ObjectStorageS3") -> str:
    tds, _ = client(recorder, "device")
    configuration: dict[str, Any] = {"type": kind, "StorageUri": "http://127.0.0.1:9/bucket",
                                     "User": {"UserName": "key", "Password": "secret"}}
    if kind == "NFS":
        configuration = {"type": "NFS", "LocalPath": "/mnt/nfs"}
    token: str = tds.CreateStorageConfiguration(StorageConfiguration=configuration)
    return token


def target(storage_token: str, strategy: str | None = None) -> dict[str, Any]:
    value = {"Storage": storage_token, "Format": "MP4", "SegmentDuration": "PT2S"}
    return value if strategy is None else {**value, "StorageStrategy": strategy}


def test_capabilities_say_segment_export_and_onboard_storage(recorder: RunningRecorder) -> None:
    trc, rec = trc26(recorder)
    caps = trc.GetServiceCapabilities()
    validate_body(rec.last, version="26.06")
    assert caps.SegmentExport is True
    assert caps.OnboardStorage is True


def test_storage_strategy_round_trips(recorder: RunningRecorder) -> None:
    trc, rec = trc26(recorder)
    trc25, _ = client(recorder, "recording")
    token = storage(recorder)
    for strategy in ("Local", "Both", "External"):
        recording = trc.CreateRecording(
            RecordingConfiguration=recording_configuration(Target=target(token, strategy)))
        configuration = trc.GetRecordingConfiguration(RecordingToken=recording)
        validate_body(rec.last, version="26.06")
        assert configuration.Target.StorageStrategy == strategy
        old = trc25.GetRecordingConfiguration(RecordingToken=recording)  # a 25.12 client
        assert old.Target.Storage == token
    absent = trc.CreateRecording(RecordingConfiguration=recording_configuration(
        Target=target(token)))
    assert trc.GetRecordingConfiguration(RecordingToken=absent).Target.StorageStrategy is None


def test_storage_strategy_faults(recorder: RunningRecorder) -> None:
    trc, rec = trc26(recorder)
    s3, nfs = storage(recorder), storage(recorder, "NFS")
    for strategy, token in (("Cloud", s3), ("local", s3), ("Both", nfs)):
        expect_fault(trc.CreateRecording, RecordingConfiguration=recording_configuration(
            Target=target(token, strategy)), chain=[*ACTION, "UnsupportedStorageStrategy"],
            rec=rec)
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration(
        Target=target(nfs, "Local")))  # an NFS target with Local records locally
    expect_fault(trc.SetRecordingConfiguration, RecordingToken=recording,
                 RecordingConfiguration=recording_configuration(Target=target(nfs, "Both")),
                 chain=[*ACTION, "UnsupportedStorageStrategy"], rec=rec)


def test_list_recorded_segments(recorder: RunningRecorder) -> None:
    trc, rec = trc26(recorder)
    expect_fault(trc.ListRecordedSegments, Time=TIME, RecordingToken="nope",
                 chain=[*ARG, "NoRecording"], rec=rec)
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    result = trc.ListRecordedSegments(Time=TIME, RecordingToken=recording, MaxResults=10)
    validate_body(rec.last, version="26.06")
    assert result.Segment == [] and result.HasMoreResults is False
    expect_fault(trc.ListRecordedSegments, Time=TIME, RecordingToken=recording, MaxResults=0,
                 chain=ARG, rec=rec)


def test_export_faults(recorder: RunningRecorder) -> None:
    trc, rec = trc26(recorder)
    s3, nfs = storage(recorder), storage(recorder, "NFS")
    local = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    backwards = {"From": TIME["Until"], "Until": TIME["From"]}
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"RecordingToken": "nope", "Time": TIME}, [*ARG, "NoRecording"]),
        ({"RecordingToken": local, "Time": backwards, "StorageToken": s3},
         [*ARG, "BadDuration"]),
        ({"RecordingToken": local, "Time": TIME}, [*ARG, "InvalidStorage"]),  # nowhere to go
        ({"RecordingToken": local, "Time": TIME, "StorageToken": "nope"},
         [*ARG, "InvalidStorage"]),
        ({"RecordingToken": local, "Time": TIME, "StorageToken": nfs}, [*ARG, "InvalidStorage"]),
        ({"RecordingToken": local, "Time": TIME, "StorageToken": s3, "Track": "Sound"}, ARG),
    ]
    for arguments, chain in cases:
        expect_fault(trc.ExportRecordedSegments, chain=chain, rec=rec, **arguments)
    expect_fault(trc.StopExportRecordedSegments, OperationToken="nope",
                 chain=[*ARG, "NoOperation"], rec=rec)


def test_an_export_of_nothing_is_initialized_then_deleted(recorder: RunningRecorder) -> None:
    trc, rec = trc26(recorder)
    subscription = subscribe(recorder, TOPIC)
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration(
        Target=target(storage(recorder), "Local")))
    token = trc.ExportRecordedSegments(Time=TIME, RecordingToken=recording, Alias="case 7")
    validate_body(rec.last, version="26.06")
    events = subscription.pull_until(lambda got: any(e.operation == "Deleted" for e in got))
    assert [e.operation for e in events] == ["Initialized", "Deleted"]
    for event in events:
        assert event.topic == TOPIC
        assert event.source == {"Token": token, "OperationName": "ExportRecordedSegments",
                                "ServiceName": recorder.service_url("recording")}
        assert event.data["Alias"] == "case 7"
        assert not event.elements
    assert [float(e.data["Progress"]) for e in events] == [0.0, 1.0]
    expect_fault(trc.StopExportRecordedSegments, OperationToken=token,
                 chain=[*ARG, "NoOperation"], rec=rec)  # it ended
