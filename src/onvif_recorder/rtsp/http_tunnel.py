"""RTSP tunnelled over HTTP (the GET/POST pair ONVIF Streaming §5.1.1.5 cites, as QuickTime
defined it; ffmpeg ``-rtsp_transport http``, GStreamer ``rtsph://``), sans-IO.

The client opens two connections to the RTSP port, both carrying ``x-sessioncookie``: a
``GET`` that the server answers ``200`` with ``application/x-rtsp-tunnelled`` and then
uses for every RTSP reply and interleaved packet, and a ``POST`` whose endless body is
the client's RTSP requests in base64 (never answered).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

MAX_HEAD = 8192
TUNNEL_OK = (b"HTTP/1.0 200 OK\r\nServer: onvif-recorder\r\nConnection: close\r\n"
             b"Cache-Control: no-store\r\nPragma: no-cache\r\n"
             b"Content-Type: application/x-rtsp-tunnelled\r\n\r\n")
BAD_REQUEST = b"HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True, slots=True)
class TunnelRequest:
    method: str  # GET or POST
    cookie: str


def is_http(request_line: bytes) -> bool:
    """Does the first line of a connection start an HTTP request (not RTSP)?"""
    return request_line.rstrip(b"\r\n").endswith((b" HTTP/1.0", b" HTTP/1.1"))


def parse_tunnel_request(head: bytes) -> TunnelRequest | None:
    """The GET or POST of a tunnel from its header block, None when it is not one."""
    lines = head.decode("latin-1").split("\r\n")
    method = lines[0].split(" ", 1)[0].upper()
    cookie = ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "x-sessioncookie":
            cookie = value.strip()
    if method not in ("GET", "POST") or not cookie or len(cookie) > 128:
        return None
    return TunnelRequest(method, cookie)


class Base64Stream:
    """Decodes a base64 body that arrives in arbitrary pieces (whitespace ignored)."""

    def __init__(self) -> None:
        self.pending = b""

    def feed(self, data: bytes) -> bytes:
        """The bytes decodable so far; raises ValueError on non-base64 input."""
        self.pending += b"".join(data.split())
        usable = len(self.pending) - len(self.pending) % 4
        chunk, self.pending = self.pending[:usable], self.pending[usable:]
        try:
            return base64.b64decode(chunk, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"tunnel body is not base64: {exc}") from None
