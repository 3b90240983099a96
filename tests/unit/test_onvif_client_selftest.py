"""Self-test of tests/onvif_client.py: offline WSDL loading, XSD validation, fault parsing.

Nothing here needs the server or the network; an autouse fixture makes any socket use fail.
Whole client round trips go through a requests adapter that answers in memory.
"""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions
from lxml import etree
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from zeep.wsdl import Document

from tests.onvif_client import (
    BINDINGS,
    DATA_DIR,
    VERSIONS,
    OfflineTransport,
    available,
    fault_chain,
    get_schema,
    load_document,
    local_copy,
    onvif_service,
    onvif_service_with_recorder,
    render_request,
    validate_body,
    wsdl_path,
)

ENV = "http://www.w3.org/2003/05/soap-envelope"
NS = (
    'xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:trc="http://www.onvif.org/ver10/recording/wsdl" '
    'xmlns:tt="http://www.onvif.org/ver10/schema" '
    'xmlns:ter="http://www.onvif.org/ver10/error"'
)


def envelope(body: str, ns: str = NS) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<env:Envelope {ns}><env:Body>{body}</env:Body></env:Envelope>"
    ).encode()


RECORDING_ITEM = (
    "<trc:RecordingItem>{token}"
    "<tt:Configuration>"
    "<tt:Source><tt:SourceId>rtsp://cam/h264</tt:SourceId><tt:Name>cam1</tt:Name>"
    "<tt:Location>hall</tt:Location><tt:Description>front door</tt:Description>"
    "<tt:Address>rtsp://127.0.0.1:8554/h264</tt:Address></tt:Source>"
    "<tt:Content>test</tt:Content><tt:MaximumRetentionTime>PT0S</tt:MaximumRetentionTime>"
    "</tt:Configuration>"
    "<tt:Tracks><tt:Track><tt:TrackToken>VIDEO001</tt:TrackToken>"
    "<tt:Configuration><tt:TrackType>Video</tt:TrackType>"
    "<tt:Description>video</tt:Description></tt:Configuration></tt:Track></tt:Tracks>"
    "</trc:RecordingItem>"
)
GET_RECORDINGS_OK = envelope(
    "<trc:GetRecordingsResponse>"
    + RECORDING_ITEM.format(token="<tt:RecordingToken>REC1</tt:RecordingToken>")
    + "</trc:GetRecordingsResponse>"
)
GET_RECORDINGS_NO_TOKEN = envelope(
    "<trc:GetRecordingsResponse>" + RECORDING_ITEM.format(token="") + "</trc:GetRecordingsResponse>"
)
FAULT_NO_RECORDING = envelope(
    "<env:Fault><env:Code><env:Value>env:Sender</env:Value>"
    "<env:Subcode><env:Value>ter:InvalidArgVal</env:Value>"
    "<env:Subcode><env:Value>ter:NoRecording</env:Value></env:Subcode></env:Subcode></env:Code>"
    '<env:Reason><env:Text xml:lang="en">The RecordingToken does not reference an existing'
    " recording</env:Text></env:Reason></env:Fault>"
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to resolve a name or open an IP connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX:
            real_connect(self, address)
            return
        refuse(address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# ------------------------------------------------------------------ in-memory HTTP peer

Handler = Callable[[requests.PreparedRequest], tuple[int, dict[str, str], bytes]]


class FakeAdapter(BaseAdapter):
    """A requests adapter answering from a Python function instead of the network."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.requests: list[requests.PreparedRequest] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        self.requests.append(request)
        status, headers, body = self.handler(request)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response._content = body
        response.request = request
        response.url = request.url or ""
        response.connection = self  # type: ignore[assignment]  # HTTPDigestAuth resends here
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def fake_session(handler: Handler) -> tuple[requests.Session, FakeAdapter]:
    session = requests.Session()
    session.trust_env = False
    adapter = FakeAdapter(handler)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter


SOAP_HEADERS = {"Content-Type": "application/soap+xml; charset=utf-8"}


def body_of(request: requests.PreparedRequest) -> bytes:
    body = request.body
    assert isinstance(body, bytes)
    return body


# ------------------------------------------------------------------------ WSDL loading

WSDL_CASES = [
    pytest.param(name, version, id=f"{name}-{version}")
    for version in VERSIONS
    for name in BINDINGS
    if available(name, version)
]


def test_expected_wsdls_are_present() -> None:
    for name in BINDINGS:
        assert available(name, "25.12"), name
    for name in ("device", "recording", "receiver"):
        assert available(name, "20.06"), name
    assert available("recording", "26.06")
    assert len(WSDL_CASES) == len(BINDINGS) + 4


@pytest.mark.parametrize(("name", "version"), WSDL_CASES)
def test_wsdl_loads_offline(name: str, version: str) -> None:
    start = time.perf_counter()
    transport: Any = OfflineTransport()  # zeep annotates it as type[Transport]
    doc = Document(str(wsdl_path(name, version)), transport, settings=zeep.Settings())
    elapsed = time.perf_counter() - start
    binding = BINDINGS[name][1]
    assert binding in doc.bindings, sorted(doc.bindings)
    operations: Any = doc.bindings[binding]
    assert operations.all(), f"{binding} has no operations"
    assert elapsed < 10, f"{name} {version} took {elapsed:.2f} s"


def test_documents_are_cached_and_shared_by_event_bindings() -> None:
    assert load_document("recording") is load_document("recording")
    assert load_document("events") is load_document("pullpoint")
    assert load_document("recording", "20.06") is not load_document("recording", "25.12")


def test_operation_sets() -> None:
    def ops(name: str, version: str = "25.12") -> set[str]:
        binding: Any = load_document(name, version).bindings[BINDINGS[name][1]]
        return set(binding.all())

    assert {"GetRecordings", "CreateRecordingJob", "GetRecordingOptions"} <= ops("recording")
    assert {"GetServices", "GetCapabilities", "GetStorageConfigurations"} <= ops("device")
    assert {"CreatePullPointSubscription", "GetEventProperties"} <= ops("events")
    assert {"PullMessages", "SetSynchronizationPoint", "Unsubscribe"} <= ops("pullpoint")
    assert {"Renew", "Unsubscribe"} <= ops("subscription")
    assert {"GetReceivers", "CreateReceiver"} <= ops("receiver", "20.06")
    # Annex B operations exist only in the new recording WSDL.
    assert "GetRecordingOptions" in ops("recording", "20.06")


def test_unknown_external_url_raises_oserror() -> None:
    with pytest.raises(OSError, match="offline"):
        OfflineTransport().load("http://example.com/not-there.xsd")
    assert local_copy("https://www.w3.org/2003/05/soap-envelope").name == "soap-envelope"
    assert local_copy("http://docs.oasis-open.org/wsn/ws-addr.xsd").name == "ws-addr.xsd"


def test_copies_are_unmodified() -> None:
    """Every copied file matches SHA256SUMS, and nothing unlisted sneaked in."""
    listed: dict[str, str] = {}
    for line in (DATA_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    present = {
        p.relative_to(DATA_DIR).as_posix()
        for d in ("25.12", "20.06", "26.06", "external")
        for p in (DATA_DIR / d).rglob("*")
        if p.is_file()
    }
    assert present == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == digest, name
    assert (DATA_DIR / "README.md").is_file()


def test_network_guard_is_active() -> None:
    with pytest.raises(AssertionError, match="network access attempted"):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(AssertionError, match="network access attempted"):
        socket.socket().connect(("127.0.0.1", 9))


# ------------------------------------------------------------------------ XSD validation


@pytest.mark.parametrize("version", VERSIONS)
def test_schema_builds(version: str) -> None:
    assert get_schema(version) is get_schema(version)


@pytest.mark.parametrize("version", VERSIONS)
def test_valid_get_recordings_response(version: str) -> None:
    validate_body(GET_RECORDINGS_OK, version=version)


def test_missing_recording_token_is_rejected() -> None:
    with pytest.raises(AssertionError, match="RecordingToken"):
        validate_body(GET_RECORDINGS_NO_TOKEN)


def test_wrong_element_order_and_bad_enum_are_rejected() -> None:
    swapped = GET_RECORDINGS_OK.replace(
        b"<tt:Content>test</tt:Content><tt:MaximumRetentionTime>PT0S</tt:MaximumRetentionTime>",
        b"<tt:MaximumRetentionTime>PT0S</tt:MaximumRetentionTime><tt:Content>test</tt:Content>",
    )
    with pytest.raises(AssertionError):
        validate_body(swapped)
    with pytest.raises(AssertionError, match="TrackType"):
        validate_body(GET_RECORDINGS_OK.replace(b">Video<", b">Vidoe<"))


def test_undeclared_element_is_rejected() -> None:
    with pytest.raises(AssertionError, match="No matching global declaration"):
        validate_body(envelope("<trc:GetRecordingz/>"))


def test_unknown_tt_element_in_relaxed_extension_slot_is_rejected() -> None:
    # tt:RecordingConfiguration ends with optional Target + xs:any ##any, relaxed to ##other.
    body = GET_RECORDINGS_OK.replace(
        b"</tt:MaximumRetentionTime>", b"</tt:MaximumRetentionTime><tt:Bogus/>"
    )
    with pytest.raises(AssertionError):
        validate_body(body)
    vendor = GET_RECORDINGS_OK.replace(
        b"</tt:MaximumRetentionTime>", b'</tt:MaximumRetentionTime><v:X xmlns:v="urn:vendor"/>'
    )
    validate_body(vendor)


def test_not_soap12_is_rejected() -> None:
    soap11 = GET_RECORDINGS_OK.replace(ENV.encode(), b"http://schemas.xmlsoap.org/soap/envelope/")
    with pytest.raises(AssertionError, match=r"SOAP 1\.2"):
        validate_body(soap11)
    with pytest.raises(AssertionError, match="well-formed"):
        validate_body(b"<env:Envelope")
    with pytest.raises(AssertionError, match="exactly 1"):
        validate_body(envelope(""))


def test_fault_with_nested_subcodes_validates() -> None:
    validate_body(FAULT_NO_RECORDING)
    validate_body(FAULT_NO_RECORDING, version="20.06")


def test_fault_without_lang_or_with_bad_code_is_rejected() -> None:
    with pytest.raises(AssertionError, match="lang"):
        validate_body(FAULT_NO_RECORDING.replace(b' xml:lang="en"', b""))
    with pytest.raises(AssertionError):
        validate_body(FAULT_NO_RECORDING.replace(b">env:Sender<", b">env:Client<"))
    # A subcode QName whose prefix is not declared is not a valid xs:QName.
    with pytest.raises(AssertionError):
        validate_body(FAULT_NO_RECORDING.replace(b">ter:NoRecording<", b">terx:NoRecording<"))


def test_get_services_response_with_embedded_capabilities_validates() -> None:
    ns = (
        'xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
        'xmlns:tt="http://www.onvif.org/ver10/schema" '
        'xmlns:trc="http://www.onvif.org/ver10/recording/wsdl"'
    )
    body = (
        "<tds:GetServicesResponse><tds:Service>"
        "<tds:Namespace>http://www.onvif.org/ver10/recording/wsdl</tds:Namespace>"
        "<tds:XAddr>http://127.0.0.1:8080/onvif/recording</tds:XAddr>"
        '<tds:Capabilities><trc:Capabilities DynamicRecordings="true" '
        'DynamicTracks="true" MaxRecordings="{max}"/></tds:Capabilities>'
        "<tds:Version><tt:Major>25</tt:Major><tt:Minor>12</tt:Minor></tds:Version>"
        "</tds:Service></tds:GetServicesResponse>"
    )
    validate_body(envelope(body.format(max="16"), ns))
    # The lax wildcard still validates a declared element: MaxRecordings is an xs:int.
    with pytest.raises(AssertionError, match="MaxRecordings"):
        validate_body(envelope(body.format(max="many"), ns))


# ------------------------------------------------------------------ client round trips


def test_round_trip_with_username_token_and_recorder() -> None:
    def handler(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        return 200, SOAP_HEADERS, GET_RECORDINGS_OK

    session, adapter = fake_session(handler)
    svc, rec = onvif_service_with_recorder(
        "recording",
        "http://nvr.test/onvif/recording",
        username="admin",
        password="pw",
        session=session,
    )
    items = svc.GetRecordings()
    assert items[0].RecordingToken == "REC1"
    assert items[0].Tracks.Track[0].TrackToken == "VIDEO001"
    assert rec.last == GET_RECORDINGS_OK
    assert rec.last_status == 200
    validate_body(rec.last)

    sent = etree.fromstring(rec.last_request)
    wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    password = sent.find(
        f"{{{ENV}}}Header/{{{wsse}}}Security/{{{wsse}}}UsernameToken/{{{wsse}}}Password"
    )
    assert password is not None
    assert password.get("Type", "").endswith("#PasswordDigest")
    assert str(adapter.requests[0].headers["Content-Type"]).startswith("application/soap+xml")
    assert "Authorization" not in adapter.requests[0].headers
    validate_body(rec.last_request)  # the request body is declared in the schema too


def test_fault_round_trip_gives_the_subcode_chain() -> None:
    def handler(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        return 400, SOAP_HEADERS, FAULT_NO_RECORDING

    session, _ = fake_session(handler)
    svc, rec = onvif_service_with_recorder("recording", "http://nvr.test/x", session=session)
    with pytest.raises(zeep.exceptions.Fault) as info:
        svc.DeleteRecording(RecordingToken="nope")
    assert fault_chain(info.value) == ["Sender", "InvalidArgVal", "NoRecording"]
    assert rec.last_status == 400
    validate_body(rec.last)


def test_http_digest_answers_the_challenge() -> None:
    def handler(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        if "Authorization" not in request.headers:
            challenge = 'Digest realm="nvr", nonce="abc123", qop="auth", algorithm=MD5'
            return 401, {"WWW-Authenticate": challenge, "Content-Length": "0"}, b""
        return 200, SOAP_HEADERS, GET_RECORDINGS_OK

    session, adapter = fake_session(handler)
    svc = onvif_service(
        "recording",
        "http://nvr.test/x",
        username="admin",
        password="pw",
        digest=True,
        session=session,
    )
    svc.GetRecordings()
    assert len(adapter.requests) == 2
    assert str(adapter.requests[1].headers["Authorization"]).startswith('Digest username="admin"')
    assert b"UsernameToken" not in body_of(adapter.requests[1])


def test_20_06_client_talks_to_the_same_endpoint() -> None:
    session, adapter = fake_session(lambda request: (200, SOAP_HEADERS, GET_RECORDINGS_OK))
    svc = onvif_service("recording", "http://nvr.test/x", version="20.06", session=session)
    assert svc.GetRecordings()[0].RecordingToken == "REC1"
    assert b"GetRecordings" in body_of(adapter.requests[0])


def test_source_token_without_token_needs_skip_value() -> None:
    svc = onvif_service("recording", "http://nvr.test/x")
    job: dict[str, Any] = {
        "RecordingToken": "REC1",
        "Mode": "Idle",
        "Priority": 1,
        "Source": [
            {
                "SourceToken": {"Type": "http://www.onvif.org/ver10/schema/Receiver"},
                "AutoCreateReceiver": True,
            }
        ],
    }
    with pytest.raises(zeep.exceptions.ValidationError, match="Token"):
        render_request(svc, "CreateRecordingJob", JobConfiguration=job)
    job["Source"][0]["SourceToken"]["Token"] = zeep.xsd.SkipValue
    xml = render_request(svc, "CreateRecordingJob", JobConfiguration=job)
    assert b'SourceToken Type="http://www.onvif.org/ver10/schema/Receiver"/>' in xml
    # ...which is exactly what the schema does not allow.
    with pytest.raises(AssertionError, match="Token"):
        validate_body(xml)
