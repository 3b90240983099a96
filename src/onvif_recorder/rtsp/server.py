"""The RTSP 1.0 replay server, sans-IO (RFC 2326, ONVIF Streaming §5.2, §6): bytes in,
actions out, time passed in. One ``ServerConnection`` per TCP connection; the asyncio
shell (``engine/rtsp_server.py``) feeds it, writes its replies and runs the playback
its ``StartPlay`` actions ask for.

Per method: OPTIONS; DESCRIBE (SDP with ``a=x-onvif-track``); SETUP (RTP/AVP/TCP
interleaved, §10.12, or RTP/AVP unicast UDP to the client's ports; ``Session`` with
``timeout=`` from the Replay configuration); PLAY (``Range: clock=``/``npt=``, ``Scale``
(negative: reverse), ``Rate-Control``, ``Immediate``, ``Frames``; ``RTP-Info`` per
stream); PAUSE (now, or at ``Range: clock=``); TEARDOWN;
GET_PARAMETER/SET_PARAMETER as keep-alive. ``Require: onvif-replay`` is accepted, any
other required feature is 551 with ``Unsupported`` (§6.2). Any request but TEARDOWN and
any RTCP packet the client sends keep the session alive (§5.2.2.2).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import unquote, urlsplit

from onvif_recorder.replay.media import ReplayMedia, control, session_description
from onvif_recorder.replay.playback import FrameFilter, RtpStream
from onvif_recorder.rtsp.errors import MessageTooLarge, RemoteProtocolError
from onvif_recorder.rtsp.headers import (
    Range,
    RtpInfo,
    Transport,
    format_range,
    format_rtp_info,
    format_transport,
    parse_range,
    parse_transport,
)
from onvif_recorder.rtsp.interleaved import InterleavedFrame
from onvif_recorder.rtsp.message import (
    ConnectionClosed,
    Headers,
    MessageParser,
    Request,
    Response,
    Sentinel,
)

PUBLIC = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"
FEATURES = frozenset({"onvif-replay"})
SESSION_METHODS = frozenset({"PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"})
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           405: "Method Not Allowed", 454: "Session Not Found",
           455: "Method Not Valid in This State", 457: "Invalid Range",
           459: "Aggregate Operation Not Allowed", 461: "Unsupported Transport",
           501: "Not Implemented", 551: "Option not supported"}


@dataclass(frozen=True, slots=True)
class RecordingMedia:
    """What the catalog knows of a recording: its streams and recorded range (UTC)."""

    media: list[ReplayMedia]
    start: float
    end: float


Catalog = Callable[[str], RecordingMedia | None]
Gate = Callable[[Request], Response | None]
"""Authentication and access check: None to go on, else the answer (401)."""


@dataclass(slots=True)
class ServerSession:
    session_id: str
    recording: str
    streams: list[RtpStream] = field(default_factory=list)
    playing: bool = False
    position: float | None = None
    """UTC of the last frame sent (set by the playback): where PLAY without Range resumes."""
    last_seen: float = 0.0


@dataclass(frozen=True, slots=True)
class PlayRequest:
    start: float | None  # UTC; None: resume at the session's position
    end: float | None
    scale: float
    rate_control: bool
    immediate: bool
    frames: FrameFilter
    cseq: int
    onvif: bool = False
    """``Require: onvif-replay``: the client reads the end of data from the T bit."""
    discontinuity: bool = False
    """D on the first frame: Immediate, or any PLAY that moves the position (§6.10)."""


@dataclass(frozen=True, slots=True)
class Reply:
    data: bytes


@dataclass(frozen=True, slots=True)
class StartPlay:
    session: ServerSession
    request: PlayRequest


@dataclass(frozen=True, slots=True)
class PausePlay:
    session: ServerSession
    at: float | None


@dataclass(frozen=True, slots=True)
class StopPlay:
    session: ServerSession


@dataclass(frozen=True, slots=True)
class Close:
    reason: str


Action = Reply | StartPlay | PausePlay | StopPlay | Close


class RequestError(Exception):
    def __init__(self, status: int, message: str = "", headers: Headers | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or Headers()


class ServerConnection:
    def __init__(self, catalog: Catalog, gate: Gate, session_timeout: Callable[[], int],
                 host: str, udp_ports: tuple[int, int] | None = None) -> None:
        """``udp_ports``: the server's RTP and RTCP ports for RTP/UDP (None: TCP only)."""
        self.udp_ports = udp_ports
        self.catalog = catalog
        self.gate = gate
        self.session_timeout = session_timeout
        self.host = host
        self.parser = MessageParser()
        self.session: ServerSession | None = None
        self.now = 0.0

    def receive(self, data: bytes, now: float) -> list[Action]:
        self.now = now
        if data:
            self.parser.feed(data)
        else:
            self.parser.feed_eof()
        actions: list[Action] = []
        while True:
            try:
                event = self.parser.next_event()
            except (RemoteProtocolError, MessageTooLarge) as exc:
                return [*actions, Reply(bytes(Response(400, REASONS[400]))), Close(str(exc))]
            if event is Sentinel.NEED_DATA:
                return actions
            if isinstance(event, ConnectionClosed):
                return [*actions, Close("the client closed the connection")]
            if isinstance(event, InterleavedFrame):
                self._touch()  # RTCP receiver reports keep the session (§5.2.2.2)
            elif isinstance(event, Request):
                actions += self._request(event)

    def expired(self, now: float) -> bool:
        session = self.session
        return session is not None and now - session.last_seen > self.session_timeout()

    def _touch(self) -> None:
        if self.session is not None:
            self.session.last_seen = self.now

    def _request(self, request: Request) -> list[Action]:
        headers = Headers.of([("CSeq", str(request.cseq or 0))])
        try:
            denied = self.gate(request) if request.method != "OPTIONS" else None
            if denied is not None:
                merged = Headers.of([*headers.items, *denied.headers.items])
                return [Reply(bytes(Response(denied.status, denied.reason, merged)))]
            self._check_require(request)
            extra, body, actions = self._dispatch(request)
        except RequestError as exc:
            merged = Headers.of([*headers.items, *exc.headers.items])
            return [Reply(bytes(Response(exc.status, REASONS.get(exc.status, ""), merged)))]
        if request.method != "TEARDOWN":
            self._touch()
        response = Response(200, "OK", Headers.of([*headers.items, *extra]), body)
        return [Reply(bytes(response)), *actions]

    def _check_require(self, request: Request) -> None:
        wanted = {f.strip() for v in request.headers.get_all("Require") for f in v.split(",")}
        unsupported = sorted(wanted - FEATURES - {""})
        if unsupported:
            raise RequestError(551, "", Headers.of([("Unsupported", ", ".join(unsupported))]))

    def _dispatch(self, request: Request) -> tuple[list[tuple[str, str]], bytes, list[Action]]:
        method = request.method
        if method == "OPTIONS":
            return [("Public", PUBLIC)], b"", []
        if method == "DESCRIBE":
            return self._describe(request)
        if method == "SETUP":
            return self._setup(request), b"", []
        if method not in SESSION_METHODS:
            raise RequestError(405 if method in ("ANNOUNCE", "RECORD", "REDIRECT") else 501)
        session = self._session_of(request)
        if method == "PLAY":
            return self._play(request, session)
        if method == "PAUSE":
            return self._session_header(session), b"", [PausePlay(session, _pause_at(request))]
        if method == "TEARDOWN":
            self.session = None
            return [], b"", [StopPlay(session)]
        return self._session_header(session), b"", []  # GET/SET_PARAMETER: keep-alive

    # --- methods ------------------------------------------------------------------------

    def _recording_of(self, url: str) -> tuple[str, RecordingMedia, int | None]:
        """``/replay/<token>[/trackID=N]``: the recording, its media and the stream."""
        path = urlsplit(url).path
        parts = [unquote(p) for p in path.split("/") if p]
        if len(parts) < 2 or parts[0] != "replay":
            raise RequestError(404)
        stream = None
        if len(parts) >= 3 and parts[-1].startswith("trackID="):
            number = parts[-1].removeprefix("trackID=")
            if not number.isdigit():
                raise RequestError(404)
            stream, parts = int(number), parts[:-1]
        found = self.catalog(parts[1])
        if found is None or not found.media:
            raise RequestError(404, "no recorded media")
        if stream is not None and stream >= len(found.media):
            raise RequestError(404)
        return parts[1], found, stream

    def _describe(self, request: Request) -> tuple[list[tuple[str, str]], bytes, list[Action]]:
        token, found, _ = self._recording_of(request.url)
        base = request.url.rstrip("/") + "/"
        whole = Range("clock", found.start, found.end)
        sdp = session_description(found.media, self.host, f"recording {token}",
                                  format_range(whole))
        return ([("Content-Base", base), ("Content-Type", "application/sdp")],
                sdp.encode("utf-8"), [])

    def _setup(self, request: Request) -> list[tuple[str, str]]:
        token, found, stream = self._recording_of(request.url)
        if stream is None:
            raise RequestError(459, "SETUP of the aggregate")
        session = self.session
        if request.headers.get("Session") is not None:
            session = self._session_of(request)
        if session is not None and (session.recording != token or session.playing):
            raise RequestError(455)
        transport = self._transport(request, stream)
        if session is None:
            session = ServerSession(secrets.token_hex(8), token, last_seen=self.now)
            self.session = session
        rtp = RtpStream(found.media[stream], transport.interleaved[0] if transport.interleaved
                        else -1, client_port=transport.client_port)
        session.streams = [s for s in session.streams if s.media != found.media[stream]]
        session.streams.append(rtp)
        if transport.lower == "UDP":
            transport = replace(transport, ssrc=rtp.ssrc)
        return [("Transport", format_transport(transport)), *self._session_header(session)]

    def _transport(self, request: Request, stream: int) -> Transport:
        value = request.headers.get("Transport")
        if value is None:
            raise RequestError(461)
        try:
            offered = parse_transport(value)
        except RemoteProtocolError:
            raise RequestError(461) from None
        for spec in offered:
            if spec.lower == "TCP" and not spec.multicast:
                channels = spec.interleaved or (2 * stream, 2 * stream + 1)
                return Transport(spec.profile, "TCP", interleaved=channels)
            if (spec.lower == "UDP" and not spec.multicast and spec.client_port is not None
                    and self.udp_ports is not None):
                return Transport(spec.profile, client_port=spec.client_port,
                                 server_port=self.udp_ports)
        raise RequestError(461, "RTP/AVP/TCP interleaved or RTP/AVP unicast with client_port")

    def _session_of(self, request: Request) -> ServerSession:
        value = request.headers.get("Session")
        session = self.session
        if value is None or session is None or value.split(";")[0].strip() != session.session_id:
            raise RequestError(454)
        return session

    def _session_header(self, session: ServerSession) -> list[tuple[str, str]]:
        return [("Session", f"{session.session_id};timeout={self.session_timeout()}")]

    def _play(self, request: Request, session: ServerSession
              ) -> tuple[list[tuple[str, str]], bytes, list[Action]]:
        if not session.streams:
            raise RequestError(455)
        found = self.catalog(session.recording)
        if found is None:
            raise RequestError(404)
        play = _play_request(request, found)
        # A PLAY while playing restarts at once, D set on its first frame (§6.10 asks it
        # of Immediate; GStreamer's ONVIF client repeats its first PLAY without it). A
        # resume starts again at the clean point before the pause (§6.5.4): D too.
        if session.playing or session.position is not None:
            play = replace(play, discontinuity=True)
        base = request.url.rstrip("/")
        infos = [RtpInfo(f"{base}/{control(index_of(found, s.media))}", s.sequence,
                         s.next_origin()) for s in session.streams]
        headers = [*self._session_header(session), ("RTP-Info", format_rtp_info(infos)),
                   ("Scale", f"{play.scale:.1f}"),
                   ("Rate-Control", "yes" if play.rate_control else "no")]
        start = play.start if play.start is not None else session.position
        if start is not None:
            headers.append(("Range", format_range(Range("clock", start, play.end))))
        session.playing = True
        return headers, b"", [StartPlay(session, play)]


def index_of(found: RecordingMedia, media: ReplayMedia) -> int:
    return found.media.index(media)


def _play_request(request: Request, found: RecordingMedia) -> PlayRequest:
    headers = request.headers
    scale = _number(headers.get("Scale") or headers.get("Speed") or "1")
    rate_control = (headers.get("Rate-Control") or "yes").strip().lower() != "no"
    if scale == 0 or (not rate_control and abs(scale) != 1.0):
        raise RequestError(400, "Scale must be 1.0 or -1.0 without rate control (§6.5.2)")
    start, end = _play_range(headers.get("Range"), found)
    if start is not None and end is not None and (end - start) * scale <= 0:
        raise RequestError(457, "a closed range runs in the direction of Scale (§6.5)")
    immediate = (headers.get("Immediate") or "no").strip().lower() == "yes"
    onvif = any("onvif-replay" in value for value in headers.get_all("Require"))
    return PlayRequest(start, end, scale, rate_control, immediate,
                       _frames(headers.get("Frames")), request.cseq or 0, onvif, immediate)


def _play_range(text: str | None, found: RecordingMedia) -> tuple[float | None, float | None]:
    """``Range: clock=`` (absolute UTC) or ``npt=`` (from the recording's start)."""
    if text is None:
        return None, None
    try:
        wanted = parse_range(text.replace(" ", ""))
    except RemoteProtocolError:
        raise RequestError(457) from None
    if wanted.unit == "npt":
        start = None if wanted.start is None else found.start + wanted.start
        end = None if wanted.end is None else found.start + wanted.end
    elif wanted.unit == "clock":
        start, end = wanted.start, wanted.end
    else:
        raise RequestError(457)
    if start is None:
        raise RequestError(457, "a replay Range needs a start")
    return start, end


def _number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise RequestError(400) from None


def _frames(text: str | None) -> FrameFilter:
    """``Frames: all | intra[/ms] | predicted`` (§6.5.3)."""
    value = (text or "all").strip().lower()
    kind, _, interval = value.partition("/")
    if kind == "intra":
        return FrameFilter(True, _number(interval) / 1000 if interval else 0.0)
    if kind in ("all", "predicted") and not interval:
        return FrameFilter()
    raise RequestError(400, f"Frames {value!r}")


def _pause_at(request: Request) -> float | None:
    """The time a PAUSE takes effect: ``Range: clock=T`` (RFC 2326 §10.6 gives the single
    point) or ``clock=T-``; None: now."""
    text = request.headers.get("Range")
    if text is None:
        return None
    text = text.replace(" ", "")
    if "-" not in text.partition("=")[2]:
        text += "-"
    try:
        wanted = parse_range(text)
    except RemoteProtocolError:
        raise RequestError(457) from None
    if wanted.unit != "clock" or wanted.start is None:
        raise RequestError(457)
    return wanted.start
