"""RTSP over HTTP, the sans-IO half: which connection is which, the base64 body."""

from __future__ import annotations

import base64

import pytest

from onvif_recorder.rtsp.http_tunnel import (
    Base64Stream,
    TunnelRequest,
    is_http,
    parse_tunnel_request,
)


@pytest.mark.parametrize(("line", "http"), [
    (b"GET /replay/R HTTP/1.0\r\n", True),
    (b"POST /replay/R HTTP/1.1\r\n", True),
    (b"OPTIONS rtsp://h/replay/R RTSP/1.0\r\n", False),
    (b"$\x00\x00\x10", False),
])
def test_http_or_rtsp(line: bytes, http: bool) -> None:
    assert is_http(line) is http


@pytest.mark.parametrize(("head", "expected"), [
    (b"GET /r HTTP/1.0\r\nx-sessioncookie: abc\r\nAccept: application/x-rtsp-tunnelled",
     TunnelRequest("GET", "abc")),
    (b"POST /r HTTP/1.0\r\nX-SessionCookie:  abc \r\nContent-Length: 32767",
     TunnelRequest("POST", "abc")),
    (b"GET /r HTTP/1.0\r\nAccept: */*", None),
    (b"PUT /r HTTP/1.0\r\nx-sessioncookie: abc", None),
])
def test_tunnel_requests(head: bytes, expected: TunnelRequest | None) -> None:
    assert parse_tunnel_request(head) == expected


def test_base64_body_in_any_pieces() -> None:
    message = b"OPTIONS rtsp://h/replay/R RTSP/1.0\r\nCSeq: 1\r\n\r\n" * 3
    encoded = base64.b64encode(message)
    stream = Base64Stream()
    decoded = b"".join(stream.feed(encoded[i:i + 7] + b"\r\n") for i in range(0, len(encoded), 7))
    assert decoded == message and stream.pending == b""
    with pytest.raises(ValueError, match="base64"):
        Base64Stream().feed(b"!!!!")
