"""RTSP messages and the incremental parser (RFC 2326 §4, §6, §7; RFC 7826 §5, §20.2).

``MessageParser`` is fed bytes as they arrive (``feed``) and hands out one event at a
time (``next_event``): a ``Response``, a ``Request`` (servers may send OPTIONS,
GET_PARAMETER, ANNOUNCE or REDIRECT to the client), an ``InterleavedFrame`` or
``ConnectionClosed``; ``NEED_DATA`` when the buffer holds no complete event
(``take_frames`` takes all the interleaved frames at the head at once). The
result does not depend on how the bytes were split. Every part of a message is
bounded by ``MessageLimits`` before it is buffered further, and any violation raises
``RemoteProtocolError`` (after which the parser stays broken, as the stream is out of
sync). Lines may end in CRLF or a bare LF (RFC 2326 §4), header lines may be folded
(RFC 2326 §4 via RFC 2616 §2.2), and empty lines between messages are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from onvif_recorder.rtp import kernels
from onvif_recorder.rtsp import interleaved
from onvif_recorder.rtsp.errors import MessageTooLarge, RemoteProtocolError
from onvif_recorder.rtsp.headers import parse_uint
from onvif_recorder.rtsp.interleaved import InterleavedFrame

RTSP_VERSION = "RTSP/1.0"
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_STATUS_LINE = re.compile(r"(RTSP/\d\.\d) (\d{3})(?: (.*))?")
_REQUEST_LINE = re.compile(r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) (RTSP/\d\.\d)")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_COMPACT_AT = 64 * 1024


class Sentinel(Enum):
    NEED_DATA = "NEED_DATA"


NEED_DATA: Literal[Sentinel.NEED_DATA] = Sentinel.NEED_DATA


@dataclass(frozen=True, slots=True)
class MessageLimits:
    """Caps on what one message may make us buffer (h11's max_incomplete_event_size)."""

    max_start_line: int = 4096
    max_header_line: int = 8192
    max_headers: int = 64
    max_header_bytes: int = 64 * 1024
    max_body: int = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Headers:
    """Ordered header fields; lookups ignore case (RFC 2326 §4.2)."""

    items: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> Headers:
        return cls(tuple((name, value) for name, value in pairs))

    def get(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for n, v in self.items if n.lower() == lowered), None)

    def get_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [v for n, v in self.items if n.lower() == lowered]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def with_header(self, name: str, value: str) -> Headers:
        return Headers((*self.items, (name, value)))


def _cseq(headers: Headers) -> int | None:
    value = headers.get("CSeq")
    return None if value is None else parse_uint(value, 0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class Request:
    """An RTSP request (RFC 2326 §6)."""

    method: str
    url: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = RTSP_VERSION

    @property
    def cseq(self) -> int | None:
        return _cseq(self.headers)

    def __bytes__(self) -> bytes:
        """Serialize; ``Content-Length`` is added for a body (RFC 2326 §12.14)."""
        _check_token(self.method)
        if not self.url or any(c in self.url for c in " \r\n"):
            raise ValueError(f"request URL {self.url!r} is not valid on the wire")
        lines = [f"{self.method} {self.url} {self.version}"]
        lines += _header_lines(self.headers, self.body)
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass(frozen=True, slots=True)
class Response:
    """An RTSP response (RFC 2326 §7)."""

    status: int
    reason: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = RTSP_VERSION

    @property
    def cseq(self) -> int | None:
        return _cseq(self.headers)

    def __bytes__(self) -> bytes:
        lines = [f"{self.version} {self.status:03d} {self.reason}"]
        lines += _header_lines(self.headers, self.body)
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The peer closed the connection (``feed_eof``) with nothing left to parse."""


Event = Response | Request | InterleavedFrame | ConnectionClosed


def _check_token(name: str) -> None:
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"{name!r} is not an RTSP token")


def _header_lines(headers: Headers, body: bytes) -> list[str]:
    lines = []
    for name, value in headers.items:
        _check_token(name)
        if "\r" in value or "\n" in value:
            raise ValueError(f"header {name} contains a line break")
        if name.lower() != "content-length":
            lines.append(f"{name}: {value}")
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return lines


class MessageParser:
    """Incremental parser of the byte stream a server sends (see the module docstring)."""

    def __init__(self, limits: MessageLimits | None = None) -> None:
        self.limits = limits or MessageLimits()
        self._buf = bytearray()
        self._pos = 0
        self._scanned = 0  # where the search for the end of the head resumes
        self._eof = False
        self._error: RemoteProtocolError | None = None

    @property
    def buffered(self) -> int:
        return len(self._buf) - self._pos

    def feed(self, data: bytes) -> None:
        if self._eof and data:
            raise RemoteProtocolError("data after end of stream")
        self._buf += data

    def feed_eof(self) -> None:
        self._eof = True

    def next_event(self) -> Event | Literal[Sentinel.NEED_DATA]:
        if self._error is not None:
            raise self._error
        try:
            event = self._next()
        except RemoteProtocolError as exc:
            self._error = exc
            raise
        self._compact()
        return event

    def take_frames(self) -> list[tuple[int, bytes]]:
        """Every complete interleaved frame at the head of the buffer as ``(channel,
        payload)``, in one call (``kernels.active.split_frames``); what follows (an RTSP
        message, an incomplete frame) is left for ``next_event``."""
        if self._error is not None:
            return []
        frames, self._pos = kernels.active.split_frames(self._buf, self._pos)
        self._scanned = max(self._scanned, self._pos)
        self._compact()
        return frames

    def _compact(self) -> None:
        if self._pos > _COMPACT_AT and self._pos * 2 > len(self._buf):
            del self._buf[: self._pos]
            self._scanned -= self._pos
            self._pos = 0

    def _next(self) -> Event | Literal[Sentinel.NEED_DATA]:
        self._skip_blank_lines()
        if self._pos == len(self._buf):
            return ConnectionClosed() if self._eof else NEED_DATA
        if self._buf[self._pos] == interleaved.MAGIC:
            event: Event | Literal[Sentinel.NEED_DATA] = self._frame()
        else:
            event = self._message()
        if event is NEED_DATA and self._eof:
            raise RemoteProtocolError("connection closed in the middle of a message")
        return event

    def _skip_blank_lines(self) -> None:
        while self._pos < len(self._buf) and self._buf[self._pos] in b"\r\n":
            self._pos += 1
        self._scanned = max(self._scanned, self._pos)

    def _frame(self) -> InterleavedFrame | Literal[Sentinel.NEED_DATA]:
        start = self._pos
        if len(self._buf) - start < interleaved.HEADER_SIZE:
            return NEED_DATA
        channel, length = interleaved.parse_header(self._buf[start : start + 4])
        end = start + interleaved.HEADER_SIZE + length
        if len(self._buf) < end:
            return NEED_DATA
        self._pos = end
        return InterleavedFrame(channel, bytes(self._buf[start + 4 : end]))

    def _message(self) -> Request | Response | Literal[Sentinel.NEED_DATA]:
        head_end = self._find_head_end()
        if head_end < 0:
            return NEED_DATA
        lines = _split_lines(bytes(self._buf[self._pos : head_end]), self.limits)
        headers = _parse_headers(lines[1:], self.limits)
        length = _content_length(headers, self.limits)
        body_start = head_end
        if len(self._buf) < body_start + length:
            return NEED_DATA
        body = bytes(self._buf[body_start : body_start + length])
        message = _start_line(lines[0], headers, body)
        self._pos = body_start + length
        self._scanned = self._pos
        return message

    def _find_head_end(self) -> int:
        """Offset just past the blank line ending the head, or -1 (checking the caps)."""
        buf, pos, limits = self._buf, self._pos, self.limits
        found = _HEAD_END.search(buf, max(pos, self._scanned - 3), pos + limits.max_header_bytes)
        if found is not None:
            return found.end()
        self._scanned = len(buf)
        first_line = buf.find(b"\n", pos, pos + limits.max_start_line + 1)
        if first_line < 0 and len(buf) - pos > limits.max_start_line:
            raise MessageTooLarge("start line", len(buf) - pos, limits.max_start_line)
        if len(buf) - pos > limits.max_header_bytes:
            raise MessageTooLarge("message head", len(buf) - pos, limits.max_header_bytes)
        return -1


def _split_lines(head: bytes, limits: MessageLimits) -> list[str]:
    text = head.decode("utf-8", errors="replace")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if any("\r" in line or "\x00" in line for line in lines):
        # A bare CR or NUL inside a line would come back out in our own requests
        # (Digest echoes realm and nonce): refuse it here (RFC 7230 §3.2.4).
        raise RemoteProtocolError("message head contains a bare CR or NUL")
    while lines and not lines[-1]:
        lines.pop()
    if len(lines[0]) > limits.max_start_line:
        raise MessageTooLarge("start line", len(lines[0]), limits.max_start_line)
    return lines


def _parse_headers(lines: list[str], limits: MessageLimits) -> Headers:
    fields: list[tuple[str, str]] = []
    for line in lines:
        if len(line) > limits.max_header_line:
            raise MessageTooLarge("header line", len(line), limits.max_header_line)
        if line[:1] in (" ", "\t"):
            if not fields:
                raise RemoteProtocolError("continuation line before the first header")
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip()}".strip())
            continue
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name):
            raise RemoteProtocolError(f"malformed header line {line[:80]!r}")
        fields.append((name, value.strip()))
        if len(fields) > limits.max_headers:
            raise MessageTooLarge("header count", len(fields), limits.max_headers)
    return Headers(tuple(fields))


def _content_length(headers: Headers, limits: MessageLimits) -> int:
    """Body length; absent means zero (RFC 2326 §12.14)."""
    values = {v.strip() for v in headers.get_all("Content-Length")}
    if not values:
        return 0
    length = parse_uint(next(iter(values)), 1 << 40) if len(values) == 1 else None
    if length is None:
        raise RemoteProtocolError(f"invalid Content-Length {sorted(values)[:2]}")
    if length > limits.max_body:
        raise MessageTooLarge("body", length, limits.max_body)
    return length


def _start_line(line: str, headers: Headers, body: bytes) -> Request | Response:
    status = _STATUS_LINE.fullmatch(line)
    if status is not None:
        version, code, reason = status.groups()
        return Response(int(code), reason or "", headers, body, version)
    request = _REQUEST_LINE.fullmatch(line)
    if request is not None:
        method, url, version = request.groups()
        return Request(method, url, headers, body, version)
    raise RemoteProtocolError(f"malformed start line {line[:80]!r}")
