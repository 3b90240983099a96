"""Device service operations of Core 25.12 "System" and "Network" and the discovery
parameters: scopes, discovery mode, SetSystemDateAndTime, reboot, factory default,
system log and support information, and the host's network, read only."""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml import etree

from onvif_recorder.domain.device import DiscoveryMode
from onvif_recorder.service.device import DeviceService
from onvif_recorder.service.system import FactoryDefault, SystemLogType, SystemService
from onvif_recorder.soap.dispatch import CallContext, Operation
from onvif_recorder.soap.mapping.device import (
    read_date_time_request,
    write_scope,
    write_text_attachment,
)
from onvif_recorder.soap.mapping.network import (
    write_dns,
    write_gateway,
    write_hostname,
    write_interface,
    write_ntp,
    write_protocols,
)
from onvif_recorder.soap.mapping.primitives import Reader, sub
from onvif_recorder.soap.namespaces import TDS, TT, qname
from onvif_recorder.soap.security.access import AccessClass


def _tds(name: str) -> str:
    return qname(TDS, name)


def _response(name: str) -> etree._Element:
    return etree.Element(_tds(name), nsmap={"tds": TDS, "tt": TT})


def _items(request: etree._Element, name: str) -> list[str]:
    return [r.value for r in Reader(request).children(name)]


class SystemHandlers:
    def __init__(self, device: DeviceService, system: SystemService) -> None:
        self.device = device
        self.system = system

    # -------------------------------------------------------------- discovery

    def get_scopes(self, _: CallContext, __: etree._Element) -> etree._Element:
        scopes = self.device.scopes()
        response = _response("GetScopesResponse")
        for item in scopes.fixed:
            write_scope(response, item, fixed=True)
        for item in scopes.configurable:
            write_scope(response, item, fixed=False)
        return response

    def set_scopes(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.device.set_scopes(_items(request, "Scopes"))
        return _response("SetScopesResponse")

    def add_scopes(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.device.add_scopes(_items(request, "ScopeItem"))
        return _response("AddScopesResponse")

    def remove_scopes(self, _: CallContext, request: etree._Element) -> etree._Element:
        removed = self.device.remove_scopes(_items(request, "ScopeItem"))
        response = _response("RemoveScopesResponse")
        for item in removed:
            sub(response, _tds("ScopeItem"), item)
        return response

    def get_discovery_mode(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetDiscoveryModeResponse")
        sub(response, _tds("DiscoveryMode"), self.device.discovery_mode().value)
        return response

    def set_discovery_mode(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.device.set_discovery_mode(Reader(request).enum("DiscoveryMode", DiscoveryMode))
        return _response("SetDiscoveryModeResponse")

    def get_endpoint_reference(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetEndpointReferenceResponse")
        sub(response, _tds("GUID"), self.device.config.identity.endpoint_reference)
        return response

    # ----------------------------------------------------------------- system

    def set_system_date_and_time(
        self, _: CallContext, request: etree._Element
    ) -> etree._Element:
        self.device.set_system_date_and_time(read_date_time_request(Reader(request)))
        return _response("SetSystemDateAndTimeResponse")

    def system_reboot(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("SystemRebootResponse")
        sub(response, _tds("Message"), self.system.reboot())
        return response

    def set_system_factory_default(
        self, _: CallContext, request: etree._Element
    ) -> etree._Element:
        self.system.factory_default(Reader(request).enum("FactoryDefault", FactoryDefault))
        return _response("SetSystemFactoryDefaultResponse")

    def get_system_log(self, _: CallContext, request: etree._Element) -> etree._Element:
        text = self.system.system_log(Reader(request).enum("LogType", SystemLogType))
        response = _response("GetSystemLogResponse")
        write_text_attachment(response, "SystemLog", text)
        return response

    def get_system_support_information(
        self, _: CallContext, __: etree._Element
    ) -> etree._Element:
        response = _response("GetSystemSupportInformationResponse")
        write_text_attachment(response, "SupportInformation", self.system.support_information())
        return response

    # ---------------------------------------------------------------- network

    def get_hostname(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetHostnameResponse")
        write_hostname(response, self.device.host_network())
        return response

    def get_dns(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetDNSResponse")
        write_dns(response, self.device.host_network())
        return response

    def get_ntp(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetNTPResponse")
        write_ntp(response, self.device.host_network())
        return response

    def get_network_interfaces(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetNetworkInterfacesResponse")
        for interface in self.device.host_network().interfaces:
            write_interface(response, interface)
        return response

    def get_network_protocols(self, ctx: CallContext, _: etree._Element) -> etree._Element:
        """The port this very request came to."""
        response = _response("GetNetworkProtocolsResponse")
        write_protocols(response, urlsplit(ctx.base_url).port or 80)
        return response

    def get_network_default_gateway(
        self, _: CallContext, __: etree._Element
    ) -> etree._Element:
        response = _response("GetNetworkDefaultGatewayResponse")
        write_gateway(response, self.device.host_network())
        return response


def system_operations(h: SystemHandlers) -> list[Operation]:
    """Access classes as Core 25.12 states them for each operation."""
    read, write = AccessClass.READ_SYSTEM, AccessClass.WRITE_SYSTEM
    secret, unrecoverable = AccessClass.READ_SYSTEM_SECRET, AccessClass.UNRECOVERABLE
    return [
        Operation("GetScopes", read, h.get_scopes),
        Operation("SetScopes", write, h.set_scopes),
        Operation("AddScopes", write, h.add_scopes),
        Operation("RemoveScopes", write, h.remove_scopes),
        Operation("GetDiscoveryMode", read, h.get_discovery_mode),
        Operation("SetDiscoveryMode", write, h.set_discovery_mode),
        Operation("GetEndpointReference", AccessClass.PRE_AUTH, h.get_endpoint_reference),
        Operation("SetSystemDateAndTime", write, h.set_system_date_and_time),
        Operation("SystemReboot", unrecoverable, h.system_reboot),
        Operation("SetSystemFactoryDefault", unrecoverable, h.set_system_factory_default),
        Operation("GetSystemLog", secret, h.get_system_log),
        Operation("GetSystemSupportInformation", secret, h.get_system_support_information),
        Operation("GetHostname", AccessClass.PRE_AUTH, h.get_hostname),
        Operation("GetDNS", read, h.get_dns),
        Operation("GetNTP", read, h.get_ntp),
        Operation("GetNetworkInterfaces", read, h.get_network_interfaces),
        Operation("GetNetworkProtocols", read, h.get_network_protocols),
        Operation("GetNetworkDefaultGateway", read, h.get_network_default_gateway),
    ]
