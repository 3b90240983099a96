"""WS-Discovery over UDP (Core "Device discovery"): the asyncio shell around
``discovery.target``. One socket on port 3702, shared with other discovery tools on the
host (SO_REUSEADDR and SO_REUSEPORT), member of 239.255.255.250 on every interface the
recorder serves; IP_PKTINFO tells multicast requests from unicast ones and the interface
a request came in on, whose address is listed first in XAddrs.

Hello after start and after every scope change, Bye at stop, answers to Probe and
Resolve; nothing at all while the device is NonDiscoverable (Core "Modes of operation").
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import random
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from onvif_recorder import hostinfo
from onvif_recorder.discovery.messages import Announcement
from onvif_recorder.discovery.target import APP_MAX_DELAY, DiscoveryTarget
from onvif_recorder.domain.device import DeviceConfig, DiscoveryMode
from onvif_recorder.service.device import DeviceService
from onvif_recorder.service.system import SystemService

log = logging.getLogger(__name__)
GROUP = "239.255.255.250"
PORT = 3702
IP_PKTINFO = 8  # Linux <netinet/in.h>; the socket module lacks the name
HELLO_DELAY = 0.5  # after start: the HTTP site listens by then
BATCH = 16
ADDRESS_TTL = 5.0  # seconds an interface enumeration is reused for XAddrs
# Answers waiting for their random delay: beyond this a Probe flood is dropped (and
# counted) instead of growing timers; a spoofed flood cannot be amplified without bound.
MAX_PENDING = 64
TDS = "http://www.onvif.org/ver10/device/wsdl"
DN = "http://www.onvif.org/ver10/network/wsdl"
# tds:Device is what Core requires; dn:NetworkVideoTransmitter is the ONVIF 1.x device
# type that clients still probe for (ONVIF Device Manager, the Base Device Test examples).
TYPES = ((DN, "NetworkVideoTransmitter"), (TDS, "Device"))


def serving_addresses(listen_host: str) -> list[tuple[str, str]]:
    """(interface, IPv4 address) the device service is reachable at: every interface
    that is up when listening on 0.0.0.0, else the one holding the listen address."""
    found = [(i.name, a.address) for i in hostinfo.interfaces() if i.enabled for a in i.ipv4]
    if listen_host in ("", "0.0.0.0"):
        return found or [("lo", "127.0.0.1")]
    named = [(name, address) for name, address in found if address == listen_host]
    return named or [("lo", listen_host)]


def open_socket(addresses: list[tuple[str, str]]) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.bind(("0.0.0.0", PORT))
        for name, address in addresses:
            membership = socket.inet_aton(GROUP) + socket.inet_aton(address)
            try:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            except OSError as error:  # an interface without multicast (lo, say)
                log.info("WS-Discovery: not listening for multicast on %s: %s", name, error)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _destination(ancillary: list[tuple[int, int, bytes]]) -> tuple[int, str | None]:
    """(interface index, destination address) from IP_PKTINFO (struct in_pktinfo)."""
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= 12:
            index = struct.unpack("i", data[:4])[0]
            return index, socket.inet_ntoa(data[8:12])
    return 0, None


class DiscoveryService:
    def __init__(self, device: DeviceService, listen_host: str, port: int) -> None:
        self.device = device
        self.listen_host = listen_host
        self.port = port
        self.target = DiscoveryTarget(instance_id=device.next_instance_id(time.time()))
        self.addresses = serving_addresses(listen_host)
        self._addresses_at = time.monotonic()
        self._pending = 0
        self.sock = open_socket(self.addresses)
        self.loop = asyncio.get_running_loop()
        self._mode = device.config.discovery_mode
        self._version = device.config.metadata_version
        self.loop.add_reader(self.sock.fileno(), self._readable)
        device.observe(self._changed)

    @property
    def discoverable(self) -> bool:
        return self.device.config.discovery_mode is DiscoveryMode.DISCOVERABLE

    def announcement(self, first: str | None = None) -> Announcement:
        if time.monotonic() - self._addresses_at > ADDRESS_TTL:
            self.addresses = serving_addresses(self.listen_host)
            self._addresses_at = time.monotonic()
        ordered = sorted({a for _, a in self.addresses}, key=lambda a: a != first)
        xaddrs = tuple(f"http://{_host(a)}:{self.port}/onvif/device_service" for a in ordered)
        config = self.device.config
        return Announcement(config.identity.endpoint_reference, TYPES,
                            self.device.scopes().all, xaddrs, config.metadata_version)

    def hello(self) -> None:
        if self.discoverable:
            self._multicast(self.target.hello(self.announcement()))

    def bye(self) -> None:
        if self.discoverable:
            self._multicast(self.target.bye(self.announcement()))

    def _multicast(self, data: bytes) -> None:
        """Out of every interface served, so each link hears it once."""
        for name, address in self.addresses:
            try:
                interface = socket.inet_aton(address)
                self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, interface)
                self.sock.sendto(data, (GROUP, PORT))
            except OSError as error:
                log.debug("WS-Discovery: cannot multicast on %s: %s", name, error)

    def _changed(self, config: DeviceConfig) -> None:
        """Core DISCOVERY-1-1-11: a Hello with the new scopes after each change."""
        mode_changed = config.discovery_mode is not self._mode
        version_changed = config.metadata_version != self._version
        self._mode, self._version = config.discovery_mode, config.metadata_version
        if mode_changed or version_changed:
            self.hello()

    def _readable(self) -> None:
        for _ in range(BATCH):
            try:
                data, ancillary, _, sender = self.sock.recvmsg(65_535, 256)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                log.debug("WS-Discovery: receive failed: %s", error)
                return
            self._datagram(data, ancillary, sender)

    def _datagram(self, data: bytes, ancillary: list[tuple[int, int, bytes]],
                  sender: tuple[str, int]) -> None:
        if not self.discoverable:
            self.target.counters["ignored_non_discoverable"] += 1
            return
        index, destination = _destination(ancillary)
        multicast = destination is not None and ipaddress.IPv4Address(destination).is_multicast
        first = next((a for n, a in self.addresses if _index(n) == index), destination)
        reply = self.target.answer(data, self.announcement(first), multicast)
        if reply is None:
            return
        if self._pending >= MAX_PENDING:
            self.target.counters["dropped_busy"] += 1
            return
        self._pending += 1
        delay = random.uniform(0, APP_MAX_DELAY) if reply.delayed else 0.0
        self.loop.call_later(delay, self._send, reply.data, sender)

    def _send(self, data: bytes, destination: tuple[str, int]) -> None:
        self._pending -= 1
        with contextlib.suppress(OSError):
            self.sock.sendto(data, destination)

    def facts(self) -> str:
        """For GetSystemSupportInformation: what discovery answered and dropped."""
        counters = ", ".join(f"{k} {v}" for k, v in sorted(self.target.counters.items()))
        return f"WS-Discovery: {counters or 'nothing received'}"

    def close(self) -> None:
        self.loop.remove_reader(self.sock.fileno())
        self.sock.close()


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _index(name: str) -> int:
    try:
        return socket.if_nametoindex(name)
    except OSError:
        return -1


def discovery_context(
    device: DeviceService, system: SystemService, listen_host: str, port: int
) -> Callable[[web.Application], AsyncIterator[None]]:
    """aiohttp cleanup context: Hello once the site listens, Bye before it stops."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        service = DiscoveryService(device, listen_host, port)
        system.add_facts(service.facts)
        greeting = service.loop.call_later(HELLO_DELAY, service.hello)
        log.info("WS-Discovery on %s, endpoint %s", ", ".join(a for _, a in service.addresses),
                 device.config.identity.endpoint_reference)
        yield
        greeting.cancel()
        service.bye()
        service.close()

    return run
