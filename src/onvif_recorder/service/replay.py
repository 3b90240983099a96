"""Replay Control service semantics (Replay 25.12 §5): the replay URI, the session
timeout setting and the capabilities, shared by GetServiceCapabilities and GetServices.

The RTSP server itself lives in ``replay/`` (sans-IO) and ``engine/rtsp_server.py``;
this module only knows where it listens (``RtspAddress``, filled in once the socket is
bound, so port 0 yields the real port) and which transports it serves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote, urlsplit

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.errors import ConfigModify, InvalidStreamSetup, NoRecording
from onvif_recorder.domain.receiver import StreamType, Transport, TransportProtocol
from onvif_recorder.service.state import StateHolder

DEFAULT_SESSION_TIMEOUT = XsDuration.from_seconds(60)  # the RTSP default (RFC 2326 §12.37)
SESSION_TIMEOUT_RANGE = (10, 600)  # seconds, trp:Capabilities SessionTimeoutRange
REPLAY_PATH = "/replay/"
# RTP/RTSP/TCP interleaved (RTSP, and TCP as clients mean it), RTP/UDP unicast and RTSP
# tunnelled over HTTP (HTTP: the same rtsp:// URI, the tunnel on the same port, as
# REPLAY-3-1-3 expects) are what the RTSP server serves.
SERVED_PROTOCOLS = frozenset({TransportProtocol.RTSP, TransportProtocol.TCP,
                              TransportProtocol.UDP, TransportProtocol.HTTP})


@dataclass(frozen=True, slots=True)
class ReplayCapabilities:
    """trp:Capabilities (Replay §5.5)."""

    reverse_playback: bool
    session_timeout_range: tuple[int, int]
    rtp_rtsp_tcp: bool


@dataclass(slots=True)
class RtspAddress:
    """Where the RTSP server listens; ``port`` is the port really bound."""

    host: str = "0.0.0.0"
    port: int = 8554
    wildcard_hosts: frozenset[str] = field(default=frozenset({"0.0.0.0", "::", ""}))

    def uri_host(self, client_side_host: str) -> str:
        """The address a client reaches us on: the one it used for SOAP unless the RTSP
        server is bound to one address only."""
        host = client_side_host if self.host in self.wildcard_hosts else self.host
        return f"[{host}]" if ":" in host and not host.startswith("[") else host


@dataclass(frozen=True, slots=True)
class ReplayConfiguration:
    session_timeout: XsDuration


def replay_capabilities() -> ReplayCapabilities:
    """What the RTSP server really does (GetServiceCapabilities and GetServices agree)."""
    return ReplayCapabilities(reverse_playback=True,
                              session_timeout_range=SESSION_TIMEOUT_RANGE, rtp_rtsp_tcp=True)


class ReplayService:
    def __init__(self, holder: StateHolder, address: RtspAddress,
                 load: Callable[[], dict[str, str]],
                 save: Callable[[dict[str, str]], None]) -> None:
        self.holder = holder
        self.address = address
        self._save = save
        self.capabilities = replay_capabilities()
        self._configuration = _configuration(load())

    @property
    def configuration(self) -> ReplayConfiguration:
        return self._configuration

    @property
    def session_timeout_seconds(self) -> int:
        """What SETUP answers in ``Session: …;timeout=`` (Replay §5.3)."""
        return int(self._configuration.session_timeout.seconds)

    def set_configuration(self, configuration: ReplayConfiguration) -> None:
        low, high = self.capabilities.session_timeout_range
        value = configuration.session_timeout.seconds
        if not Decimal(low) <= value <= Decimal(high) or value != value.to_integral_value():
            raise ConfigModify(f"SessionTimeout must be whole seconds in [{low}, {high}]")
        self._save({"session_timeout": configuration.session_timeout.lexical})
        self._configuration = configuration

    def replay_uri(self, recording: str, stream: StreamType, transport: Transport,
                   base_url: str) -> str:
        """Replay §5.1: one RTSP URI per recording, whatever the transport asked for."""
        if recording not in self.holder.state.recordings:
            raise NoRecording(f"no recording {recording!r}")
        if stream is not StreamType.RTP_UNICAST:
            raise InvalidStreamSetup("replay is served as RTP-Unicast only")
        if transport.protocol not in SERVED_PROTOCOLS or transport.tunnel is not None:
            raise InvalidStreamSetup(
                f"transport {transport.protocol.value} with a tunnel is not served")
        host = self.address.uri_host(urlsplit(base_url).hostname or "127.0.0.1")
        return f"rtsp://{host}:{self.address.port}{REPLAY_PATH}{quote(recording, safe='')}"


def _configuration(values: dict[str, str]) -> ReplayConfiguration:
    try:
        timeout = XsDuration.parse(values["session_timeout"])
    except (KeyError, ValueError):
        timeout = DEFAULT_SESSION_TIMEOUT
    return ReplayConfiguration(timeout)
