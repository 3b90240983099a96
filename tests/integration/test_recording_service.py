"""Recording Control service, driven by zeep clients from the official 25.12 WSDL.

Every response body is validated against the official XSD; every fault is
checked for its full Code/Subcode chain (RC 25.12 §5.4-5.25).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RunningRecorder
from tests.integration.helpers import (
    auto_receiver_job,
    client,
    expect_fault,
    recording_configuration,
)
from tests.onvif_client import ResponseRecorder, validate_body

NO_RECORDING = ["Sender", "InvalidArgVal", "NoRecording"]
NO_TRACK = ["Sender", "InvalidArgVal", "NoTrack"]
NO_JOB = ["Sender", "InvalidArgVal", "NoRecordingJob"]
BAD_CONFIGURATION = ["Sender", "InvalidArgVal", "BadConfiguration"]


@pytest.fixture
def trc(recorder: RunningRecorder) -> tuple[Any, ResponseRecorder]:
    return client(recorder, "recording")


def create(trc: tuple[Any, ResponseRecorder], **overrides: Any) -> str:
    svc, rec = trc
    token: str = svc.CreateRecording(RecordingConfiguration=recording_configuration(**overrides))
    validate_body(rec.last)
    return token


def test_capabilities_satisfy_recording_1_1_1(trc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trc
    caps = svc.GetServiceCapabilities()
    validate_body(rec.last)
    assert caps.MaxRate > 0 and caps.MaxTotalRate > 0 and caps.MaxRecordings >= 1
    assert caps.Encoding and "H264" in caps.Encoding
    assert caps.DynamicRecordings and caps.DynamicTracks and caps.Options
    assert caps.MaxRecordingJobs >= 1
    # RC §5.25: Annex B object storage, §5.24 and export (§5.21) are built.
    assert caps.OverrideSegmentDuration is True
    assert caps.SupportedExportFileFormats == ["ONVIF", "MP4"]
    assert caps.SupportedTargetFormats == ["MP4", "CMAF"]


def test_create_recording_makes_the_three_default_tracks(trc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trc
    token = create(trc)
    items = svc.GetRecordings()
    validate_body(rec.last)
    [item] = [i for i in items if i.RecordingToken == token]
    # zeep reads an empty <tt:Description/> as None.
    tracks = {
        t.TrackToken: (t.Configuration.TrackType, t.Configuration.Description or "")
        for t in item.Tracks.Track
    }
    assert tracks == {
        "VIDEO001": ("Video", ""),
        "AUDIO001": ("Audio", ""),
        "META001": ("Metadata", ""),
    }


def test_configuration_reads_back_exactly(trc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trc
    name, uri = "N" * 20, "http://example.com/" + "a" * 109  # 20 and 128 characters (4-1-11)
    source = {
        "SourceId": uri,
        "Name": name,
        "Location": "Hall",
        "Description": "Door",
        "Address": uri,
    }
    token = create(trc, Source=source, Content="Entrance")
    configuration = svc.GetRecordingConfiguration(RecordingToken=token)
    validate_body(rec.last)
    assert (
        configuration.Source.SourceId,
        configuration.Source.Name,
        configuration.Source.Address,
    ) == (uri, name, uri)
    assert configuration.Source.Location == "Hall" and configuration.Content == "Entrance"
    [item] = [i for i in svc.GetRecordings() if i.RecordingToken == token]
    assert item.Configuration.Source.Name == name  # Annex A: both answers agree


def test_set_recording_configuration_replaces_it(trc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trc
    token = create(trc)
    svc.SetRecordingConfiguration(
        RecordingToken=token,
        RecordingConfiguration=recording_configuration(
            Content="changed", MaximumRetentionTime="P7D"
        ),
    )
    validate_body(rec.last)
    configuration = svc.GetRecordingConfiguration(RecordingToken=token)
    assert configuration.Content == "changed"
    assert configuration.MaximumRetentionTime.days == 7


def test_descriptive_strings_are_truncated_not_refused(trc: tuple[Any, ResponseRecorder]) -> None:
    svc, _ = trc
    token = create(trc, Content="c" * 5000)
    assert len(svc.GetRecordingConfiguration(RecordingToken=token).Content) == 1024


def test_recording_faults(trc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trc
    expect_fault(svc.GetRecordingConfiguration, RecordingToken="nope", chain=NO_RECORDING, rec=rec)
    expect_fault(svc.DeleteRecording, RecordingToken="nope", chain=NO_RECORDING, rec=rec)
    expect_fault(svc.GetRecordingOptions, RecordingToken="nope", chain=NO_RECORDING, rec=rec)
    expect_fault(
        svc.SetRecordingConfiguration,
        RecordingToken="nope",
        RecordingConfiguration=recording_configuration(),
        chain=NO_RECORDING,
        rec=rec,
    )
    too_long = {**recording_configuration()["Source"], "Name": "x" * 65}
    expect_fault(
        svc.CreateRecording,
        RecordingConfiguration=recording_configuration(Source=too_long),
        chain=BAD_CONFIGURATION,
        rec=rec,
    )


def test_max_recordings(tmp_path: Any) -> None:
    from onvif_recorder.settings import Limits
    from tests.conftest import start_recorder

    running, thread = start_recorder(tmp_path / "d", Limits(max_recordings=2))
    try:
        trc = client(running, "recording")
        create(trc)
        create(trc)
        expect_fault(
            trc[0].CreateRecording,
            RecordingConfiguration=recording_configuration(),
            chain=["Receiver", "Action", "MaxRecordings"],
            rec=trc[1],
        )
    finally:
        thread.stop()


def test_delete_recording_removes_it(trc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trc
    token = create(trc)
    svc.DeleteRecording(RecordingToken=token)
    validate_body(rec.last)
    assert token not in [i.RecordingToken for i in svc.GetRecordings()]


def test_tracks_create_configure_delete(trc: tuple[Any, ResponseRecorder]) -> None:
    """RECORDING-3-1-7 plus Get/SetTrackConfiguration (RC §5.9-5.12)."""
    svc, rec = trc
    token = create(trc)
    options = svc.GetRecordingOptions(RecordingToken=token)
    validate_body(rec.last)
    assert options.Track.SpareVideo > 0 and options.Track.SpareTotal > 0
    track = svc.CreateTrack(
        RecordingToken=token, TrackConfiguration={"TrackType": "Video", "Description": "New Track"}
    )
    validate_body(rec.last)
    assert track == "VIDEO002"
    after = svc.GetRecordingOptions(RecordingToken=token)
    assert after.Track.SpareVideo == options.Track.SpareVideo - 1
    svc.SetTrackConfiguration(
        RecordingToken=token,
        TrackToken=track,
        TrackConfiguration={"TrackType": "Audio", "Description": "Renamed"},
    )
    validate_body(rec.last)
    configuration = svc.GetTrackConfiguration(RecordingToken=token, TrackToken=track)
    validate_body(rec.last)
    assert (configuration.TrackType, configuration.Description) == ("Video", "Renamed")
    svc.DeleteTrack(RecordingToken=token, TrackToken=track)
    validate_body(rec.last)
    expect_fault(
        svc.GetTrackConfiguration, RecordingToken=token, TrackToken=track, chain=NO_TRACK, rec=rec
    )


def test_track_faults(trc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trc
    token = create(trc)
    config = {"TrackType": "Audio", "Description": ""}
    expect_fault(
        svc.CreateTrack,
        RecordingToken="nope",
        TrackConfiguration=config,
        chain=NO_RECORDING,
        rec=rec,
    )
    expect_fault(
        svc.GetTrackConfiguration,
        RecordingToken="nope",
        TrackToken="VIDEO001",
        chain=NO_RECORDING,
        rec=rec,
    )
    expect_fault(
        svc.SetTrackConfiguration,
        RecordingToken=token,
        TrackToken="nope",
        TrackConfiguration=config,
        chain=NO_TRACK,
        rec=rec,
    )
    expect_fault(svc.DeleteTrack, RecordingToken=token, TrackToken="nope", chain=NO_TRACK, rec=rec)
    spare = svc.GetRecordingOptions(RecordingToken=token).Track.SpareAudio
    for _ in range(spare):
        svc.CreateTrack(RecordingToken=token, TrackConfiguration=config)
    assert svc.GetRecordingOptions(RecordingToken=token).Track.SpareAudio == 0
    expect_fault(
        svc.CreateTrack,
        RecordingToken=token,
        TrackConfiguration=config,
        chain=["Receiver", "Action", "MaxTracks"],
        rec=rec,
    )


def test_track_used_by_a_job_cannot_be_deleted(trc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trc
    token = create(trc)
    svc.CreateRecordingJob(JobConfiguration=auto_receiver_job(token))
    expect_fault(
        svc.DeleteTrack,
        RecordingToken=token,
        TrackToken="VIDEO001",
        chain=["Receiver", "Action", "CannotDelete"],
        rec=rec,
    )


def test_an_unknown_export_operation_is_bad_configuration(
        trc: tuple[Any, ResponseRecorder]) -> None:
    """RC §5.22, §5.23: "the requested operation does not exist"."""
    svc, rec = trc
    for operation in (svc.GetExportRecordedDataState, svc.StopExportRecordedData):
        expect_fault(operation, OperationToken="export-1",
                     chain=["Sender", "InvalidArgVal", "BadConfiguration"], rec=rec)
