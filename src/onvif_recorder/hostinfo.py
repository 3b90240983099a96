"""Reads the host's network settings for the device service (Linux: ``/etc``, ``/proc``,
``/sys`` and two ``ioctl``s). Parsers take text so they can be tested without a host."""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from pathlib import Path

from onvif_recorder.service.network import HostNetwork, InterfaceAddress, NetworkInterface

SIOCGIFADDR = 0x8915
SIOCGIFNETMASK = 0x891B
IFF_UP = 0x1
NTP_CONFIGS = ("/etc/chrony/chrony.conf", "/etc/chrony.conf", "/etc/ntp.conf",
               "/etc/ntpsec/ntp.conf", "/etc/systemd/timesyncd.conf")


def parse_resolv_conf(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(search domains, name servers) of resolv.conf(5)."""
    domains: list[str] = []
    servers: list[str] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] == "nameserver":
            servers.append(words[1].split("%", 1)[0])
        elif words and words[0] in ("search", "domain"):
            domains = words[1:]
    return tuple(domains), tuple(servers)


def parse_ntp_config(text: str) -> tuple[str, ...]:
    """``server``/``pool``/``peer`` lines (ntpd, chrony) and ``NTP=`` (timesyncd)."""
    found: list[str] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] in ("server", "pool", "peer"):
            found.append(words[1])
        elif words and words[0].startswith("NTP="):
            found.extend([words[0][4:], *words[1:]] if words[0][4:] else words[1:])
    return tuple(s for s in dict.fromkeys(found) if s)


def parse_ipv4_routes(text: str) -> tuple[str, ...]:
    """Default gateways of /proc/net/route (destination 0, flag RTF_GATEWAY)."""
    gateways = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 4 and fields[1] == "00000000" and int(fields[3], 16) & 0x2:
            gateways.append(socket.inet_ntoa(struct.pack("<I", int(fields[2], 16))))
    return tuple(dict.fromkeys(gateways))


def parse_ipv6_routes(text: str) -> tuple[str, ...]:
    """Default gateways of /proc/net/ipv6_route (::/0 with a next hop)."""
    gateways = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0] == "0" * 32 and fields[1] == "00":
            hop = ipaddress.IPv6Address(bytes.fromhex(fields[4]))
            if not hop.is_unspecified:
                gateways.append(str(hop))
    return tuple(dict.fromkeys(gateways))


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _ioctl_ipv4(name: str, request: int) -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            answer = fcntl.ioctl(sock.fileno(), request, struct.pack("256s", name.encode()[:15]))
        except OSError:  # no IPv4 address on this interface
            return None
    return socket.inet_ntoa(answer[20:24])


def interface_ipv4(name: str) -> InterfaceAddress | None:
    address = _ioctl_ipv4(name, SIOCGIFADDR)
    mask = _ioctl_ipv4(name, SIOCGIFNETMASK)
    if address is None:
        return None
    prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask or '255.255.255.255'}").prefixlen
    return InterfaceAddress(address, prefix)


def interfaces() -> tuple[NetworkInterface, ...]:
    """Every interface but loopback, in index order."""
    found = []
    for _, name in socket.if_nameindex():
        sys_dir = Path("/sys/class/net") / name
        flags = int(_read(sys_dir / "flags").strip() or "0", 16)
        if name == "lo" or _read(sys_dir / "type").strip() == "772":  # ARPHRD_LOOPBACK
            continue
        mtu = _read(sys_dir / "mtu").strip()
        address = interface_ipv4(name)
        found.append(NetworkInterface(
            name=name,
            enabled=bool(flags & IFF_UP),
            hw_address=_read(sys_dir / "address").strip() or "00:00:00:00:00:00",
            mtu=int(mtu) if mtu.isdigit() else None,
            ipv4=(address,) if address else (),
        ))
    return tuple(found)


class LinuxHost:
    """Implements ``service.network.HostInfo``; read afresh on every call."""

    def network(self) -> HostNetwork:
        domains, servers = parse_resolv_conf(_read("/etc/resolv.conf"))
        ntp: tuple[str, ...] = ()
        for path in NTP_CONFIGS:
            ntp = ntp or parse_ntp_config(_read(path))
        return HostNetwork(
            hostname=socket.gethostname(),
            search_domains=domains,
            dns_servers=servers,
            ntp_servers=ntp,
            interfaces=interfaces(),
            ipv4_gateways=parse_ipv4_routes(_read("/proc/net/route")),
            ipv6_gateways=parse_ipv6_routes(_read("/proc/net/ipv6_route")),
        )
