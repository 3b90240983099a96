"""The Target element of a recording configuration (RC §5.3.1, §5.7, Annex B): stored
and returned exactly, except the content Key, which a device never returns
(onvif.xsd RecordingEncryption/Key); Key/KID with AsymmetricEncryption is AmbiguousConfiguration;
Encryption entries the recorder cannot apply are BadConfiguration (B.8)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RunningRecorder
from tests.integration.helpers import client, expect_fault, recording_configuration
from tests.onvif_client import validate_body
from tests.soap_raw import body_of, envelope, post

KEY = "00112233445566778899aabbccddeeff"
KID = "0123456789abcdef0123456789abcdef"
KID_2 = "8f0a2c1e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"


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
            {"Mode": "CENC", "KID": KID_2, "Key": KEY, "Track": ["AUDIO001", "META001"]},
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
        ("Encryption", "", {"Mode": "CENC"}),
        ("KID", KID_2, {}),
        ("Track", "AUDIO001", {}),
        ("Track", "META001", {}),
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


def entry(**fields: Any) -> dict[str, Any]:
    value: dict[str, Any] = {"Mode": "CENC", "KID": KID, "Key": KEY}
    value.update(fields)
    return {k: v for k, v in value.items() if v is not None}


@pytest.mark.parametrize(("entries", "reason"), [
    ([entry(Mode="CENS")], "mode 'CENS' is not supported"),
    ([entry(Mode="AES")], "mode 'AES' is not supported"),
    ([entry(Key=None)], "needs both Key and KID"),
    ([entry(KID=None)], "needs both Key and KID"),
    ([entry(Key=KEY[:-2])], "Key is 15 bytes"),
    ([entry(KID="kid-0001")], "neither a UUID nor 32 hexadecimal digits"),
    ([entry(Track=["VIDEO009"])], "no track 'VIDEO009'"),
    ([entry(Track=["VIDEO001"]), entry(Track=["VIDEO001"])], "'VIDEO001' is in two entries"),
    ([entry(Track=["VIDEO001"]), entry()], "has no Track"),
    ([entry(Track=[t]) for t in ("VIDEO001", "AUDIO001", "META001", "A", "B")],
     "EncryptionEntryLimit is 4"),
    ([entry(KID=None, Key=None, AsymmetricEncryption={"CertificateID": ["cert-1"]})],
     "no certificate 'cert-1' in the keystore"),
])
def test_entries_the_recorder_cannot_apply_are_bad_configurations(
        recorder: RunningRecorder, entries: list[dict[str, Any]], reason: str) -> None:
    trc, rec = client(recorder, "recording")
    expect_fault(
        trc.CreateRecording,
        RecordingConfiguration=recording_configuration(
            Target=target(storage(recorder), Encryption=entries)),
        chain=["Sender", "InvalidArgVal", "BadConfiguration"],
        rec=rec,
    )
    assert reason.encode() in rec.last  # the fault says which entry and why
    assert KEY.encode() not in rec.last


def test_capabilities_advertise_what_is_written(recorder: RunningRecorder) -> None:
    trc, rec = client(recorder, "recording")
    caps = trc.GetServiceCapabilities()
    validate_body(rec.last)
    assert caps.SupportedEncryptionModes == ["CENC", "CBCS"]
    assert caps.EncryptionEntryLimit == 4
    assert caps.AsymmetricEncryptionSupported is True
