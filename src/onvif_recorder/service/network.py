"""What the host's network looks like, for Core's read-only network operations
(GetHostname, GetDNS, GetNTP, GetNetworkInterfaces, GetNetworkDefaultGateway). The
recorder never changes host networking (``NetworkConfigNotSupported``); ``hostinfo``
reads these values from the host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class InterfaceAddress:
    address: str  # dotted IPv4
    prefix_length: int


@dataclass(frozen=True, slots=True)
class NetworkInterface:
    name: str  # also the interface's token
    enabled: bool  # IFF_UP
    hw_address: str
    mtu: int | None
    ipv4: tuple[InterfaceAddress, ...]


@dataclass(frozen=True, slots=True)
class HostNetwork:
    hostname: str
    search_domains: tuple[str, ...]
    dns_servers: tuple[str, ...]  # IPv4 or IPv6 literals
    ntp_servers: tuple[str, ...]  # addresses or DNS names
    interfaces: tuple[NetworkInterface, ...]
    ipv4_gateways: tuple[str, ...]
    ipv6_gateways: tuple[str, ...]


class HostInfo(Protocol):
    """Port: implemented by ``hostinfo.LinuxHost``."""

    def network(self) -> HostNetwork: ...
