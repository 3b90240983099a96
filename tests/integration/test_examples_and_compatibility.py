"""RC 25.12 §5.27 examples 1 and 2 (configuration steps), clients generated from the
20.06 WSDL (the schema 19.06-era clients were built from), and exact xs:duration echo."""

from __future__ import annotations

from typing import Any

import zeep

from tests.conftest import RunningRecorder
from tests.integration.helpers import (
    RECEIVER_TYPE,
    auto_receiver_job,
    client,
    recording_configuration,
)
from tests.onvif_client import validate_body
from tests.soap_raw import body_of, envelope, post, text_at


def configure(trv: Any, token: str, uri: str) -> None:
    trv.ConfigureReceiver(
        ReceiverToken=token,
        Configuration={
            "Mode": "AutoConnect",
            "MediaUri": uri,
            "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
        },
    )


def test_example_1_single_camera(recorder: RunningRecorder) -> None:
    trc, rec = client(recorder, "recording")
    trv, _ = client(recorder, "receiver")
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    tracks = [t.TrackToken for t in trc.GetRecordings()[0].Tracks.Track]
    assert tracks == ["VIDEO001", "AUDIO001", "META001"]  # predefined: no need to look up
    created = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
    receiver = created.JobConfiguration.Source[0].SourceToken.Token
    configure(trv, receiver, "rtsp://192.0.2.30/stream1")
    trc.SetRecordingJobMode(JobToken=created.JobToken, Mode="Active")
    validate_body(rec.last)
    assert trc.GetRecordingJobConfiguration(JobToken=created.JobToken).Mode == "Active"
    assert trv.GetReceiver(ReceiverToken=receiver).Configuration.Mode == "AutoConnect"


def test_example_2_two_streams_into_one_recording(recorder: RunningRecorder) -> None:
    trc, rec = client(recorder, "recording")
    trv, _ = client(recorder, "receiver")
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    added = [
        trc.CreateTrack(
            RecordingToken=recording, TrackConfiguration={"TrackType": kind, "Description": kind}
        )
        for kind in ("Audio", "Video", "Metadata")
    ]
    assert added == ["AUDIO002", "VIDEO002", "META002"]

    def source(tracks: list[tuple[str, str]]) -> dict[str, Any]:
        return {
            "SourceToken": {"Token": zeep.xsd.SkipValue, "Type": RECEIVER_TYPE},
            "AutoCreateReceiver": True,
            "Tracks": [{"SourceTag": tag, "Destination": d} for tag, d in tracks],
        }

    job = {
        "RecordingToken": recording,
        "Mode": "Idle",
        "Priority": 1,
        "Source": [
            source([("Video", "VIDEO001"), ("Audio", "AUDIO001"), ("Metadata", "META001")]),
            source([("Video", "VIDEO002"), ("Audio", "AUDIO002"), ("Metadata", "META002")]),
        ],
    }
    created = trc.CreateRecordingJob(JobConfiguration=job)
    validate_body(rec.last)
    receivers = [s.SourceToken.Token for s in created.JobConfiguration.Source]
    assert len(set(receivers)) == 2
    for token, uri in zip(
        receivers, ("rtsp://192.0.2.31/main", "rtsp://192.0.2.31/sub"), strict=True
    ):
        configure(trv, token, uri)
    trc.SetRecordingJobMode(JobToken=created.JobToken, Mode="Active")
    state = trc.GetRecordingJobState(JobToken=created.JobToken)
    validate_body(rec.last)
    assert [s.SourceToken.Token for s in state.Sources] == receivers
    assert [t.Destination for t in state.Sources[1].Tracks.Track] == [
        "VIDEO002",
        "AUDIO002",
        "META002",
    ]


def test_clients_from_the_20_06_wsdl(recorder: RunningRecorder) -> None:
    """Clients generated from the 18.06 recording schema (20.06 release) keep working."""
    trc, rec = client(recorder, "recording", version="20.06")
    trv, _ = client(recorder, "receiver", version="20.06")
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    validate_body(rec.last, version="20.06")
    [item] = trc.GetRecordings()
    validate_body(rec.last, version="20.06")
    assert item.RecordingToken == recording and len(item.Tracks.Track) == 3
    created = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
    validate_body(rec.last, version="20.06")
    trc.SetRecordingJobMode(JobToken=created.JobToken, Mode="Active")
    trc.GetRecordingJobState(JobToken=created.JobToken)
    validate_body(rec.last, version="20.06")
    assert trv.GetReceivers()[0].Token == created.JobConfiguration.Source[0].SourceToken.Token
    validate_body(rec.last, version="20.06")
    trc.GetServiceCapabilities()
    validate_body(rec.last, version="20.06")


def _create_raw(recorder: RunningRecorder, retention: str) -> str:
    request = envelope(
        "<trc:CreateRecording><trc:RecordingConfiguration><tt:Source><tt:SourceId>urn:x"
        "</tt:SourceId><tt:Name>n</tt:Name><tt:Location/><tt:Description/><tt:Address>"
        "http://192.0.2.1/</tt:Address></tt:Source><tt:Content/><tt:MaximumRetentionTime>"
        f"{retention}</tt:MaximumRetentionTime></trc:RecordingConfiguration>"
        "</trc:CreateRecording>"
    )
    response = post(
        recorder.service_url("recording"), request, recorder.admin_user, recorder.admin_password
    )
    assert response.status_code == 200, response.text
    token = text_at(body_of(response), "trc:RecordingToken")
    assert token
    return token


def test_durations_come_back_as_written(recorder: RunningRecorder) -> None:
    """Conformance 3-1-10 compares PT0S exactly; zeep itself sends P0D."""
    for spelling in ("PT0S", "P0D", "PT0.000S", "P30DT12H", "PT86400S"):
        token = _create_raw(recorder, spelling)
        request = envelope(
            "<trc:GetRecordingConfiguration><trc:RecordingToken>"
            f"{token}</trc:RecordingToken></trc:GetRecordingConfiguration>"
        )
        response = post(
            recorder.service_url("recording"), request, recorder.admin_user, recorder.admin_password
        )
        validate_body(response.content)
        retention = text_at(body_of(response), "trc:RecordingConfiguration/tt:MaximumRetentionTime")
        assert retention == spelling
