"""RTSP header values as typed objects: one parse/format pair per header.

Transport (RFC 2326 §12.39), Session (§12.37), RTP-Info (§12.33), Range (§12.29 with
npt §3.6 and clock §3.7) and Public (§12.28). Parsers raise ``RemoteProtocolError``
on what they cannot read and ignore parameters they do not know (RFC 2326 §12.39:
"unknown parameters are ignored"), keeping them in ``extra`` for round trips.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from onvif_recorder.rtsp.errors import RemoteProtocolError

_DIGITS = re.compile(r"[0-9]{1,20}")
_NPT_CLOCK = re.compile(r"(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)")
_UTC_TIME = re.compile(r"(\d{8})T(\d{6})(?:\.(\d+))?Z")


def split_top_level(value: str, separator: str = ",") -> list[str]:
    """Split on ``separator`` outside double-quoted strings; empty items are dropped."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def parse_uint(text: str, upper: int) -> int | None:
    """A decimal number in 0..upper written in ASCII digits, else None."""
    text = text.strip()
    if not _DIGITS.fullmatch(text) or int(text) > upper:
        return None
    return int(text)


def _int(text: str, what: str, upper: int) -> int:
    value = parse_uint(text, upper)
    if value is None:
        raise RemoteProtocolError(f"{what} {text.strip()[:40]!r} is not a number in 0..{upper}")
    return value


def _pair(text: str, what: str, upper: int) -> tuple[int, int]:
    """``a-b`` or a lone ``a`` (then ``a+1``) for port and channel ranges."""
    first, _, second = text.partition("-")
    low = _int(first, what, upper)
    return low, _int(second, what, upper) if second else min(low + 1, upper)


# --- Transport ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transport:
    """One transport-spec (RFC 2326 §12.39)."""

    profile: str = "RTP/AVP"
    lower: str = "UDP"
    multicast: bool = False
    destination: str | None = None
    source: str | None = None
    interleaved: tuple[int, int] | None = None
    client_port: tuple[int, int] | None = None
    server_port: tuple[int, int] | None = None
    port: tuple[int, int] | None = None
    ttl: int | None = None
    ssrc: int | None = None
    mode: str | None = None
    extra: tuple[tuple[str, str | None], ...] = ()

    @classmethod
    def tcp(cls, channels: tuple[int, int] | None = None) -> Transport:
        """RTP over the RTSP connection; the session picks free channels if None."""
        return cls(lower="TCP", interleaved=channels)

    @classmethod
    def udp(cls, client_port: tuple[int, int]) -> Transport:
        return cls(client_port=client_port)

    @classmethod
    def udp_multicast(cls) -> Transport:
        return cls(multicast=True)


_PORT_PARAMS = {"interleaved": 255, "client_port": 65535, "server_port": 65535, "port": 65535}


def parse_transport(value: str) -> list[Transport]:
    """All transport-specs of a ``Transport`` header, in preference order."""
    specs = [_parse_spec(spec) for spec in split_top_level(value)]
    if not specs:
        raise RemoteProtocolError("empty Transport header")
    return specs


def _parse_spec(spec: str) -> Transport:
    parts_of_spec = split_top_level(spec, ";")
    if not parts_of_spec:
        raise RemoteProtocolError(f"empty transport-spec in {spec!r}")
    protocol, *params = parts_of_spec
    parts = protocol.upper().split("/")
    if len(parts) not in (2, 3) or parts[0] != "RTP" or (len(parts) == 3 and
                                                       parts[2] not in ("UDP", "TCP")):
        raise RemoteProtocolError(f"unsupported transport {protocol!r}")
    fields: dict[str, Any] = {}
    extra: list[tuple[str, str | None]] = []
    for param in params:
        name, eq, raw = param.partition("=")
        name = name.strip().lower()
        _apply_param(fields, extra, name, raw.strip().strip('"') if eq else None)
    base = Transport("/".join(parts[:2]), parts[2] if len(parts) == 3 else "UDP")
    return replace(base, **fields, extra=tuple(extra))


def _apply_param(fields: dict[str, Any], extra: list[tuple[str, str | None]], name: str,
                 raw: str | None) -> None:
    if name in ("unicast", "multicast"):
        fields["multicast"] = name == "multicast"
    elif raw is None:
        extra.append((name, None))
    elif name in _PORT_PARAMS:
        fields[name] = _pair(raw, name, _PORT_PARAMS[name])
    elif name in ("destination", "source", "mode"):
        fields[name] = raw
    elif name == "ttl":
        fields["ttl"] = _int(raw, "ttl", 255)
    elif name == "ssrc":
        # Hexadecimal per RFC 2326; a value that does not fit 32 bits is ignored.
        fields["ssrc"] = int(raw, 16) if re.fullmatch(r"[0-9A-Fa-f]{1,8}", raw) else None
    else:
        extra.append((name, raw))


def format_transport(transport: Transport) -> str:
    """A transport-spec as a client sends it in SETUP."""
    t = transport
    parts = [t.profile if t.lower == "UDP" and not t.interleaved else f"{t.profile}/{t.lower}",
             "multicast" if t.multicast else "unicast"]
    for name in ("destination", "source"):
        if getattr(t, name) is not None:
            parts.append(f"{name}={getattr(t, name)}")
    for name in ("interleaved", "client_port", "server_port", "port"):
        pair = getattr(t, name)
        if pair is not None:
            parts.append(f"{name}={pair[0]}-{pair[1]}")
    if t.ttl is not None:
        parts.append(f"ttl={t.ttl}")
    if t.ssrc is not None:
        parts.append(f"ssrc={t.ssrc:08X}")
    if t.mode is not None:
        parts.append(f'mode="{t.mode}"' if "," in t.mode else f"mode={t.mode}")
    parts += [name if value is None else f"{name}={value}" for name, value in t.extra]
    return ";".join(parts)


def transport_mismatch(requested: Transport, reply: Transport) -> str | None:
    """Why a SETUP reply's transport cannot serve the request, or None if it can."""
    if reply.lower != requested.lower or reply.multicast != requested.multicast:
        return (f"server answered transport {format_transport(reply)!r} to a request for "
                f"{format_transport(requested)!r}")
    if reply.lower == "TCP" and reply.interleaved is None:
        return "server answered a TCP transport without interleaved channels"
    if reply.multicast and (reply.destination is None or reply.port is None):
        return "server answered a multicast transport without destination and port"
    return None


# --- Session ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionHeader:
    """``Session: id[;timeout=seconds]`` (RFC 2326 §12.37; default timeout 60 s)."""

    session_id: str
    timeout: int | None = None


def parse_session(value: str) -> SessionHeader:
    session_id, *params = (part.strip() for part in value.split(";"))
    if not session_id or not re.fullmatch(r"[A-Za-z0-9$\-_.+]+", session_id):
        raise RemoteProtocolError(f"invalid session id {session_id!r}")
    timeout = None
    for param in params:
        name, _, raw = param.partition("=")
        if name.strip().lower() == "timeout":
            timeout = _int(raw, "session timeout", 86400)
    return SessionHeader(session_id, timeout)


def format_session(session: SessionHeader) -> str:
    if session.timeout is None:
        return session.session_id
    return f"{session.session_id};timeout={session.timeout}"


# --- RTP-Info ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RtpInfo:
    """One stream of ``RTP-Info`` (RFC 2326 §12.33)."""

    url: str
    seq: int | None = None
    rtptime: int | None = None


def parse_rtp_info(value: str) -> list[RtpInfo]:
    # Entries are separated by "," but a URL may hold one: split only before "url=".
    entries = re.split(r",\s*(?=url=)", value.strip(), flags=re.IGNORECASE)
    return [_parse_rtp_info_entry(entry) for entry in entries if entry.strip()]


def _parse_rtp_info_entry(entry: str) -> RtpInfo:
    url_parts: list[str] = []
    numbers: dict[str, int] = {}
    for part in entry.strip().rstrip(",").split(";"):
        name, eq, raw = part.strip().partition("=")
        key = name.lower()
        if eq and key in ("seq", "rtptime") and url_parts:
            numbers[key] = _int(raw, key, 0xFFFF if key == "seq" else 0xFFFFFFFF)
        elif key == "url" and eq and not url_parts:
            url_parts.append(raw.strip())
        elif url_parts and not numbers:
            url_parts.append(part)  # a ";" inside the URL
    if not url_parts:
        raise RemoteProtocolError(f"RTP-Info entry without url: {entry[:80]!r}")
    return RtpInfo(";".join(url_parts), numbers.get("seq"), numbers.get("rtptime"))


def match_rtp_info(entries: list[RtpInfo], control: str) -> RtpInfo | None:
    """The entry for the media at ``control``: same URL or same last path segment.

    A lone entry is taken as is: servers often name the aggregate URL in it.
    """
    last = control.rstrip("/").rsplit("/", 1)[-1]
    for entry in entries:
        url = entry.url.rstrip("/")
        if url == control.rstrip("/") or url.rsplit("/", 1)[-1] == last:
            return entry
    return entries[0] if len(entries) == 1 else None


def format_rtp_info(entries: list[RtpInfo]) -> str:
    def one(info: RtpInfo) -> str:
        text = f"url={info.url}"
        text += f";seq={info.seq}" if info.seq is not None else ""
        return text + (f";rtptime={info.rtptime}" if info.rtptime is not None else "")
    return ",".join(one(info) for info in entries)


# --- Range ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    """``Range`` in npt (seconds from the start) or clock (UTC POSIX seconds) units.

    ``start`` None with ``unit == "npt"`` means ``now``. SMPTE ranges are kept only as
    ``raw``; a recorder of live streams does not need them.
    """

    unit: str
    start: float | None = None
    end: float | None = None
    raw: str = field(default="", compare=False)


def parse_range(value: str) -> Range:
    spec = value.split(";")[0].strip()
    unit, eq, span = spec.partition("=")
    unit = unit.strip().lower()
    if not eq or unit not in ("npt", "clock", "smpte"):
        raise RemoteProtocolError(f"unsupported Range {value[:80]!r}")
    if unit == "smpte":
        return Range(unit, raw=value)
    first, dash, last = span.strip().partition("-")
    if not dash:
        raise RemoteProtocolError(f"Range without '-': {value[:80]!r}")
    read = _npt if unit == "npt" else _utc
    return Range(unit, read(first.strip()), read(last.strip()), raw=value)


def _npt(text: str) -> float | None:
    """npt-time (RFC 2326 §3.6): ``now``, seconds, or ``h:mm:ss.frac``."""
    if text in ("", "now"):
        return None
    clock = _NPT_CLOCK.fullmatch(text)
    if clock is not None:
        hours, minutes, seconds = clock.groups()
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if re.fullmatch(r"\d+(?:\.\d*)?", text):
        return float(text)
    raise RemoteProtocolError(f"invalid npt time {text!r}")


def _utc(text: str) -> float | None:
    """utc-time (RFC 2326 §3.7): ``YYYYMMDDThhmmss[.fraction]Z``."""
    if not text:
        return None
    match = _UTC_TIME.fullmatch(text)
    if match is None:
        raise RemoteProtocolError(f"invalid clock time {text!r}")
    date, time, fraction = match.groups()
    try:
        moment = datetime.strptime(date + time, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise RemoteProtocolError(f"invalid clock time {text!r}") from exc
    return moment.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


def format_range(value: Range) -> str:
    if value.unit == "smpte":
        return value.raw
    write = _format_npt if value.unit == "npt" else _format_utc
    end = "" if value.end is None else write(value.end)
    return f"{value.unit}={write(value.start)}-{end}"


def _format_npt(seconds: float | None) -> str:
    return "now" if seconds is None else f"{seconds:.3f}"


def _format_utc(seconds: float | None) -> str:
    if seconds is None:
        return ""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y%m%dT%H%M%S") + f".{moment.microsecond // 1000:03d}Z"


# --- Public -----------------------------------------------------------------------------


def parse_public(value: str) -> frozenset[str]:
    """Methods listed in ``Public`` (RFC 2326 §12.28), upper-cased."""
    return frozenset(m.strip().upper() for m in value.split(",") if m.strip())
