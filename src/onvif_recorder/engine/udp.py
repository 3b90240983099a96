"""RTP/UDP unicast: one even/odd pair of datagram sockets per media (RFC 3550 §11).

RFC 3550 §11: RTP goes to an even port and its RTCP to the next (odd) one, so a pair is
bound by taking an ephemeral even port for RTP and then port + 1 for RTCP, retrying
with another port when the odd one is taken. The sockets are bound to the local address
of the RTSP connection: unicast RTP comes back to the address the server sees us at,
and nothing is exposed on other interfaces. Datagrams from any host but the server are
counted and dropped (RFC 2326 §12.39 ``source``; an RTP port is otherwise open to
spoofed media).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

BIND_ATTEMPTS = 32
Deliver = Callable[[int, bool, bytes], None]
"""``deliver(media_index, rtcp, datagram)``."""


@dataclass(slots=True)
class UdpStats:
    datagrams: int = 0
    foreign: int = 0
    """Datagrams from another host than the server, dropped."""
    send_errors: int = 0


class _Port(asyncio.DatagramProtocol):
    """One bound socket: knows its media and whether it carries RTCP."""

    def __init__(self, media_index: int, rtcp: bool, pair: UdpPair) -> None:
        self.media_index = media_index
        self.rtcp = rtcp
        self.pair = pair

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.pair.received(self.media_index, self.rtcp, data, str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable for a report we sent: the server closed its RTCP port.
        self.pair.stats.send_errors += 1


@dataclass(slots=True)
class UdpPair:
    """The RTP and RTCP sockets of one media; ``allowed`` holds the server's addresses."""

    media_index: int
    deliver: Deliver
    stats: UdpStats
    allowed: set[str] = field(default_factory=set)
    rtp: asyncio.DatagramTransport | None = None
    rtcp: asyncio.DatagramTransport | None = None
    ports: tuple[int, int] = (0, 0)

    def received(self, media_index: int, rtcp: bool, data: bytes, host: str) -> None:
        if host not in self.allowed:
            self.stats.foreign += 1
            return
        self.stats.datagrams += 1
        self.deliver(media_index, rtcp, data)

    def send_rtcp(self, data: bytes, address: tuple[str, int]) -> None:
        if self.rtcp is not None and not self.rtcp.is_closing():
            self.rtcp.sendto(data, address)

    def close(self) -> None:
        for transport in (self.rtp, self.rtcp):
            if transport is not None:
                transport.close()
        self.rtp = self.rtcp = None


async def bind_pair(media_index: int, host: str, deliver: Deliver, stats: UdpStats,
                    receive_buffer: int) -> UdpPair:
    """Bind an even RTP port and the odd RTCP port above it on ``host``."""
    pair = UdpPair(media_index, deliver, stats)
    for _ in range(BIND_ATTEMPTS):
        rtp = await _bind(pair, False, host, 0, receive_buffer)
        try:
            port = _port_of(rtp)
            rtcp = None if port % 2 else await _bind_or_none(pair, host, port + 1, receive_buffer)
        except BaseException:
            rtp.close()
            raise
        if rtcp is not None:
            pair.rtp, pair.rtcp, pair.ports = rtp, rtcp, (port, port + 1)
            return pair
        rtp.close()
    raise OSError(f"no free even/odd UDP port pair on {host} after {BIND_ATTEMPTS} attempts")


async def _bind_or_none(pair: UdpPair, host: str, port: int,
                        receive_buffer: int) -> asyncio.DatagramTransport | None:
    try:
        return await _bind(pair, True, host, port, receive_buffer)
    except OSError:
        return None  # the odd port is taken: try another pair


async def _bind(pair: UdpPair, rtcp: bool, host: str, port: int,
                receive_buffer: int) -> asyncio.DatagramTransport:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        # Bursts (a key frame is dozens of datagrams at once) must fit while the loop is busy;
        # Linux caps this at net.core.rmem_max.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.bind((host, port))
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Port(pair.media_index, rtcp, pair), sock=sock)
    except BaseException:
        sock.close()
        raise
    return transport


def _port_of(transport: asyncio.DatagramTransport) -> int:
    return int(transport.get_extra_info("sockname")[1])
