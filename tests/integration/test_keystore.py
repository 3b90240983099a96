"""The Advanced Security keystore subset (ASec §5.2.6, §5.5.7; decision §7.3) and what it
gives RC B.8.2: CertificateID in AsymmetricEncryption names an uploaded certificate.
Driven by zeep from the official advancedsecurity.wsdl, every response XSD-validated."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from onvif_recorder.cenc import asymmetric
from onvif_recorder.mp4.inspect import read_boxes
from onvif_recorder.recording.plan import encryption_entries, encryption_policy
from tests.conftest import RunningRecorder
from tests.integration.event_client import subscribe
from tests.integration.helpers import client, expect_fault, recording_configuration
from tests.integration.test_recording_target import storage, target
from tests.onvif_client import validate_body
from tests.soap_raw import body_of, envelope, post
from tests.unit.cenc.certificates import ec_key, rsa_key, self_signed
from tests.unit.mp4.test_encrypted_decode import av_streams

BAD_ARG = ["Sender", "InvalidArgVal"]


def upload(recorder: RunningRecorder, der: bytes, **fields: object) -> tuple[str, str]:
    tas, rec = client(recorder, "keystore")
    answer = tas.UploadCertificate(Certificate=der, **fields)
    validate_body(rec.last)
    return answer.CertificateID, answer.KeyID


def test_capabilities_and_get_services(recorder: RunningRecorder) -> None:
    tas, rec = client(recorder, "advancedsecurity")
    caps = tas.GetServiceCapabilities()
    validate_body(rec.last)
    assert caps.KeystoreCapabilities.MaximumNumberOfCertificates >= 4
    assert caps.KeystoreCapabilities.MaximumNumberOfKeys >= 4
    tds, rec = client(recorder, "device")
    services = tds.GetServices(IncludeCapability=True)
    validate_body(rec.last)
    [entry] = [s for s in services
               if s.Namespace == "http://www.onvif.org/ver10/advancedsecurity/wsdl"]
    assert entry.XAddr.endswith("/onvif/advancedsecurity_service")


def test_upload_get_and_delete(recorder: RunningRecorder) -> None:
    key = ec_key()
    der, again = self_signed(key, "one"), self_signed(key, "two")
    first, key_id = upload(recorder, der, Alias="reader")
    second, same_key = upload(recorder, again)
    assert first != second and same_key == key_id  # one public key, one key pair
    tas, rec = client(recorder, "keystore")
    got = tas.GetCertificate(CertificateID=first)
    validate_body(rec.last)
    assert (got.CertificateID, got.KeyID, got.Alias) == (first, key_id, "reader")
    assert got.CertificateContent == der
    assert [c.CertificateID for c in tas.GetAllCertificates()] == [first, second]
    validate_body(rec.last)
    assert tas.GetKeyStatus(KeyID=key_id) == "ok"
    keys = tas.GetAllKeys()
    validate_body(rec.last)
    assert [(k.KeyID, k.KeyStatus, k.hasPrivateKey) for k in keys] == [(key_id, "ok", False)]
    expect_fault(tas.DeleteKey, KeyID=key_id, chain=[*BAD_ARG, "ReferenceExists"], rec=rec)
    tas.DeleteCertificate(CertificateID=first)
    tas.DeleteCertificate(CertificateID=second)
    tas.DeleteKey(KeyID=key_id)
    assert tas.GetAllCertificates() == [] and tas.GetAllKeys() == []
    expect_fault(tas.GetCertificate, CertificateID=first, chain=[*BAD_ARG, "CertificateID"],
                 rec=rec)
    expect_fault(tas.GetKeyStatus, KeyID=key_id, chain=[*BAD_ARG, "KeyID"], rec=rec)


@pytest.mark.parametrize(("der", "fields", "chain"), [
    (b"not a certificate", {}, [*BAD_ARG, "BadCertificate"]),
    (self_signed(ed25519.Ed25519PrivateKey.generate()), {},
     [*BAD_ARG, "UnsupportedPublicKeyAlgorithm"]),
    (self_signed(ec_key()), {"PrivateKeyRequired": True},
     ["Receiver", "Action", "NoMatchingPrivateKey"]),
])
def test_upload_faults(recorder: RunningRecorder, der: bytes, fields: dict[str, object],
                       chain: list[str]) -> None:
    tas, rec = client(recorder, "keystore")
    expect_fault(tas.UploadCertificate, Certificate=der, chain=chain, rec=rec, **fields)


def test_asymmetric_recording_uses_keystore_certificates(recorder: RunningRecorder) -> None:
    """B.8.2 end to end up to the segment: the configured certificates' keys open the
    content key in the AsymmetricKeySystemHeaderBox; a used certificate cannot go."""
    rsa_private, ec_private = rsa_key(), ec_key()
    ders = [self_signed(rsa_private), self_signed(ec_private)]
    ids = [upload(recorder, der)[0] for der in ders]
    trc, rec = client(recorder, "recording")
    entry = {"Mode": "CENC", "AsymmetricEncryption": {
        "CertificateID": ids, "KeyRotationDuration": "PT1M"}}
    token = trc.CreateRecording(RecordingConfiguration=recording_configuration(
        Target=target(storage(recorder), Encryption=[entry])))
    configuration = trc.GetRecordingConfiguration(RecordingToken=token)
    validate_body(rec.last)
    assert configuration.Target.Encryption[0].AsymmetricEncryption.CertificateID == ids
    tas, rec = client(recorder, "keystore")
    expect_fault(tas.DeleteCertificate, CertificateID=ids[0],
                 chain=[*BAD_ARG, "ReferenceExists"], rec=rec)
    state = recorder.services.holder.state
    entries = encryption_entries(state.recordings[token], state)
    policy = encryption_policy(entries)
    assert policy is not None
    tracks, _ = av_streams()
    segment = policy.segment(tracks, 0.0)
    assert segment is not None
    _w3c, onvif = segment.pssh
    (box,) = read_boxes(onvif)
    kid, key_entries = asymmetric.parse(box.payload)
    assert [e.thumbprint for e in key_entries] == [hashlib.sha256(d).digest() for d in ders]
    content = segment.tracks[1].key
    assert kid == content.kid
    assert asymmetric.unwrap(key_entries[0], rsa_private) == content.key
    assert asymmetric.unwrap(key_entries[1], ec_private) == content.key


def test_a_new_key_pair_is_announced(recorder: RunningRecorder) -> None:
    """ASec §5.5.8.1 KeyStatus: OldStatus is left out only for ``generating``."""
    events = subscribe(recorder, "tns1:Advancedsecurity/Keystore/KeyStatus")
    key = ec_key()
    _, key_id = upload(recorder, self_signed(key, "one"))
    upload(recorder, self_signed(key, "two"))  # same key pair: no new announcement
    got = events.pull_until(lambda r: len(r) >= 2)
    assert [(e.source, e.data) for e in got] == [
        ({"KeyID": key_id}, {"NewStatus": "generating"}),
        ({"KeyID": key_id}, {"OldStatus": "generating", "NewStatus": "ok"})]


def test_additional_info_is_kept_and_selects_the_2606_layout(recorder: RunningRecorder) -> None:
    """RC 26.06 AdditionalInfo (≥ 256 characters accepted): stored and used as the HPKE info
    of the 26.06 box layout (decision §7.1); not returned, since this service answers in
    the 25.12 schema, where it does not validate."""
    key = ec_key()
    certificate, _ = upload(recorder, self_signed(key))
    info = "site 7 / camera 3 / " * 14  # 280 characters
    token = create_raw(recorder, storage(recorder), certificate, info)
    trc, rec = client(recorder, "recording")
    trc.GetRecordingConfiguration(RecordingToken=token)
    validate_body(rec.last)
    assert b"AdditionalInfo" not in rec.last
    state = recorder.services.holder.state
    policy = encryption_policy(encryption_entries(state.recordings[token], state))
    assert policy is not None
    tracks, _ = av_streams()
    segment = policy.segment(tracks, 0.0)
    assert segment is not None
    (box,) = read_boxes(segment.pssh[1])
    _, (entry,) = asymmetric.parse(box.payload)
    assert entry.info == info.encode()
    assert asymmetric.unwrap(entry, key) == segment.tracks[1].key.key


def create_raw(recorder: RunningRecorder, storage_token: str, certificate: str,
               info: str) -> str:
    body = (
        "<trc:CreateRecording><trc:RecordingConfiguration>"
        "<tt:Source><tt:SourceId>urn:x</tt:SourceId><tt:Name>n</tt:Name>"
        "<tt:Location>l</tt:Location><tt:Description>d</tt:Description>"
        "<tt:Address>http://192.0.2.10/</tt:Address></tt:Source>"
        "<tt:Content>c</tt:Content><tt:MaximumRetentionTime>PT0S</tt:MaximumRetentionTime>"
        f"<tt:Target><tt:Storage>{storage_token}</tt:Storage><tt:Format>MP4</tt:Format>"
        "<tt:SegmentDuration>PT10S</tt:SegmentDuration><tt:Encryption Mode=\"CENC\">"
        f"<tt:AsymmetricEncryption><tt:CertificateID>{certificate}</tt:CertificateID>"
        f"<tt:AdditionalInfo>{info}</tt:AdditionalInfo></tt:AsymmetricEncryption>"
        "</tt:Encryption></tt:Target></trc:RecordingConfiguration></trc:CreateRecording>")
    response = post(recorder.service_url("recording"), envelope(body), recorder.admin_user,
                    recorder.admin_password)
    assert response.status_code == 200, response.text
    token = body_of(response).findtext("{http://www.onvif.org/ver10/recording/wsdl}"
                                       "RecordingToken")
    assert token
    return token
