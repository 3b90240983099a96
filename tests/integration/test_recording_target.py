"""The Target element of a recording configuration (RC §5.3.1, §5.7, Annex B): stored
and returned exactly, except the content Key, which a device never returns
(onvif.xsd RecordingEncryption/Key); Key/KID with AsymmetricEncryption is AmbiguousConfiguration."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningRecorder
from tests.integration.helpers import client, expect_fault, recording_configuration
from tests.onvif_client import validate_body
from tests.soap_raw import body_of, envelope, post

KEY = "00112233445566778899aabbccddeeff"
KID = "0123456789abcdef0123456789abcdef"


def storage(recorder: RunningRecorder) -> str:
    tds, rec = client(recorder, "device")
    token: str = tds.CreateStorageConfiguration(
        StorageConfiguration={
            "type": "ObjectStorageS3",
            "StorageUri": "https://bucket.s3.example.com",
            "User": {"UserName": "AKIDEXAMPLE", "Password": "secret"},
            "Region": "eu-west-1",
        }
    )
    validate_body(rec.last)
    return token


def target(storage_token: str, **overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "Storage": storage_token,
        "Format": "CMAF",
        "Prefix": "site-2",
        "Postfix": "camera-5",
        "SpanDuration": "PT1H",
        "SegmentDuration": "PT10S",
        "Encryption": [
            {"Mode": "CENC", "KID": KID, "Key": KEY, "Track": ["VIDEO001"]},
            {
                "Mode": "CBCS",
                "Track": ["AUDIO001"],
                "AsymmetricEncryption": {
                    "CertificateID": ["cert-1", "cert-2"],
                    "KeyRotationDuration": "P1D",
                },
            },
        ],
    }
    value.update(overrides)
    return value


def test_target_round_trips_exactly(recorder: RunningRecorder) -> None:
    trc, rec = client(recorder, "recording")
    token = trc.CreateRecording(
        RecordingConfiguration=recording_configuration(Target=target(storage(recorder)))
    )
    request = envelope(
        "<trc:GetRecordingConfiguration><trc:RecordingToken>"
        f"{token}</trc:RecordingToken></trc:GetRecordingConfiguration>"
    )
    response = post(
        recorder.service_url("recording"), request, recorder.admin_user, recorder.admin_password
    )
    validate_body(response.content)
    written = body_of(response).find(".//{http://www.onvif.org/ver10/schema}Target")
    assert written is not None
    texts = [
        (e.tag.split("}")[1], (e.text or "").strip(), dict(e.attrib))
        for e in written.iter()
        if e is not written
    ]
    assert texts == [
        ("Storage", texts[0][1], {}),
        ("Format", "CMAF", {}),
        ("Prefix", "site-2", {}),
        ("Postfix", "camera-5", {}),
        ("SpanDuration", "PT1H", {}),
        ("SegmentDuration", "PT10S", {}),
        ("Encryption", "", {"Mode": "CENC"}),
        ("KID", KID, {}),
        ("Track", "VIDEO001", {}),
        ("Encryption", "", {"Mode": "CBCS"}),
        ("Track", "AUDIO001", {}),
        ("AsymmetricEncryption", "", {}),
        ("CertificateID", "cert-1", {}),
        ("CertificateID", "cert-2", {}),
        ("KeyRotationDuration", "P1D", {}),
    ]
    configuration = trc.GetRecordingConfiguration(RecordingToken=token)
    validate_body(rec.last)
    assert configuration.Target.Encryption[0].Key is None
    assert KEY.encode() not in rec.last and KEY.encode() not in response.content
    stored = recorder.services.recordings.recording(token).configuration.target
    assert stored is not None and stored.encryption[0].key == KEY


def test_key_with_asymmetric_encryption_is_ambiguous(recorder: RunningRecorder) -> None:
    trc, rec = client(recorder, "recording")
    both = {"Mode": "CENC", "Key": KEY, "AsymmetricEncryption": {"CertificateID": ["cert-1"]}}
    expect_fault(
        trc.CreateRecording,
        RecordingConfiguration=recording_configuration(
            Target=target(storage(recorder), Encryption=[both])
        ),
        chain=["Sender", "InvalidArgVal", "AmbiguousConfiguration"],
        rec=rec,
    )


def test_unknown_storage_or_format_is_a_bad_configuration(recorder: RunningRecorder) -> None:
    trc, rec = client(recorder, "recording")
    token = storage(recorder)
    bad = ["Sender", "InvalidArgVal", "BadConfiguration"]
    for wrong in (
        target("no-such-storage"),
        target(token, Format="AVI"),
        target(token, SegmentDuration="PT0S"),
    ):
        expect_fault(
            trc.CreateRecording,
            RecordingConfiguration=recording_configuration(Target=wrong),
            chain=bad,
            rec=rec,
        )
