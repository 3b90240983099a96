"""What the client session reports to its driver, and how it is configured."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from onvif_recorder.rtsp.headers import Range, RtpInfo, Transport
from onvif_recorder.rtsp.message import MessageLimits, Request, Response
from onvif_recorder.rtsp.sdp import MediaDescription, SessionDescription


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Client behaviour; every duration is in seconds of the caller's ``now`` clock."""

    user_agent: str = "onvif-recorder"
    request_timeout: float = 10.0
    default_session_timeout: int = 60
    """RFC 2326 §12.37: the timeout when the server's Session header gives none."""
    keepalive_fraction: float = 0.5
    """Send a keep-alive after this fraction of the session timeout without a request."""
    max_redirects: int = 3
    limits: MessageLimits = field(default_factory=MessageLimits)


@dataclass(frozen=True, slots=True)
class MediaSelection:
    """Which media of the description to SETUP, and with what transport.

    ``Transport.tcp()`` lets the session choose interleaved channels;
    ``Transport.udp((rtp_port, rtcp_port))`` names the caller's bound UDP ports;
    ``Transport.udp_multicast()`` asks for the server's multicast group.
    """

    media_index: int
    transport: Transport

    def with_channels(self, first: int) -> MediaSelection:
        """For TCP without channels, use ``first`` and ``first + 1`` (RTP, RTCP)."""
        if self.transport.lower != "TCP" or self.transport.interleaved is not None:
            return self
        return MediaSelection(self.media_index,
                              replace(self.transport, interleaved=(first, first + 1)))


@dataclass(frozen=True, slots=True)
class Described:
    """DESCRIBE succeeded; call ``ClientSession.setup`` with the media to receive."""

    description: SessionDescription
    response: Response


@dataclass(frozen=True, slots=True)
class StreamSetup:
    """One media as the server agreed to send it."""

    media_index: int
    media: MediaDescription
    transport: Transport
    """The server's reply: server_port/source for UDP, channels for TCP, group for multicast."""
    rtp_info: RtpInfo | None = None


@dataclass(frozen=True, slots=True)
class Playing:
    """PLAY succeeded; media flows. ``range`` holds ``clock=`` start time if sent."""

    streams: tuple[StreamSetup, ...]
    range: Range | None
    session_timeout: int


@dataclass(frozen=True, slots=True)
class MediaData:
    """An RTP or RTCP packet received interleaved on the RTSP connection."""

    media_index: int
    rtcp: bool
    data: bytes


@dataclass(frozen=True, slots=True)
class Redirected:
    """3xx with Location: connect to ``location`` and start a new session there."""

    location: str
    count: int


@dataclass(frozen=True, slots=True)
class ServerRequest:
    """A request the server sent us (already answered)."""

    request: Request


@dataclass(frozen=True, slots=True)
class Closed:
    """TEARDOWN answered, or the connection closed after it; the session is over."""


SessionEvent = Described | Playing | MediaData | Redirected | ServerRequest | Closed
