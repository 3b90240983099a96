"""How to reach a camera: from a MediaUri and a StreamSetup to sockets to open (pure).

Schemes (RFC 2326 §3.2, IANA; the receiver service accepts no others): ``rtsp://`` is
RTSP over TCP (port 554), ``rtsps://`` RTSP over TLS (port 322), tunnelled or not.
StreamSetup (Receiver spec, tt:StreamSetup, tt:Transport):

* ``RTP-Multicast`` - RTP/UDP multicast, the group and ports the server names in SETUP;
* ``UDP`` - RTP/UDP unicast;
* ``RTSP`` or ``TCP`` - RTP interleaved in the RTSP connection (RFC 2326 §10.12);
  ``TCP`` is taken to mean the same, as clients that set it intend;
* ``HTTP``, or any protocol with a ``Tunnel`` of ``HTTP`` - RTSP tunnelled over HTTP
  (ONVIF Streaming "RTP/RTSP/HTTP/TCP", "RTSP over HTTP") to the URI's host and port
  (cameras often tunnel on their HTTP port: ``rtsp://camera:80/...``), RTP interleaved in
  it; over TLS for ``rtsps://`` (RTP/RTSP/HTTPS/TCP).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

from onvif_recorder.domain.receiver import ReceiverConfiguration, StreamType, TransportProtocol
from onvif_recorder.ingest.errors import UnsupportedTransport

DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322}


class Delivery(Enum):
    """How RTP comes to us."""

    UDP = "UDP"
    MULTICAST = "multicast"
    INTERLEAVED = "interleaved"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to connect for one URL, and how."""

    host: str
    port: int
    tls: bool
    tunnel: bool
    path: str
    """Path and query for the HTTP tunnel's GET and POST."""

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def delivery(configuration: ReceiverConfiguration) -> Delivery:
    """What the StreamSetup asks for (see the module docstring)."""
    if configuration.stream is StreamType.RTP_MULTICAST:
        if tunnelled(configuration):
            raise UnsupportedTransport("RTP multicast cannot be tunnelled over HTTP")
        return Delivery.MULTICAST
    transport = configuration.transport
    # A Tunnel of RTSP or TCP carries the RTP too, whatever the outer protocol says.
    if (tunnelled(configuration) or transport.tunnel is not None
            or transport.protocol is not TransportProtocol.UDP):
        return Delivery.INTERLEAVED
    return Delivery.UDP


def tunnelled(configuration: ReceiverConfiguration) -> bool:
    """True when the StreamSetup asks for RTSP over HTTP."""
    transport = configuration.transport
    return TransportProtocol.HTTP in (transport.protocol,
                                      transport.tunnel and transport.tunnel.protocol)


def endpoint(url: str, tunnel: bool) -> Endpoint:
    """Host, port, TLS and tunnelling for ``url`` (userinfo already removed)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsupportedTransport(f"{parts.scheme}:// is not supported, only rtsp:// "
                                   "and rtsps://")
    if not parts.hostname:
        raise UnsupportedTransport(f"{url!r} names no host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise UnsupportedTransport(f"{url!r} has an invalid port") from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Endpoint(parts.hostname, port, scheme == "rtsps", tunnel, path)
