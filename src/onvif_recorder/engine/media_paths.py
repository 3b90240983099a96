"""Where one RTSP connection's media comes from and its receiver reports go.

Per media: the pair of datagram sockets (``udp``) for RTP/UDP, bound before SETUP for
unicast, joined once PLAY is answered for multicast (RFC 2326 §12.39), with the hosts
whose datagrams it accepts; and the route of its RTCP receiver reports, the interleaved
RTCP channel or the server's RTCP address. ``engine.connection`` owns one of these and
its timers; the pairs hold the connection's ``deliver``, so ``close`` drops them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from onvif_recorder.engine.udp import Deliver, UdpPair, UdpStats, bind_multicast, bind_pair
from onvif_recorder.rtsp.events import StreamSetup

RtcpRoute = int | tuple[str, int]
"""An interleaved channel, or the (host, port) of the server's RTCP socket."""


class MediaPaths:
    """See the module docstring. ``local`` and ``peer`` are the addresses of the RTSP
    connection's two ends."""

    def __init__(self, stats: UdpStats, receive_buffer: int) -> None:
        self.stats = stats
        self._receive_buffer = receive_buffer
        self._pairs: dict[int, UdpPair] = {}
        self._rtcp_routes: dict[int, RtcpRoute] = {}

    def bind(self, media_index: int, local: str, peer: str, deliver: Deliver) -> UdpPair:
        """A unicast pair for ``media_index`` on the local address, its ports for SETUP."""
        pair = bind_pair(media_index, local, deliver, self.stats, self._receive_buffer)
        pair.allowed.add(peer)  # before PLAY's answer is read, its first packets may be here
        self._pairs[media_index] = pair
        return pair

    def start(self, streams: Iterable[StreamSetup], local: str, peer: str,
              deliver: Deliver) -> None:
        """Follow PLAY's answer: join the multicast groups, accept the servers' sources,
        and route each media's receiver reports. ``OSError`` for a group we cannot join."""
        for setup in streams:
            transport, pair = setup.transport, self._pairs.get(setup.media_index)
            if transport.multicast:
                pair = self._join(setup, local, deliver)
                pair.allowed |= {transport.source or peer}
                assert transport.destination is not None and transport.port is not None
                self._rtcp_routes[setup.media_index] = (transport.destination,
                                                        transport.port[1])
            elif transport.interleaved is not None:
                self._rtcp_routes[setup.media_index] = transport.interleaved[1]
            elif pair is not None:
                pair.allowed |= {peer} | ({transport.source} if transport.source else set())
                if transport.server_port is not None:
                    host = transport.source or peer
                    self._rtcp_routes[setup.media_index] = (host, transport.server_port[1])

    def _join(self, setup: StreamSetup, local: str, deliver: Deliver) -> UdpPair:
        """Join the multicast group the server named for this media (RFC 2326 §12.39)."""
        transport = setup.transport
        assert transport.destination is not None and transport.port is not None
        pair = bind_multicast(setup.media_index, transport.destination, transport.port, local,
                              deliver, self.stats, self._receive_buffer)
        self._pairs[setup.media_index] = pair
        return pair

    def send_reports(self, report: Callable[[int, float], bytes | None], now: float,
                     send_interleaved: Callable[[int, bytes], None]) -> None:
        """Send each routed media's receiver report, if ``report`` has one for it."""
        for media_index, route in self._rtcp_routes.items():
            data = report(media_index, now)
            if data is None:
                continue
            if isinstance(route, int):
                send_interleaved(route, data)
            else:
                self._pairs[media_index].send_rtcp(data, route)

    def close(self) -> None:
        """Close every socket; nothing here points back at the connection afterwards."""
        for pair in self._pairs.values():
            pair.close()
        self._pairs.clear()
        self._rtcp_routes.clear()
