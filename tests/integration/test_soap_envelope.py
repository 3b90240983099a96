"""The SOAP 1.2 envelope as real clients write it (SOAP 1.2 Part 1 §5, Part 2 §7; ONVIF
Core "Namespaces", "Character set"): WS-Addressing headers marked mustUnderstand, byte order
marks, XML declarations, per-element and default namespace declarations, comments."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from datetime import UTC, datetime

import pytest
import requests
import zeep.wsa
from requests.auth import HTTPDigestAuth

from tests.conftest import RunningRecorder
from tests.onvif_client import body_element, onvif_service_with_recorder, validate_body
from tests.soap_raw import ENV, envelope, fault_chain_of, text_at

SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
TRC = "http://www.onvif.org/ver10/recording/wsdl"
TT = "http://www.onvif.org/ver10/schema"
WSA = "http://www.w3.org/2005/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
_MESSAGE_SECURITY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
)
RECORDING = "/onvif/recording_service"


def post(
    recorder: RunningRecorder,
    data: bytes,
    *,
    content_type: str = SOAP_CONTENT_TYPE,
    digest: bool = False,
) -> requests.Response:
    auth = HTTPDigestAuth(recorder.admin_user, recorder.admin_password) if digest else None
    return requests.post(
        recorder.url + RECORDING,
        data=data,
        headers={"Content-Type": content_type},
        auth=auth,
        timeout=10,
    )


def assert_ok(response: requests.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == SOAP_CONTENT_TYPE
    validate_body(response.content)


def username_token(username: str, password: str) -> str:
    """A wsse:Security block as ONVIF Device Manager sends it (mustUnderstand, default ns)."""
    nonce = os.urandom(16)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    digest = hashlib.sha1(nonce + created.encode() + password.encode()).digest()
    return (
        f'<Security s:mustUnderstand="1" xmlns="{WSSE}"><UsernameToken>'
        f"<Username>{username}</Username>"
        f'<Password Type="{_PROFILE}#PasswordDigest">{base64.b64encode(digest).decode()}'
        "</Password>"
        f'<Nonce EncodingType="{_MESSAGE_SECURITY}#Base64Binary">'
        f"{base64.b64encode(nonce).decode()}</Nonce>"
        f'<Created xmlns="{WSU}">{created}</Created>'
        "</UsernameToken></Security>"
    )


def odm_envelope(recorder: RunningRecorder, operation: str, security: str = "") -> bytes:
    """The shape of an ONVIF Device Manager request: prefixes s/a, WS-Addressing Action
    and To marked mustUnderstand, the operation in a default namespace."""
    to = recorder.url + RECORDING
    return (
        f'<s:Envelope xmlns:s="{ENV}" xmlns:a="{WSA}"><s:Header>'
        f'<a:Action s:mustUnderstand="1">{TRC}/{operation}</a:Action>'
        f"<a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID>"
        f"<a:ReplyTo><a:Address>{WSA}/anonymous</a:Address></a:ReplyTo>"
        f'<a:To s:mustUnderstand="1">{to}</a:To>{security}</s:Header>'
        '<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f'<{operation} xmlns="{TRC}"/></s:Body></s:Envelope>'
    ).encode()


def test_ws_addressing_headers_with_must_understand_are_accepted(
    recorder: RunningRecorder,
) -> None:
    assert_ok(post(recorder, odm_envelope(recorder, "GetServiceCapabilities")))
    token = username_token(recorder.admin_user, recorder.admin_password)
    response = post(recorder, odm_envelope(recorder, "GetRecordings", token))
    assert_ok(response)
    assert body_element(response.content).tag == f"{{{TRC}}}GetRecordingsResponse"
    # The same request authenticated with HTTP Digest instead.
    assert_ok(post(recorder, odm_envelope(recorder, "GetRecordings"), digest=True))


def test_must_understand_true_and_false(recorder: RunningRecorder) -> None:
    data = (
        f'<env:Envelope xmlns:env="{ENV}" xmlns:wsa="{WSA}" xmlns:x="urn:example:other">'
        f'<env:Header><wsa:Action env:mustUnderstand="true">{TRC}/GetServiceCapabilities'
        '</wsa:Action><x:Trace env:mustUnderstand="false">1</x:Trace><x:Hint>2</x:Hint>'
        f'</env:Header><env:Body><trc:GetServiceCapabilities xmlns:trc="{TRC}"/></env:Body>'
        "</env:Envelope>"
    ).encode()
    assert_ok(post(recorder, data))


def test_zeep_with_ws_addressing_plugin(recorder: RunningRecorder) -> None:
    svc, rec = onvif_service_with_recorder(
        "recording",
        recorder.service_url("recording"),
        username=recorder.admin_user,
        password=recorder.admin_password,
        plugins=[zeep.wsa.WsAddressingPlugin()],
    )
    svc.GetRecordings()
    assert b"addressing" in rec.last_request and b"Security" in rec.last_request
    validate_body(rec.last)


def test_response_content_type_is_soap_utf8(recorder: RunningRecorder) -> None:
    responses = [
        post(recorder, envelope("<trc:GetServiceCapabilities/>")),  # 200
        post(recorder, envelope("<trc:GetRecordings/>"), digest=True),  # 200 after a 401
        post(recorder, envelope("<trc:GetRecordings/>")),  # 401
        post(recorder, envelope("<trc:Frobnicate/>")),  # 400
        # every recording operation is built now: an argument fault
        post(recorder, envelope("<trc:ListRecordedSegments/>"), digest=True),  # 400
    ]
    assert [r.status_code for r in responses] == [200, 200, 401, 400, 400]
    for response in responses:
        assert response.headers["Content-Type"] == SOAP_CONTENT_TYPE
        assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
        response.content.decode("utf-8")
        validate_body(response.content)
    assert fault_chain_of(responses[3]) == ["Sender", "UnknownAction"]


def test_action_parameter_in_content_type(recorder: RunningRecorder) -> None:
    """SOAP 1.2 Part 2 §7.1.4: the optional ``action`` media type parameter."""
    content_type = f'{SOAP_CONTENT_TYPE}; action="{TRC}/GetServiceCapabilities"'
    assert_ok(post(recorder, envelope("<trc:GetServiceCapabilities/>"), content_type=content_type))


def create_recording_xml(content: str) -> str:
    # Namespaces declared on each element, as zeep writes them.
    return (
        f'<ns0:CreateRecording xmlns:ns0="{TRC}"><ns0:RecordingConfiguration>'
        f'<ns1:Source xmlns:ns1="{TT}"><ns1:SourceId>urn:uuid:1</ns1:SourceId>'
        "<ns1:Name>Cam</ns1:Name><ns1:Location>Hall</ns1:Location>"
        "<ns1:Description>Door</ns1:Description>"
        "<ns1:Address>http://192.0.2.10/onvif/device_service</ns1:Address></ns1:Source>"
        f'<ns2:Content xmlns:ns2="{TT}">{content}</ns2:Content>'
        f'<ns3:MaximumRetentionTime xmlns:ns3="{TT}">PT1H</ns3:MaximumRetentionTime>'
        "</ns0:RecordingConfiguration></ns0:CreateRecording>"
    )


def per_element_envelope(operation: str) -> bytes:
    return (
        f'<soap-env:Envelope xmlns:soap-env="{ENV}"><soap-env:Body>{operation}'
        "</soap-env:Body></soap-env:Envelope>"
    ).encode()


def read_content(recorder: RunningRecorder, response: requests.Response) -> str | None:
    assert_ok(response)
    token = text_at(body_element(response.content), "trc:RecordingToken")
    configuration = post(
        recorder,
        envelope(
            f"<trc:GetRecordingConfiguration><trc:RecordingToken>{token}"
            "</trc:RecordingToken></trc:GetRecordingConfiguration>"
        ),
        digest=True,
    )
    assert_ok(configuration)
    return text_at(body_element(configuration.content), "trc:RecordingConfiguration/tt:Content")


@pytest.mark.parametrize(
    ("name", "prefix", "encoding"),
    [
        ("plain", b"", "utf-8"),
        ("UTF-8 byte order mark", b"\xef\xbb\xbf", "utf-8"),
        ("declaration", b'<?xml version="1.0" encoding="UTF-8"?>\n', "utf-8"),
        ("BOM and declaration", b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>', "utf-8"),
        ("declared ISO-8859-1", b'<?xml version="1.0" encoding="ISO-8859-1"?>', "latin-1"),
    ],
)
def test_encodings_and_per_element_namespaces(
    recorder: RunningRecorder, name: str, prefix: bytes, encoding: str
) -> None:
    content = "Caf\u00e9 \u00bd"
    data = prefix + per_element_envelope(create_recording_xml(content)).decode().encode(encoding)
    assert read_content(recorder, post(recorder, data, digest=True)) == content, name


def test_default_namespaces_comments_and_whitespace(recorder: RunningRecorder) -> None:
    data = (
        f'<?xml version="1.0"?>\n<!-- a client comment -->\n<Envelope xmlns="{ENV}">\n'
        "  <Header/>\n  <!-- between header and body -->\n  <Body>\n"
        f'    <CreateRecording xmlns="{TRC}"><!-- inside -->\n'
        f'      <RecordingConfiguration><Source xmlns="{TT}"><SourceId>urn:uuid:1</SourceId>'
        "<Name>Cam</Name><Location>Hall</Location><Description>Door</Description>"
        "<Address>http://192.0.2.10/onvif/device_service</Address></Source>"
        f'<Content xmlns="{TT}">plain</Content>'
        f'<MaximumRetentionTime xmlns="{TT}">PT1H</MaximumRetentionTime>'
        "</RecordingConfiguration>\n    </CreateRecording>\n  </Body>\n</Envelope>\n"
    ).encode()
    assert read_content(recorder, post(recorder, data, digest=True)) == "plain"
