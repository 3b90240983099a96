"""RTP over UDP: one pair of datagram sockets per media, unicast or multicast.

RFC 3550 §11: RTP goes to an even port and its RTCP to the next (odd) one, so a pair is
bound by taking an ephemeral even port for RTP and then port + 1 for RTCP, retrying
with another port when the odd one is taken. The sockets are bound to the local address
of the RTSP connection: unicast RTP comes back to the address the server sees us at,
and nothing is exposed on other interfaces. Datagrams from any host but the server are
counted and dropped (RFC 2326 §12.39 ``source``; an RTP port is otherwise open to
spoofed media).

Multicast (RFC 2326 §12.39 ``multicast``, ONVIF Streaming "Multicast streaming"): the
server names the group and the port pair in its SETUP answer. Both sockets are bound to
the group address and those ports with SO_REUSEADDR and SO_REUSEPORT, so several
receivers of one group (here or in other programs) each get every datagram, and join
the group on the interface of the RTSP connection (IP_ADD_MEMBERSHIP with its address;
for IPv6, IPV6_JOIN_GROUP on the kernel's choice of interface). Closing the sockets
leaves the group. Datagrams from hosts other than the server (or the ``source`` it
names) are dropped as for unicast.

Each socket is watched with ``loop.add_reader`` and, when readable, drained of up to
``BATCH`` datagrams at once, delivered together (one call for the lot). A camera sends a
picture as a burst of packets; asyncio's datagram transport would take one loop
iteration per packet, which costs more than the packet's whole processing.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

BIND_ATTEMPTS = 32
BATCH = 64
"""Datagrams read per wake-up at most, so one flooded socket cannot starve the loop."""
MAX_DATAGRAM = 65535
Deliver = Callable[[int, bool, list[bytes]], None]
"""``deliver(media_index, rtcp, datagrams)``: what one wake-up read from one socket."""


@dataclass(slots=True)
class UdpStats:
    datagrams: int = 0
    foreign: int = 0
    """Datagrams from another host than the server, dropped."""
    errors: int = 0
    """Socket errors on receive or send (an ICMP port unreachable for a report, say)."""


class _Port:
    """One bound non-blocking socket; knows its media and whether it carries RTCP."""

    def __init__(self, sock: socket.socket, media_index: int, rtcp: bool,
                 pair: UdpPair) -> None:
        self.sock = sock
        self.media_index = media_index
        self.rtcp = rtcp
        self.pair = pair
        pair.loop.add_reader(sock.fileno(), self._readable)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _readable(self) -> None:
        receive, pair, allowed = self.sock.recvfrom, self.pair, self.pair.allowed
        batch: list[bytes] = []
        for _ in range(BATCH):
            try:
                data, address = receive(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                pair.stats.errors += 1
                break
            if address[0] in allowed:
                batch.append(data)
            else:
                pair.stats.foreign += 1
        if batch:
            pair.stats.datagrams += len(batch)
            pair.deliver(self.media_index, self.rtcp, batch)

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self.pair.loop.remove_reader(self.sock.fileno())
            self.sock.close()


@dataclass(slots=True)
class UdpPair:
    """The RTP and RTCP sockets of one media; ``allowed`` holds the server's addresses."""

    media_index: int
    deliver: Deliver
    stats: UdpStats
    loop: asyncio.AbstractEventLoop
    allowed: set[str] = field(default_factory=set)
    rtp: _Port | None = None
    rtcp: _Port | None = None
    ports: tuple[int, int] = (0, 0)

    def send_rtcp(self, data: bytes, address: tuple[str, int]) -> None:
        if self.rtcp is None:
            return
        try:
            self.rtcp.sock.sendto(data, address)
        except OSError:  # a full buffer or an ICMP error: a report may be lost (RFC 3550)
            self.stats.errors += 1

    def close(self) -> None:
        for port in (self.rtp, self.rtcp):
            if port is not None:
                port.close()
        self.rtp = self.rtcp = None


def bind_pair(media_index: int, host: str, deliver: Deliver, stats: UdpStats,
              receive_buffer: int) -> UdpPair:
    """Bind an even RTP port and the odd RTCP port above it on ``host``."""
    pair = UdpPair(media_index, deliver, stats, asyncio.get_running_loop())
    for _ in range(BIND_ATTEMPTS):
        rtp = _Port(_bound(host, 0, receive_buffer), media_index, False, pair)
        port = rtp.port
        rtcp_socket = None if port % 2 else _bound_or_none(host, port + 1, receive_buffer)
        if rtcp_socket is not None:
            pair.rtp, pair.ports = rtp, (port, port + 1)
            pair.rtcp = _Port(rtcp_socket, media_index, True, pair)
            return pair
        rtp.close()
    raise OSError(f"no free even/odd UDP port pair on {host} after {BIND_ATTEMPTS} attempts")


def bind_multicast(media_index: int, group: str, ports: tuple[int, int], interface: str,
                   deliver: Deliver, stats: UdpStats, receive_buffer: int) -> UdpPair:
    """Join ``group`` on the interface with address ``interface``, RTP and RTCP ports."""
    pair = UdpPair(media_index, deliver, stats, asyncio.get_running_loop(), ports=ports)
    try:
        for rtcp, port in ((False, ports[0]), (True, ports[1])):
            sock = _bound(group, port, receive_buffer, shared=True)
            bound = _Port(sock, media_index, rtcp, pair)
            if rtcp:
                pair.rtcp = bound
            else:
                pair.rtp = bound
            _join(sock, group, interface)
    except BaseException:
        pair.close()
        raise
    return pair


def _join(sock: socket.socket, group: str, interface: str) -> None:
    if ":" in group:
        index = _interface_index(interface)
        request = socket.inet_pton(socket.AF_INET6, group) + index.to_bytes(4, "little")
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, request)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        return
    local = socket.inet_aton(interface)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(group) + local)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, local)  # our receiver reports


def _interface_index(address: str) -> int:
    """The index of the interface that holds IPv6 ``address`` (0: let the kernel choose)."""
    scope = address.partition("%")[2]
    if scope:
        return int(scope) if scope.isdigit() else socket.if_nametoindex(scope)
    return 0


def _bound(host: str, port: int, receive_buffer: int, shared: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        # Bursts (a key frame is dozens of datagrams at once) must fit while the loop is busy;
        # Linux caps this at net.core.rmem_max.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _bound_or_none(host: str, port: int, receive_buffer: int) -> socket.socket | None:
    try:
        return _bound(host, port, receive_buffer)
    except OSError:
        return None  # the odd port is taken: try another pair
