"""SDP session descriptions from DESCRIBE (RFC 8866, ex-RFC 4566), as RTSP uses them.

Only what a receiver needs is kept: per media its kind, payload type, rtpmap
(encoding, clock rate, channels), fmtp parameters, connection (for multicast), SSRC,
direction and absolute control URL. Parsing is lenient the way camera SDPs require
(a bare LF line end, unknown lines, a malformed ``m=`` line skips only that media) but
bounded (``SdpLimits``); ``RemoteProtocolError`` is raised only when nothing usable is
left.

Control URLs (RFC 2326 §C.1.1): the base is ``Content-Base``, else
``Content-Location``, else the request URL; ``*`` means the base itself. A relative
control is *appended* to the base (adding ``/`` if needed) instead of resolved by
RFC 3986 rules, because servers mean it that way: Axis sends ``trackID=1`` under
``rtsp://host/axis-media/media.amp`` and Dahua bases end in ``?channel=1&subtype=0/``.
ffmpeg, live555 and gortsplib resolve the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from onvif_recorder.rtsp.errors import RemoteProtocolError
from onvif_recorder.rtsp.headers import parse_uint
from onvif_recorder.rtsp.message import Headers

# RFC 3551 §6 static payload types a camera may send without an rtpmap line.
STATIC_PAYLOAD_TYPES = {0: ("PCMU", 8000, 1), 8: ("PCMA", 8000, 1), 26: ("JPEG", 90000, 1),
                        14: ("MPA", 90000, 1), 9: ("G722", 8000, 1)}
ONVIF_METADATA_PREFIX = "vnd.onvif.metadata"
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_NOT_ON_THE_WIRE = re.compile(r"[\s\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class SdpLimits:
    max_bytes: int = 64 * 1024
    max_lines: int = 2000
    max_media: int = 16


@dataclass(frozen=True, slots=True)
class Connection:
    """``c=`` line: address, and TTL / address count for multicast (RFC 8866 §5.7)."""

    address: str
    ttl: int | None = None
    address_count: int = 1


@dataclass(frozen=True, slots=True)
class MediaDescription:
    """One ``m=`` section."""

    kind: str
    port: int
    protocol: str
    formats: tuple[str, ...]
    payload_type: int | None
    encoding: str
    clock_rate: int
    channels: int
    fmtp: Mapping[str, str]
    control: str
    """Absolute URL to SETUP this media."""
    ssrc: int | None = None
    connection: Connection | None = None
    direction: str | None = None
    attributes: tuple[tuple[str, str | None], ...] = ()

    @property
    def is_onvif_metadata(self) -> bool:
        """ONVIF Streaming "RTSP session for a metadata stream": ``application`` media."""
        return self.encoding.lower().startswith(ONVIF_METADATA_PREFIX)

    def attribute(self, name: str) -> str | None:
        return next((v for n, v in self.attributes if n == name), None)


@dataclass(frozen=True, slots=True)
class SessionDescription:
    name: str
    control: str
    """Aggregate control URL (for PLAY, TEARDOWN and keep-alives)."""
    media: tuple[MediaDescription, ...]
    connection: Connection | None = None
    attributes: tuple[tuple[str, str | None], ...] = ()


def content_base(headers: Headers, request_url: str) -> str:
    """The base for relative control URLs (RFC 2326 §C.1.1)."""
    for name in ("Content-Base", "Content-Location"):
        value = (headers.get(name) or "").strip()
        if value:
            return value
    return request_url


def resolve_control(base: str, control: str | None) -> str:
    """Absolute control URL; see the module docstring for why relative ones append.

    The result goes into request lines, so one with spaces or control characters (a
    server's garbage) is refused here with RemoteProtocolError.
    """
    url = _join_control(base, control)
    if not url or _NOT_ON_THE_WIRE.search(url):
        raise RemoteProtocolError(f"control URL {url[:80]!r} cannot be requested")
    return url


def _join_control(base: str, control: str | None) -> str:
    if control is None or control.strip() in ("", "*"):
        return base
    control = control.strip()
    if _ABSOLUTE.match(control):
        return control
    if control.startswith("/"):
        scheme_end = base.find("://") + 3
        host_end = base.find("/", scheme_end)
        return (base if host_end < 0 else base[:host_end]) + control
    return base + control if base.endswith("/") else f"{base}/{control}"


@dataclass
class _Section:
    lines: list[tuple[str, str]] = field(default_factory=list)

    def values(self, kind: str) -> list[str]:
        return [v for k, v in self.lines if k == kind]

    def attributes(self) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        for value in self.values("a"):
            name, colon, rest = value.partition(":")
            out.append((name.strip().lower(), rest.strip() if colon else None))
        return out


def parse_sdp(data: bytes | str, base_url: str, limits: SdpLimits | None = None
              ) -> SessionDescription:
    """Parse a DESCRIBE body; ``base_url`` comes from ``content_base``."""
    limits = limits or SdpLimits()
    session, sections = _sections(data, limits)
    attrs = session.attributes()
    control = resolve_control(base_url, _attr(attrs, "control"))
    connection = _connection(session.values("c"))
    media = [m for s in sections if (m := _media(s, base_url, connection)) is not None]
    if not media:
        raise RemoteProtocolError("SDP describes no usable media")
    names = session.values("s")
    return SessionDescription(names[0] if names else "", control, tuple(media), connection,
                              tuple(attrs))


def _sections(data: bytes | str, limits: SdpLimits) -> tuple[_Section, list[_Section]]:
    if len(data) > limits.max_bytes:
        raise RemoteProtocolError(f"SDP of {len(data)} bytes exceeds {limits.max_bytes}")
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    lines = text.split("\n")
    if len(lines) > limits.max_lines:
        raise RemoteProtocolError(f"SDP has more than {limits.max_lines} lines")
    session, sections = _Section(), list[_Section]()
    for raw in lines:
        kind, eq, value = raw.strip().partition("=")
        if not eq or len(kind) != 1:
            continue  # blank or malformed line: RFC 8866 §5 asks us to ignore it
        if kind == "m":
            if len(sections) >= limits.max_media:
                raise RemoteProtocolError(f"SDP has more than {limits.max_media} media")
            sections.append(_Section())
        (sections[-1] if sections else session).lines.append((kind, value.strip()))
    return session, sections


def _attr(attrs: list[tuple[str, str | None]], name: str) -> str | None:
    return next((v for n, v in attrs if n == name), None)


def _connection(values: list[str]) -> Connection | None:
    """``c=IN IP4 239.1.2.3/64/2`` (RFC 8866 §5.7)."""
    if not values:
        return None
    parts = values[0].split()
    if len(parts) != 3:
        return None
    address, *extra = parts[2].split("/")
    numbers = [n for x in extra if (n := parse_uint(x, 0xFFFF)) is not None]
    if parts[1].upper() == "IP4" and numbers:
        ttl, count = numbers[0], numbers[1] if len(numbers) > 1 else 1
        return Connection(address, ttl, count)
    return Connection(address, None, numbers[0] if numbers else 1)


def _media(section: _Section, base_url: str, session_connection: Connection | None
           ) -> MediaDescription | None:
    kind, _, rest = section.lines[0][1].partition(" ")
    parts = rest.split()
    port = parse_uint(parts[0].split("/")[0], 65535) if len(parts) >= 3 else None
    if port is None:
        return None
    attrs = section.attributes()
    formats = tuple(parts[2:])
    payload_type = parse_uint(formats[0], 127)
    encoding, clock_rate, channels = _rtpmap(attrs, payload_type)
    return MediaDescription(
        kind=kind.lower(), port=port, protocol=parts[1],
        formats=formats, payload_type=payload_type, encoding=encoding, clock_rate=clock_rate,
        channels=channels, fmtp=_fmtp(attrs, payload_type),
        control=resolve_control(base_url, _attr(attrs, "control")), ssrc=_ssrc(attrs),
        connection=_connection(section.values("c")) or session_connection,
        direction=next((n for n, v in attrs if v is None and n in _DIRECTIONS), None),
        attributes=tuple(attrs))


_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def _rtpmap(attrs: list[tuple[str, str | None]], payload_type: int | None
            ) -> tuple[str, int, int]:
    """``a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`` (RFC 8866 §6.6)."""
    for name, value in attrs:
        if name != "rtpmap" or value is None:
            continue
        number, _, spec = value.partition(" ")
        if payload_type is None or number.strip() != str(payload_type):
            continue
        fields = spec.strip().split("/")
        rate = parse_uint(fields[1], 10_000_000) if len(fields) > 1 else None
        channels = parse_uint(fields[2], 255) if len(fields) > 2 else None
        return fields[0], rate or 0, max(channels or 1, 1)
    return STATIC_PAYLOAD_TYPES.get(-1 if payload_type is None else payload_type, ("", 0, 1))


def _fmtp(attrs: list[tuple[str, str | None]], payload_type: int | None) -> dict[str, str]:
    """``a=fmtp:<pt> k=v; k=v`` with keys lower-cased (RFC 6184 §8.1, RFC 3640 §4.1)."""
    for name, value in attrs:
        if name != "fmtp" or value is None:
            continue
        number, _, params = value.partition(" ")
        if payload_type is not None and number.strip() != str(payload_type):
            continue
        out = {}
        for item in params.split(";"):
            key, eq, val = item.strip().partition("=")
            if key:
                out[key.strip().lower()] = val.strip() if eq else ""
        return out
    return {}


def _ssrc(attrs: list[tuple[str, str | None]]) -> int | None:
    """``a=ssrc:<decimal ssrc> <attribute>`` (RFC 5576 §4.1)."""
    value = _attr(attrs, "ssrc")
    return parse_uint((value or "").split(" ")[0], 0xFFFFFFFF)
