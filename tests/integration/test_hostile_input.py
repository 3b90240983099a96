"""Hostile and malformed requests are refused with a SOAP fault, quickly, and never with a
stack trace (SOAP 1.2 Part 1 §5, §5.4; ONVIF Core "Error handling"; conformance §4.2).

Every refusal is a schema-valid SOAP 1.2 ``env:Fault`` sent as
``application/soap+xml; charset=utf-8`` with the fault chain the request deserves, answered
in well under a second, and counted by ``xmlparse.refusals`` when the XML itself is refused.
After all of it the server still answers a normal request.
"""

from __future__ import annotations

import logging
import select
import socket
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from requests.auth import HTTPDigestAuth

from onvif_recorder.soap import xmlparse
from tests.conftest import RunningRecorder, start_recorder
from tests.integration.helpers import client
from tests.onvif_client import body_element, validate_body
from tests.soap_raw import ENV, envelope, fault_chain_of, text_at

SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
MIB = 1024 * 1024
FAST = 1.0  # seconds: a refusal is cheap; generous for a loaded CI machine

WELL_FORMED = ["Sender", "WellFormed"]
UNKNOWN_ACTION = ["Sender", "UnknownAction"]
BAD_CONFIGURATION = ["Sender", "InvalidArgVal", "BadConfiguration"]
INVALID_ARG_VAL = ["Sender", "InvalidArgVal"]

RECORDING = "/onvif/recording_service"
RECEIVER = "/onvif/receiver_service"
DEVICE = "/onvif/device_service"

ENV_OPEN = (
    f'<env:Envelope xmlns:env="{ENV}" '
    'xmlns:trc="http://www.onvif.org/ver10/recording/wsdl"><env:Body>'
).encode()
ENV_CLOSE = b"</env:Body></env:Envelope>"

BILLION_LAUGHS = (
    b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
"""
    + ENV_OPEN
    + b"<trc:GetServiceCapabilities>&lol9;</trc:GetServiceCapabilities>"
    + ENV_CLOSE
)

EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + ENV_OPEN
    + b"<trc:GetServiceCapabilities>&xxe;</trc:GetServiceCapabilities>"
    + ENV_CLOSE
)


def nested(depth: int) -> bytes:
    return (
        ENV_OPEN
        + b"<trc:GetRecordings>"
        + b"<a>" * depth
        + b"</a>" * depth
        + (b"</trc:GetRecordings>" + ENV_CLOSE)
    )


# --------------------------------------------------------------------------- checks


def no_traceback(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text, text[:2000]


def assert_soap_fault(
    response: requests.Response, status: int, chain: list[str]
) -> None:
    """A schema-valid SOAP 1.2 fault with exactly ``chain``, as application/soap+xml."""
    assert response.status_code == status, (response.status_code, response.text[:2000])
    assert response.headers["Content-Type"] == SOAP_CONTENT_TYPE
    no_traceback(response.text)
    assert fault_chain_of(response) == chain, response.text[:2000]
    validate_body(response.content)


def refusal_counts() -> Counter[str]:
    return Counter(xmlparse.refusals)


def new_refusals(before: Counter[str]) -> Counter[str]:
    return Counter(xmlparse.refusals) - before


# --------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    status: int
    chain: list[str]
    refusal: tuple[str, ...] = ()  # xmlparse.refusals kinds one of which must count it
    path: str = RECORDING
    content_type: str = SOAP_CONTENT_TYPE
    authenticated: bool = False
    absent: tuple[bytes, ...] = field(default=())  # must not appear in the response


SOAP11 = (
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
    b'xmlns:trc="http://www.onvif.org/ver10/recording/wsdl">'
    b"<s:Body><trc:GetServiceCapabilities/></s:Body></s:Envelope>"
)
UNDERSTOOD_NOT = (
    f'<env:Envelope xmlns:env="{ENV}" xmlns:trc="http://www.onvif.org/ver10/recording/wsdl" '
    'xmlns:x="urn:example:unknown"><env:Header>'
    '<x:Transaction env:mustUnderstand="true">5</x:Transaction>'
    "</env:Header><env:Body><trc:GetServiceCapabilities/></env:Body></env:Envelope>"
).encode()

# SOAP 1.2 Part 2 §7.5.2.2 (Table 20) sends VersionMismatch and MustUnderstand with HTTP 500.
SOAP_GENERIC_STATUS = 500

CASES: list[Case] = [
    Case("billion laughs", BILLION_LAUGHS, 400, WELL_FORMED, ("dtd",)),
    Case(
        "external entity",
        EXTERNAL_ENTITY,
        400,
        WELL_FORMED,
        ("dtd",),
        absent=(b"root:", b"/bin/"),
    ),
    Case("10,000 deep", nested(10_000), 400, WELL_FORMED, ("too_deep", "malformed")),
    Case("150 deep", nested(150), 400, WELL_FORMED, ("too_deep",)),
    Case(
        "unclosed element",
        ENV_OPEN + b"<trc:GetRecordings>" + ENV_CLOSE,
        400,
        WELL_FORMED,
        ("malformed",),
    ),
    Case(
        "undeclared prefix",
        ENV_OPEN + b"<x:GetRecordings/>" + ENV_CLOSE,
        400,
        WELL_FORMED,
        ("malformed",),
    ),
    Case(
        "invalid UTF-8",
        ENV_OPEN + b"<trc:GetRecordings>\xff\xfe</trc:GetRecordings>" + ENV_CLOSE,
        400,
        WELL_FORMED,
        ("malformed",),
    ),
    Case("garbage", bytes(range(256)) * 4, 400, WELL_FORMED, ("malformed",)),
    Case("empty body", b"", 400, WELL_FORMED, ("malformed",)),
    Case("SOAP 1.1 envelope", SOAP11, SOAP_GENERIC_STATUS, ["VersionMismatch"]),
    Case(
        "not an envelope",
        b'<trc:GetRecordings xmlns:trc="http://www.onvif.org/ver10/recording/wsdl"/>',
        400,
        WELL_FORMED,
    ),
    Case(
        "form data as text/plain",
        b"user=admin&password=x",
        400,
        WELL_FORMED,
        ("malformed",),
        content_type="text/plain",
    ),
    Case("unknown operation", envelope("<trc:Frobnicate/>"), 400, UNKNOWN_ACTION),
    Case(
        "receiver operation at the recording endpoint",
        envelope("<trv:GetReceivers/>"),
        400,
        UNKNOWN_ACTION,
    ),
    Case(
        "device operation at the recording endpoint",
        envelope("<tds:GetUsers/>"),
        400,
        UNKNOWN_ACTION,
    ),
    Case(
        "recording operation in no namespace",
        ENV_OPEN + b"<GetRecordings/>" + ENV_CLOSE,
        400,
        UNKNOWN_ACTION,
    ),
    Case(
        "declared in devicemgmt.wsdl, not built",
        envelope("<tds:GetSystemBackup/>"),
        500,
        ["Receiver", "ActionNotSupported"],
        path=DEVICE,
        authenticated=True,
    ),
    Case(
        # Every recording operation is built (26.06 included): one without its arguments.
        "recording operation without its arguments",
        envelope("<trc:ListRecordedSegments/>"),
        400,
        INVALID_ARG_VAL,
        authenticated=True,
    ),
    Case(
        "two operations in Body",
        envelope("<trc:GetRecordings/><trc:GetRecordingJobs/>"),
        400,
        WELL_FORMED,
    ),
    Case("empty Body", envelope(""), 400, WELL_FORMED),
    Case("missing Body", f'<env:Envelope xmlns:env="{ENV}"/>'.encode(), 400, WELL_FORMED),
    Case(
        "Header after Body",
        f'<env:Envelope xmlns:env="{ENV}" xmlns:trc="http://www.onvif.org/ver10/recording/wsdl">'
        "<env:Body><trc:GetServiceCapabilities/></env:Body><env:Header/></env:Envelope>".encode(),
        400,
        WELL_FORMED,
    ),
    Case(
        "two Bodies",
        f'<env:Envelope xmlns:env="{ENV}" xmlns:trc="http://www.onvif.org/ver10/recording/wsdl">'
        "<env:Body><trc:GetServiceCapabilities/></env:Body>"
        "<env:Body><trc:GetServiceCapabilities/></env:Body></env:Envelope>".encode(),
        400,
        WELL_FORMED,
    ),
    Case(
        "unknown mustUnderstand header",
        UNDERSTOOD_NOT,
        SOAP_GENERIC_STATUS,
        ["MustUnderstand"],
    ),
]


OVER_1_MIB = Case(
    "just over 1 MiB",
    ENV_OPEN + b"<trc:GetServiceCapabilities/>" + b" " * MIB + ENV_CLOSE,
    413,
    WELL_FORMED,
)


def send(recorder: RunningRecorder, case: Case, timeout: float = 10.0) -> requests.Response:
    auth = HTTPDigestAuth(recorder.admin_user, recorder.admin_password)
    return requests.post(
        recorder.url + case.path,
        data=case.body,
        headers={"Content-Type": case.content_type},
        auth=auth if case.authenticated else None,
        timeout=timeout,
    )


def check_case(recorder: RunningRecorder, case: Case) -> None:
    before = refusal_counts()
    start = time.perf_counter()
    response = send(recorder, case)
    elapsed = time.perf_counter() - start
    assert elapsed < FAST, f"{case.name}: {elapsed:.3f} s"
    assert_soap_fault(response, case.status, case.chain)
    for forbidden in case.absent:
        assert forbidden not in response.content
    counted = new_refusals(before)
    if case.refusal:
        assert sum(counted[kind] for kind in case.refusal) == 1, (case.name, counted)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_request_is_a_quick_soap_fault(recorder: RunningRecorder, case: Case) -> None:
    check_case(recorder, case)


def test_dtd_is_refused_in_any_encoding(recorder: RunningRecorder) -> None:
    """SOAP 1.2 Part 1 §5: a message MUST NOT contain a Document Type Declaration, and the
    receiver MUST answer env:Sender. The document encoding must not matter."""
    for name, document in (("billion laughs", BILLION_LAUGHS), ("XXE", EXTERNAL_ENTITY)):
        text = document.decode().replace('<?xml version="1.0"?>', "")
        utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")
        case = Case(f"{name} in UTF-16", utf16, 400, WELL_FORMED, ("dtd",), absent=(b"root:",))
        check_case(recorder, case)


def test_get_is_method_not_allowed(recorder: RunningRecorder) -> None:
    """Core "HTTP errors": 405 for a method the endpoint does not serve (the endpoints
    answer POST only)."""
    for path in (RECORDING, RECEIVER, DEVICE):
        response = requests.get(recorder.url + path, timeout=10)
        assert response.status_code == 405
        assert "POST" in response.headers["Allow"]
        no_traceback(response.text)


def test_wrong_content_type_is_not_refused(recorder: RunningRecorder) -> None:
    """The recorder ignores the request media type: a SOAP 1.2 envelope sent as text/xml
    (SOAP 1.1's type) or with no Content-Type is still answered; only its XML decides."""
    body = envelope("<trc:GetServiceCapabilities/>")
    for headers in ({"Content-Type": "text/xml; charset=utf-8"}, {}):
        response = requests.post(recorder.url + RECORDING, data=body, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == SOAP_CONTENT_TYPE
        validate_body(response.content)


# --------------------------------------------------------------------------- big uploads


@dataclass
class RawExchange:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    body_bytes_sent: int  # of the request body, before the response was complete
    elapsed: float


def _parse_response(data: bytes) -> tuple[int, dict[str, str], bytes] | None:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if len(body) < int(headers.get("content-length", "0")):
        return None
    return status, headers, body


def upload(
    recorder: RunningRecorder,
    path: str,
    extra_headers: dict[str, str],
    body: Iterable[bytes],
    timeout: float = 10.0,
) -> RawExchange:
    """POST ``body`` over a raw socket, reading the response while still uploading.

    Stops sending as soon as the response starts to arrive, so it measures how much of
    the body the server took before answering; then sends the rest, so that the server's
    lingering close (aiohttp drains an unread body for up to 10 s) ends at once.
    """
    port = int(recorder.url.rsplit(":", 1)[1])
    headers = {"Host": f"127.0.0.1:{port}", "Content-Type": SOAP_CONTENT_TYPE, **extra_headers}
    head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    pending = (head + "\r\n").encode()
    head_length = len(pending)
    chunks: Iterator[bytes] = iter(body)
    sent = 0
    received = b""
    writing = True
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)  # little in flight
        sock.setblocking(False)
        while True:
            assert time.perf_counter() - start < timeout, "no response"
            writers = [sock] if writing and not received else []
            readable, writable, _ = select.select([sock], writers, [], 0.5)
            if readable:
                data = sock.recv(256 * 1024)
                assert data, f"connection closed without a complete response: {received!r}"
                received += data
                parsed = _parse_response(received)
                if parsed is not None:
                    status, response_headers, response_body = parsed
                    exchange = RawExchange(
                        status,
                        response_headers,
                        response_body,
                        max(0, sent - head_length),
                        time.perf_counter() - start,
                    )
                    _finish(sock, pending, chunks, timeout)
                    return exchange
            elif writable:
                if not pending:
                    pending = next(chunks, b"")
                    if not pending:
                        writing = False
                        continue
                try:
                    count = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    writing = False
                    continue
                sent += count
                pending = pending[count:]


def _finish(sock: socket.socket, pending: bytes, chunks: Iterator[bytes], timeout: float) -> None:
    sock.settimeout(timeout)
    try:
        sock.sendall(pending)
        for chunk in chunks:
            sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may close instead of draining: also fine


HUNDRED_MB = 100 * 1000 * 1000
PIECE = 64 * 1024


def hundred_megabytes(chunked: bool) -> Iterator[bytes]:
    """A 100 MB body made lazily: an envelope start, then whitespace."""
    yield ENV_OPEN + b"<trc:GetServiceCapabilities>"
    remaining = HUNDRED_MB - len(ENV_OPEN) - len(b"<trc:GetServiceCapabilities>")
    while remaining > 0:
        piece = b" " * min(PIECE, remaining)
        remaining -= len(piece)
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


def _chunked_start(chunks: Iterator[bytes]) -> Iterator[bytes]:
    first = next(chunks)
    yield f"{len(first):x}\r\n".encode() + first + b"\r\n"
    yield from chunks


def check_early_413(exchange: RawExchange, limit: int) -> None:
    assert exchange.status == 413, exchange.body[:2000]
    assert exchange.headers["content-type"] == SOAP_CONTENT_TYPE
    assert exchange.elapsed < 2.0, exchange.elapsed
    # Answered long before the upload could have finished: the body was not read.
    assert exchange.body_bytes_sent <= limit, exchange.body_bytes_sent
    no_traceback(exchange.body.decode("utf-8", "replace"))
    validate_body(exchange.body)
    root = body_element(exchange.body)
    assert text_at(root, "env:Code/env:Value") == "env:Sender"


def hundred_mb_with_length(recorder: RunningRecorder) -> RawExchange:
    return upload(
        recorder, RECORDING, {"Content-Length": str(HUNDRED_MB)}, hundred_megabytes(False)
    )


def hundred_mb_chunked(recorder: RunningRecorder) -> RawExchange:
    return upload(
        recorder,
        RECORDING,
        {"Transfer-Encoding": "chunked"},
        _chunked_start(hundred_megabytes(True)),
    )


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRecorder]:
    """One recorder for the big uploads, the aftermath and the fuzzing.

    After a 413 for a body it did not read, aiohttp may keep the connection in its
    lingering close for up to 10 s, and runner cleanup waits for that; so this fixture
    stops the loop without waiting for the (daemon) server thread to finish cleaning up.
    """
    running, thread = start_recorder(Path(tmp_path_factory.mktemp("shared")) / "data")
    yield running
    thread.loop.call_soon_threadsafe(thread.loop.stop)
    thread.join(timeout=1)


def test_100_mb_body_with_content_length_is_refused_before_reading(
    shared: RunningRecorder,
) -> None:
    exchange = hundred_mb_with_length(shared)
    # Refused on the Content-Length alone; what was sent sits in socket buffers.
    check_early_413(exchange, 16 * MIB)


def test_100_mb_chunked_body_is_refused_after_the_limit(shared: RunningRecorder) -> None:
    exchange = hundred_mb_chunked(shared)
    assert exchange.body_bytes_sent > MIB  # the server had to read past the limit
    check_early_413(exchange, 16 * MIB)


def test_chunked_body_over_the_limit_with_requests(shared: RunningRecorder) -> None:
    def body() -> Iterator[bytes]:  # requests sends a generator chunked, without a length
        yield ENV_OPEN + b"<trc:GetServiceCapabilities/>"
        for _ in range(2 * MIB // PIECE + 1):
            yield b" " * PIECE
        yield ENV_CLOSE

    start = time.perf_counter()
    response = requests.post(
        shared.url + RECORDING,
        data=body(),
        headers={"Content-Type": SOAP_CONTENT_TYPE},
        timeout=10,
    )
    assert time.perf_counter() - start < 2.0
    assert_soap_fault(response, 413, WELL_FORMED)


def test_body_of_exactly_1_mib_is_accepted(recorder: RunningRecorder) -> None:
    start = ENV_OPEN + b"<trc:GetServiceCapabilities/>"
    data = start + b" " * (MIB - len(start) - len(ENV_CLOSE)) + ENV_CLOSE
    assert len(data) == MIB
    response = requests.post(
        recorder.url + RECORDING,
        data=data,
        headers={"Content-Type": SOAP_CONTENT_TYPE},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    validate_body(response.content)


def test_body_just_over_1_mib_is_refused(shared: RunningRecorder) -> None:
    check_case(shared, OVER_1_MIB)


def test_oversized_bodies_are_counted(shared: RunningRecorder) -> None:
    """xmlparse: "Refusals are counted so operators can see hostile traffic" - also the
    bodies refused by size before they reach the parser."""
    before = refusal_counts()
    assert send(shared, OVER_1_MIB).status_code == 413
    assert hundred_mb_with_length(shared).status == 413
    assert hundred_mb_chunked(shared).status == 413
    assert new_refusals(before)["too_large"] == 3


# --------------------------------------------------------------------------- the aftermath


def test_server_is_not_wedged_after_all_of_it(
    shared: RunningRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for case in [*CASES, OVER_1_MIB]:
        check_case(shared, case)
    for path in (RECORDING, RECEIVER, DEVICE):
        assert requests.get(shared.url + path, timeout=10).status_code == 405
    assert hundred_mb_with_length(shared).status == 413
    assert hundred_mb_chunked(shared).status == 413
    svc, rec = client(shared, "recording")
    svc.GetRecordings()
    validate_body(rec.last)
    assert rec.last_status == 200
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


# --------------------------------------------------------------------------- bad content

SOURCE = (
    "<tt:Source><tt:SourceId>urn:uuid:1</tt:SourceId><tt:Name>Cam</tt:Name>"
    "<tt:Location>Hall</tt:Location><tt:Description>Door</tt:Description>"
    "<tt:Address>http://192.0.2.10/onvif/device_service</tt:Address></tt:Source>"
)


def recording_xml(source: str = SOURCE, retention: str = "PT1H") -> str:
    return (
        f"<trc:CreateRecording><trc:RecordingConfiguration>{source}"
        f"<tt:Content>c</tt:Content><tt:MaximumRetentionTime>{retention}"
        "</tt:MaximumRetentionTime></trc:RecordingConfiguration></trc:CreateRecording>"
    )


def job_xml(recording: str, mode: str = "Idle", priority: str = "1") -> str:
    return (
        f"<trc:CreateRecordingJob><trc:JobConfiguration>"
        f"<tt:RecordingToken>{recording}</tt:RecordingToken><tt:Mode>{mode}</tt:Mode>"
        f"<tt:Priority>{priority}</tt:Priority><tt:Source>"
        '<tt:SourceToken Type="http://www.onvif.org/ver10/schema/Receiver"/>'
        "<tt:AutoCreateReceiver>true</tt:AutoCreateReceiver></tt:Source>"
        "</trc:JobConfiguration></trc:CreateRecordingJob>"
    )


def receiver_xml(
    mode: str = "NeverConnect", stream: str = "RTP-Unicast", protocol: str = "UDP"
) -> str:
    return (
        f"<trv:CreateReceiver><trv:Configuration><tt:Mode>{mode}</tt:Mode>"
        "<tt:MediaUri>rtsp://192.0.2.20/s</tt:MediaUri>"
        f"<tt:StreamSetup><tt:Stream>{stream}</tt:Stream>"
        f"<tt:Transport><tt:Protocol>{protocol}</tt:Protocol></tt:Transport></tt:StreamSetup>"
        "</trv:Configuration></trv:CreateReceiver>"
    )


class Admin:
    """Raw requests as the administrator, over HTTP Digest."""

    def __init__(self, recorder: RunningRecorder) -> None:
        self.url = recorder.url
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.auth = HTTPDigestAuth(recorder.admin_user, recorder.admin_password)

    def post(self, path: str, body: str) -> requests.Response:
        return self.session.post(
            self.url + path,
            data=envelope(body),
            headers={"Content-Type": SOAP_CONTENT_TYPE},
            timeout=10,
        )

    def ok(self, path: str, body: str, result: str) -> str:
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        validate_body(response.content)
        value = text_at(body_element(response.content), result)
        assert value, response.text
        return value

    def count(self, path: str, body: str, item: str) -> int:
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        return len(body_element(response.content).findall(item, namespaces=NAMESPACES))


NAMESPACES = {
    "trc": "http://www.onvif.org/ver10/recording/wsdl",
    "trv": "http://www.onvif.org/ver10/receiver/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
}


def test_malformed_content_in_well_formed_requests(recorder: RunningRecorder) -> None:
    admin = Admin(recorder)
    recording = admin.ok(RECORDING, recording_xml(), "trc:RecordingToken")
    job_created = admin.post(RECORDING, job_xml(recording))
    assert job_created.status_code == 200, job_created.text
    job = text_at(body_element(job_created.content), "trc:JobToken")
    receiver_created = admin.post(RECEIVER, receiver_xml())
    assert receiver_created.status_code == 200, receiver_created.text
    receiver = text_at(body_element(receiver_created.content), "trv:Receiver/tt:Token")
    recordings = admin.count(RECORDING, "<trc:GetRecordings/>", "trc:RecordingItem")
    jobs = admin.count(RECORDING, "<trc:GetRecordingJobs/>", "trc:JobItem")
    receivers = admin.count(RECEIVER, "<trv:GetReceivers/>", "trv:Receivers")

    cases: list[tuple[str, str, str, list[str]]] = [
        (
            "retention not a duration",
            RECORDING,
            recording_xml(retention="forever"),
            BAD_CONFIGURATION,
        ),
        ("retention empty", RECORDING, recording_xml(retention=""), BAD_CONFIGURATION),
        ("no Source", RECORDING, recording_xml(source=""), BAD_CONFIGURATION),
        ("no RecordingConfiguration", RECORDING, "<trc:CreateRecording/>", INVALID_ARG_VAL),
        (
            "unknown TrackType",
            RECORDING,
            f"<trc:CreateTrack><trc:RecordingToken>{recording}</trc:RecordingToken>"
            "<trc:TrackConfiguration><tt:TrackType>Smell</tt:TrackType>"
            "<tt:Description>d</tt:Description></trc:TrackConfiguration></trc:CreateTrack>",
            BAD_CONFIGURATION,
        ),
        (
            "Priority not an integer",
            RECORDING,
            job_xml(recording, priority="high"),
            BAD_CONFIGURATION,
        ),
        (
            "Priority beyond xs:int",
            RECORDING,
            job_xml(recording, priority="99999999999"),
            BAD_CONFIGURATION,
        ),
        ("unknown job Mode", RECORDING, job_xml(recording, mode="Paused"), BAD_CONFIGURATION),
        (
            "SetRecordingJobMode unknown Mode",
            RECORDING,
            f"<trc:SetRecordingJobMode><trc:JobToken>{job}</trc:JobToken>"
            "<trc:Mode>Paused</trc:Mode></trc:SetRecordingJobMode>",
            ["Sender", "InvalidArgVal", "BadMode"],
        ),
        ("no RecordingToken", RECORDING, "<trc:DeleteRecording/>", INVALID_ARG_VAL),
        (
            "token longer than a ReferenceToken",
            RECORDING,
            f"<trc:GetRecordingConfiguration><trc:RecordingToken>{'t' * 65}"
            "</trc:RecordingToken></trc:GetRecordingConfiguration>",
            INVALID_ARG_VAL,
        ),
        ("unknown receiver Mode", RECEIVER, receiver_xml(mode="Sometimes"), BAD_CONFIGURATION),
        ("unknown Stream", RECEIVER, receiver_xml(stream="RTP-Pigeon"), BAD_CONFIGURATION),
        ("unknown Protocol", RECEIVER, receiver_xml(protocol="FTP"), BAD_CONFIGURATION),
        (
            "SetReceiverMode unknown Mode",
            RECEIVER,
            f"<trv:SetReceiverMode><trv:ReceiverToken>{receiver}</trv:ReceiverToken>"
            "<trv:Mode>Sometimes</trv:Mode></trv:SetReceiverMode>",
            INVALID_ARG_VAL,
        ),
    ]
    for name, path, body, chain in cases:
        response = admin.post(path, body)
        try:
            assert_soap_fault(response, 400, chain)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
    # Nothing was created or changed by the refused requests.
    assert admin.count(RECORDING, "<trc:GetRecordings/>", "trc:RecordingItem") == recordings
    assert admin.count(RECORDING, "<trc:GetRecordingJobs/>", "trc:JobItem") == jobs
    assert admin.count(RECEIVER, "<trv:GetReceivers/>", "trv:Receivers") == receivers


def test_values_outside_the_schema_never_come_back_schema_invalid(
    recorder: RunningRecorder,
) -> None:
    """A value the schema forbids (here: not an xs:anyURI) must be refused, or else not
    stored in a form that makes later answers schema-invalid (conformance §2.0: every
    response is schema-valid SOAP 1.2)."""
    admin = Admin(recorder)
    bad_uri = "http://[x"
    source = SOURCE.replace("http://192.0.2.10/onvif/device_service", bad_uri)
    attempts = [
        (RECORDING, recording_xml(source=source), "<trc:GetRecordings/>"),
        (
            RECEIVER,
            receiver_xml().replace("rtsp://192.0.2.20/s", "rtsp://[x"),
            "<trv:GetReceivers/>",
        ),
        (
            DEVICE,
            '<tds:CreateStorageConfiguration><tds:StorageConfiguration type="NFS">'
            f"<tds:LocalPath>/mnt/a</tds:LocalPath><tds:StorageUri>{bad_uri}</tds:StorageUri>"
            "</tds:StorageConfiguration></tds:CreateStorageConfiguration>",
            "<tds:GetStorageConfigurations/>",
        ),
    ]
    problems = []
    for path, create, read in attempts:
        created = admin.post(path, create)
        if created.status_code != 200:
            assert_soap_fault(created, 400, fault_chain_of(created))
            assert fault_chain_of(created)[:2] == INVALID_ARG_VAL
            continue
        answer = admin.post(path, read)
        try:
            validate_body(answer.content)
        except AssertionError as error:
            problems.append(f"{path}: accepted {bad_uri!r}, then {str(error)[:300]}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- fuzzing

# (endpoint, a valid request to it) to start the mutations from.
VALID_REQUESTS: list[tuple[str, bytes]] = [
    (RECORDING, envelope("<trc:GetServiceCapabilities/>")),
    (RECORDING, envelope("<trc:GetRecordings/>")),
    (RECORDING, envelope(recording_xml())),
    (RECORDING, envelope(job_xml("RECORDING_1"))),
    (RECEIVER, envelope(receiver_xml())),
    (
        RECEIVER,
        envelope(
            "<trv:SetReceiverMode><trv:ReceiverToken>R</trv:ReceiverToken>"
            "<trv:Mode>AlwaysConnect</trv:Mode></trv:SetReceiverMode>"
        ),
    ),
    (
        DEVICE,
        envelope("<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>"),
    ),
    (
        DEVICE,
        envelope(
            "<tds:CreateUsers><tds:User><tt:Username>fuzz</tt:Username>"
            "<tt:Password>Fuzz-Pass-1</tt:Password><tt:UserLevel>User</tt:UserLevel>"
            "</tds:User></tds:CreateUsers>"
        ),
    ),
    (
        DEVICE,
        envelope(
            '<tds:CreateStorageConfiguration><tds:StorageConfiguration type="NFS">'
            "<tds:LocalPath>/mnt/a</tds:LocalPath><tds:StorageUri>nfs://192.0.2.1/a</tds:StorageUri>"
            "<tds:User><tds:UserName>u</tds:UserName><tds:Password>p</tds:Password></tds:User>"
            "</tds:StorageConfiguration></tds:CreateStorageConfiguration>"
        ),
    ),
]
PATHS = [RECORDING, RECEIVER, DEVICE]

XML_PIECES = [
    b"<",
    b">",
    b"</",
    b"/>",
    b"&",
    b"&amp;",
    b'"',
    b"=",
    b":",
    b"xmlns:x='y'",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<?x?>",
    b"\x00",
    b"\xc3",
    b"&#0;",
]


@st.composite
def mutated_envelope(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid request with 0-4 byte-level edits (most of which break the XML)."""
    path, body = draw(st.sampled_from(VALID_REQUESTS))
    data = bytearray(body)
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "duplicate"]))
        piece = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(XML_PIECES))
        if kind == "delete":
            del data[position : position + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[position:position] = piece
        elif kind == "replace":
            data[position : position + len(piece)] = piece
        else:
            data[position:position] = data[position : position + draw(st.integers(1, 60))]
    return path, bytes(data)


XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=24)


@st.composite
def mutated_values(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid request, still well-formed, with some element texts and attributes replaced
    by arbitrary text: this reaches the mapping code behind the parser."""
    path, body = draw(st.sampled_from(VALID_REQUESTS))
    root = etree.fromstring(body)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    for _ in range(draw(st.integers(1, 3))):
        element = draw(st.sampled_from(elements))
        if draw(st.booleans()):
            element.text = draw(XML_TEXT)
        else:
            element.set(draw(st.sampled_from(["Type", "token", "type"])), draw(XML_TEXT))
    return path, bytes(etree.tostring(root))


RESPONSE_CODES = {"Sender", "Receiver", "VersionMismatch", "MustUnderstand"}


@settings(
    max_examples=50,
    derandomize=True,  # the same examples on every run: a failure is reproducible
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sample=st.tuples(st.sampled_from(PATHS), st.binary(max_size=600))
    | mutated_envelope()
    | mutated_values()
)
def test_random_input_gets_a_soap_answer(
    shared: RunningRecorder, caplog: pytest.LogCaptureFixture, sample: tuple[str, bytes]
) -> None:
    path, data = sample
    session = requests.Session()
    session.trust_env = False
    session.auth = HTTPDigestAuth(shared.admin_user, shared.admin_password)
    response = session.post(
        shared.url + path,
        data=data,
        headers={"Content-Type": SOAP_CONTENT_TYPE},
        timeout=10,
    )
    assert response.status_code in {200, 400, 413, 500}, response.text
    assert response.headers["Content-Type"] == SOAP_CONTENT_TYPE
    no_traceback(response.text)
    validate_body(response.content)
    answer = body_element(response.content)
    is_fault = answer.tag == f"{{{ENV}}}Fault"
    assert is_fault == (response.status_code != 200), response.text
    if is_fault:
        chain = fault_chain_of(response)
        assert chain[0] in RESPONSE_CODES, chain
        assert chain != ["Receiver", "CriticalError"], response.text  # an unexpected error
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors
