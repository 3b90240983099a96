"""RTSP tunnelled over HTTP (Apple's QuickTime scheme, as Live555 and GStreamer do it).

ONVIF Streaming "RTP/RTSP/HTTP/TCP" and the Receiver spec (StreamSetup
Transport ``HTTP``) ask for it. The client opens two HTTP connections to the server that
carry one RTSP session, tied together by the same ``x-sessioncookie``:

* ``GET path HTTP/1.0`` with ``Accept: application/x-rtsp-tunnelled``: the server answers
  ``HTTP/1.0 200 OK`` and then sends, on this connection, every RTSP response, server
  request and interleaved RTP/RTCP frame, unencoded, until it closes;
* ``POST path HTTP/1.0`` with ``Content-Type: application/x-rtsp-tunnelled`` and a large
  ``Content-Length`` that is never honoured: each RTSP request (and interleaved RTCP
  frame) the client writes afterwards is sent base64-encoded, one encoded block per write
  (padding included), as GStreamer's ``gstrtspconnection`` and Live555's client do.

Sans-IO like the rest of ``rtsp``: ``TunnelRequests`` makes the two request heads and
encodes what the session writes; ``TunnelResponse`` is fed the GET connection's bytes
and, once the HTTP answer head is through, hands back the RTSP bytes that follow. A
status other than 200 or a head longer than ``MAX_HEAD`` raises ``RemoteProtocolError``.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field

from onvif_recorder.rtsp.errors import RemoteProtocolError

MAX_HEAD = 16 * 1024
TUNNEL_CONTENT_TYPE = "application/x-rtsp-tunnelled"
POST_CONTENT_LENGTH = 32767  # QuickTime's value: "a large number", never reached in practice
_STATUS_LINE = re.compile(rb"HTTP/(\d)\.(\d) (\d{3})(?: ([^\r\n]*))?")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_NO_CACHE = "Pragma: no-cache\r\nCache-Control: no-cache\r\n"


def new_cookie() -> str:
    """A session cookie: 22 unguessable URL-safe characters (QuickTime uses 22)."""
    return secrets.token_urlsafe(16)[:22]


@dataclass(frozen=True, slots=True)
class TunnelRequests:
    """The two HTTP requests of one tunnel, for ``path`` (with query) on ``host``."""

    path: str
    host: str
    user_agent: str = "onvif-recorder"
    cookie: str = field(default_factory=new_cookie)

    def get(self) -> bytes:
        return (f"GET {self.path} HTTP/1.0\r\nHost: {self.host}\r\n"
                f"User-Agent: {self.user_agent}\r\nx-sessioncookie: {self.cookie}\r\n"
                f"Accept: {TUNNEL_CONTENT_TYPE}\r\n{_NO_CACHE}\r\n").encode()

    def post(self) -> bytes:
        return (f"POST {self.path} HTTP/1.0\r\nHost: {self.host}\r\n"
                f"User-Agent: {self.user_agent}\r\nx-sessioncookie: {self.cookie}\r\n"
                f"Content-Type: {TUNNEL_CONTENT_TYPE}\r\n{_NO_CACHE}"
                f"Content-Length: {POST_CONTENT_LENGTH}\r\n"
                "Expires: Sun, 9 Jan 1972 00:00:00 GMT\r\n\r\n").encode()


def encode(data: bytes) -> bytes:
    """What goes on the POST connection for ``data`` written by the RTSP session."""
    return base64.b64encode(data)


class TunnelResponse:
    """The GET connection's incoming side: the HTTP answer head, then raw RTSP bytes."""

    def __init__(self) -> None:
        self._head = bytearray()
        self.status: int | None = None

    @property
    def open(self) -> bool:
        """True once the server answered 200: what follows is RTSP."""
        return self.status is not None

    def feed(self, data: bytes) -> bytes:
        """Consume ``data``; return the RTSP bytes in it (none before the head is done)."""
        if self.open:
            return data
        self._head += data
        end = _HEAD_END.search(self._head)
        if end is None:
            if len(self._head) > MAX_HEAD:
                raise RemoteProtocolError(f"HTTP tunnel answer head over {MAX_HEAD} bytes")
            return b""
        head, rest = bytes(self._head[:end.start()]), bytes(self._head[end.end():])
        self._head = bytearray()
        self.status = _check_status(head)
        return rest

    def feed_eof(self) -> None:
        if not self.open:
            raise RemoteProtocolError("the server closed the HTTP tunnel before answering")


def _check_status(head: bytes) -> int:
    status_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    match = _STATUS_LINE.fullmatch(status_line)
    if match is None:
        raise RemoteProtocolError(f"the HTTP tunnel answer {status_line[:80]!r} is not HTTP")
    status = int(match.group(3))
    if status != 200:
        reason = (match.group(4) or b"").decode("latin-1")
        raise RemoteProtocolError(f"the server refused the HTTP tunnel: {status} {reason}")
    return status
