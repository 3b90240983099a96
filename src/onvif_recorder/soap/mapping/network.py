"""Core's network information as the host has it (tt:HostnameInformation,
tt:DNSInformation, tt:NTPInformation, tt:NetworkInterface, tt:NetworkProtocol,
tt:NetworkGateway). Every value is reported as manual: the recorder cannot tell what
the host learnt by DHCP, and configures none of it (NetworkConfigNotSupported)."""

from __future__ import annotations

import ipaddress

from lxml import etree

from onvif_recorder.service.network import HostNetwork, NetworkInterface
from onvif_recorder.soap.mapping.primitives import sub, xs_boolean
from onvif_recorder.soap.namespaces import TDS, TT, qname


def _tds(name: str) -> str:
    return qname(TDS, name)


def _tt(name: str) -> str:
    return qname(TT, name)


def _ip_version(text: str) -> int | None:
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def write_hostname(response: etree._Element, network: HostNetwork) -> None:
    element = sub(response, _tds("HostnameInformation"))
    sub(element, _tt("FromDHCP"), xs_boolean(False))
    sub(element, _tt("Name"), network.hostname)


def _ip_address(parent: etree._Element, tag: str, text: str) -> None:
    """tt:IPAddress; addresses of neither version are left out."""
    version = _ip_version(text)
    if version is None:
        return
    element = sub(parent, tag)
    sub(element, _tt("Type"), f"IPv{version}")
    sub(element, _tt(f"IPv{version}Address"), text)


def write_dns(response: etree._Element, network: HostNetwork) -> None:
    element = sub(response, _tds("DNSInformation"))
    sub(element, _tt("FromDHCP"), xs_boolean(False))
    for domain in network.search_domains:
        sub(element, _tt("SearchDomain"), domain)
    for server in network.dns_servers:
        _ip_address(element, _tt("DNSManual"), server)


def write_ntp(response: etree._Element, network: HostNetwork) -> None:
    element = sub(response, _tds("NTPInformation"))
    sub(element, _tt("FromDHCP"), xs_boolean(False))
    for server in network.ntp_servers:
        host = sub(element, _tt("NTPManual"))
        version = _ip_version(server)
        if version is None:
            sub(host, _tt("Type"), "DNS")
            sub(host, _tt("DNSname"), server)
        else:
            sub(host, _tt("Type"), f"IPv{version}")
            sub(host, _tt(f"IPv{version}Address"), server)


def write_interface(response: etree._Element, interface: NetworkInterface) -> None:
    element = sub(response, _tds("NetworkInterfaces"))
    element.set("token", interface.name)
    sub(element, _tt("Enabled"), xs_boolean(interface.enabled))
    info = sub(element, _tt("Info"))
    sub(info, _tt("Name"), interface.name)
    sub(info, _tt("HwAddress"), interface.hw_address)
    if interface.mtu is not None:
        sub(info, _tt("MTU"), str(interface.mtu))
    ipv4 = sub(element, _tt("IPv4"))
    sub(ipv4, _tt("Enabled"), xs_boolean(bool(interface.ipv4)))
    config = sub(ipv4, _tt("Config"))
    for address in interface.ipv4:
        manual = sub(config, _tt("Manual"))
        sub(manual, _tt("Address"), address.address)
        sub(manual, _tt("PrefixLength"), str(address.prefix_length))
    sub(config, _tt("DHCP"), xs_boolean(False))


def write_protocols(response: etree._Element, http_port: int) -> None:
    """The SOAP endpoint's HTTP port; no HTTPS, and no RTSP server (a recorder)."""
    for name, enabled, port in (("HTTP", True, http_port), ("HTTPS", False, 443),
                                ("RTSP", False, 554)):
        element = sub(response, _tds("NetworkProtocols"))
        sub(element, _tt("Name"), name)
        sub(element, _tt("Enabled"), xs_boolean(enabled))
        sub(element, _tt("Port"), str(port))


def write_gateway(response: etree._Element, network: HostNetwork) -> None:
    element = sub(response, _tds("NetworkGateway"))
    for address in network.ipv4_gateways:
        sub(element, _tt("IPv4Address"), address)
    for address in network.ipv6_gateways:
        sub(element, _tt("IPv6Address"), address)
