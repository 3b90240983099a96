"""Device management service endpoint (tds): capability exchange, system, users and
storage configuration (ONVIF Core 25.12, "Device management")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from onvif_recorder.domain import errors
from onvif_recorder.domain.errors import InvalidArgVal
from onvif_recorder.service.capabilities import (
    event_capabilities,
    receiver_capabilities,
    recording_capabilities,
    search_capabilities,
)
from onvif_recorder.service.device import DeviceService
from onvif_recorder.service.device_capabilities import ONVIF_VERSION, DeviceCapabilities
from onvif_recorder.service.keystore import KeystoreCapabilities
from onvif_recorder.service.replay import replay_capabilities
from onvif_recorder.service.schedules import ScheduleCapabilities
from onvif_recorder.service.storage import StorageService
from onvif_recorder.service.users import UserService
from onvif_recorder.settings import RecorderSettings
from onvif_recorder.soap.dispatch import CallContext, Operation, ServiceEndpoint
from onvif_recorder.soap.mapping.capabilities import (
    write_event_capabilities,
    write_receiver_capabilities,
    write_recording_capabilities,
)
from onvif_recorder.soap.mapping.device import (
    read_user,
    write_device_capabilities,
    write_device_information,
    write_legacy_device,
    write_legacy_events,
    write_legacy_receiver,
    write_legacy_recording,
    write_system_date_and_time,
    write_user,
    write_version,
)
from onvif_recorder.soap.mapping.keystore import write_capabilities as write_keystore_capabilities
from onvif_recorder.soap.mapping.primitives import Reader, sub
from onvif_recorder.soap.mapping.replay import write_capabilities as write_replay_capabilities
from onvif_recorder.soap.mapping.replay import write_legacy_replay
from onvif_recorder.soap.mapping.schedule import write_capabilities as write_schedule_capabilities
from onvif_recorder.soap.mapping.search import write_legacy_search, write_search_capabilities
from onvif_recorder.soap.mapping.storage import (
    read_storage_configuration,
    read_storage_data,
    write_storage_configuration,
)
from onvif_recorder.soap.namespaces import TAS, TDS, TEV, TRC, TRP, TRV, TSC, TSE, TT, qname
from onvif_recorder.soap.operations.device_system import SystemHandlers, system_operations
from onvif_recorder.soap.security.access import AccessClass

PATH = "/onvif/device_service"
# Every other operation of devicemgmt.wsdl 25.12: ActionNotSupported, not UnknownAction.
# The Set* network operations among them: the host's network is not the recorder's to
# change (NetworkConfigNotSupported).
DECLARED = (
    "UpgradeSystemFirmware",
    "RestoreSystem",
    "GetSystemBackup",
    "GetRemoteDiscoveryMode",
    "SetRemoteDiscoveryMode",
    "GetDPAddresses",
    "SetDPAddresses",
    "GetUserRoles",
    "SetUserRole",
    "DeleteUserRole",
    "GetRemoteUser",
    "SetRemoteUser",
    "GetPasswordComplexityOptions",
    "GetPasswordComplexityConfiguration",
    "SetPasswordComplexityConfiguration",
    "GetPasswordHistoryConfiguration",
    "SetPasswordHistoryConfiguration",
    "GetAuthFailureWarningOptions",
    "GetAuthFailureWarningConfiguration",
    "SetAuthFailureWarningConfiguration",
    "SetHostname",
    "SetHostnameFromDHCP",
    "SetDNS",
    "SetNTP",
    "GetDynamicDNS",
    "SetDynamicDNS",
    "SetNetworkInterfaces",
    "SetNetworkProtocols",
    "SetNetworkDefaultGateway",
    "GetZeroConfiguration",
    "SetZeroConfiguration",
    "GetIPAddressFilter",
    "SetIPAddressFilter",
    "AddIPAddressFilter",
    "RemoveIPAddressFilter",
    "GetAccessPolicy",
    "SetAccessPolicy",
    "GetRelayOutputs",
    "SetRelayOutputSettings",
    "SetRelayOutputState",
    "SendAuxiliaryCommand",
    "GetDot11Capabilities",
    "GetDot11Status",
    "ScanAvailableDot11Networks",
    "GetSystemUris",
    "StartFirmwareUpgrade",
    "UpgradeFirmware",
    "StartSystemRestore",
    "GetGeoLocation",
    "SetGeoLocation",
    "DeleteGeoLocation",
    "SetHashingAlgorithm",
    "CreateCertificate",
    "GetCertificates",
    "GetCertificatesStatus",
    "SetCertificatesStatus",
    "DeleteCertificates",
    "GetPkcs10Request",
    "LoadCertificates",
    "GetClientCertificateMode",
    "SetClientCertificateMode",
    "GetCACertificates",
    "LoadCertificateWithPrivateKey",
    "GetCertificateInformation",
    "LoadCACertificates",
    "CreateDot1XConfiguration",
    "SetDot1XConfiguration",
    "GetDot1XConfiguration",
    "GetDot1XConfigurations",
    "DeleteDot1XConfiguration",
)

# tt:CapabilityCategory, and the children of tt:Capabilities / tt:CapabilitiesExtension
# in schema order (onvif.xsd): legacy entries are written in this order.
CATEGORIES = ("All", "Analytics", "Device", "Events", "Imaging", "Media", "PTZ")
EXTENSION_ORDER = (
    "DeviceIO",
    "Display",
    "Recording",
    "Search",
    "Replay",
    "Receiver",
    "AnalyticsDevice",
)


Writer = Callable[[etree._Element], etree._Element]
LegacyWriter = Callable[[etree._Element, str], None]  # (parent, XAddr)


@dataclass(frozen=True, slots=True)
class Legacy:
    """The service's entry in GetCapabilities: a tt:Capabilities child named after a
    tt:CapabilityCategory, or else a tt:CapabilitiesExtension child."""

    name: str
    write: LegacyWriter


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    """One tds:Service of GetServices. ``capabilities`` writes the very element the
    service's own GetServiceCapabilities returns (RECORDING-1-1-3, RECEIVER-1-1-2)."""

    namespace: str
    path: str
    capabilities: Writer
    legacy: Legacy | None = None
    version: tuple[int, int] = ONVIF_VERSION


def service_table(settings: RecorderSettings, device: DeviceCapabilities) -> list[ServiceEntry]:
    recording = recording_capabilities(settings)
    receiver = receiver_capabilities(settings)
    events = event_capabilities(settings)
    search = search_capabilities(settings)
    string_length = settings.limits.descriptive_max_length
    return [
        ServiceEntry(
            TDS,
            PATH,
            lambda p: write_device_capabilities(p, device),
            Legacy("Device", lambda p, x: write_legacy_device(p, x, device)),
        ),
        ServiceEntry(
            TRC,
            "/onvif/recording_service",
            lambda p: write_recording_capabilities(p, recording),
            Legacy(
                "Recording", lambda p, x: write_legacy_recording(p, x, recording, string_length)
            ),
        ),
        ServiceEntry(
            TRV,
            "/onvif/receiver_service",
            lambda p: write_receiver_capabilities(p, receiver),
            Legacy("Receiver", lambda p, x: write_legacy_receiver(p, x, receiver)),
        ),
        ServiceEntry(
            TEV,
            "/onvif/event_service",
            lambda p: write_event_capabilities(p, events),
            Legacy("Events", lambda p, x: write_legacy_events(p, x, events)),
        ),
        # Schedule (Sched §5.1): no GetCapabilities category exists for it.
        ServiceEntry(TSC, "/onvif/schedule_service",
                     lambda p: write_schedule_capabilities(p, ScheduleCapabilities())),
        ServiceEntry(
            TSE,
            "/onvif/search_service",
            lambda p: write_search_capabilities(p, search),
            Legacy("Search", lambda p, x: write_legacy_search(p, x, search)),
        ),
        ServiceEntry(TRP, "/onvif/replay_service",
                     lambda p: write_replay_capabilities(p, replay_capabilities()),
                     Legacy("Replay", write_legacy_replay)),
        # Advanced Security, keystore subset (ASec §5.2.6): CertificateID for RC B.8.2.
        ServiceEntry(TAS, "/onvif/advancedsecurity_service",
                     lambda p: write_keystore_capabilities(p, KeystoreCapabilities())),
    ]


def _tds(name: str) -> str:
    return qname(TDS, name)


def _response(name: str) -> etree._Element:
    return etree.Element(_tds(name), nsmap={"tds": TDS, "tt": TT})


def _required(request: etree._Element, name: str) -> etree._Element:
    return Reader(request).required(name).element


class DeviceHandlers:
    def __init__(
        self,
        settings: RecorderSettings,
        device: DeviceService,
        users: UserService,
        storage: StorageService,
    ) -> None:
        self.device = device
        self.users = users
        self.storage = storage
        self.capabilities = device.capabilities()
        self.services = service_table(settings, self.capabilities)

    def get_services(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        include = Reader(request).boolean("IncludeCapability") or False
        response = _response("GetServicesResponse")
        for entry in self.services:
            service = sub(response, _tds("Service"))
            sub(service, _tds("Namespace"), entry.namespace)
            sub(service, _tds("XAddr"), ctx.base_url + entry.path)
            if include:
                entry.capabilities(sub(service, _tds("Capabilities")))
            write_version(service, _tds("Version"), entry.version)
        return response

    def get_service_capabilities(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetServiceCapabilitiesResponse")
        write_device_capabilities(response, self.capabilities)
        return response

    def get_capabilities(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        wanted = self._categories(request)
        everything = "All" in wanted
        legacy = {
            e.legacy.name: (e.legacy.write, ctx.base_url + e.path)
            for e in self.services
            if e.legacy
        }
        response = _response("GetCapabilitiesResponse")
        capabilities = sub(response, _tds("Capabilities"))
        for name in CATEGORIES:
            if name in legacy and (everything or name in wanted):
                write, xaddr = legacy[name]
                write(capabilities, xaddr)
        if everything:
            extension = sub(capabilities, qname(TT, "Extension"))
            for name in EXTENSION_ORDER:
                if name in legacy:
                    write, xaddr = legacy[name]
                    write(extension, xaddr)
        return response

    def _categories(self, request: etree._Element) -> set[str]:
        """Core GetCapabilities: no Category means all of them."""
        wanted = {c.value.strip() for c in Reader(request).children("Category")} or {"All"}
        invalid = wanted - set(CATEGORIES)
        if invalid:
            raise InvalidArgVal(f"{sorted(invalid)} is not a tt:CapabilityCategory")
        offered = {e.legacy.name for e in self.services if e.legacy} | {"All"}
        if wanted - offered:
            raise errors.NoSuchService(f"the device has no {sorted(wanted - offered)} service")
        return wanted

    def get_wsdl_url(self, _: CallContext, __: etree._Element) -> etree._Element:
        """Core GetWsdlUrl (deprecated since 20.12, still in Profile G's list): this device
        uses the official WSDLs unchanged, so it points at ONVIF's own."""
        response = _response("GetWsdlUrlResponse")
        sub(response, _tds("WsdlUrl"), "https://www.onvif.org/profiles/specifications/")
        return response

    def get_device_information(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetDeviceInformationResponse")
        write_device_information(response, self.device.device_information())
        return response

    def get_system_date_and_time(self, ctx: CallContext, _: etree._Element) -> etree._Element:
        response = _response("GetSystemDateAndTimeResponse")
        write_system_date_and_time(response, self.device.system_date_and_time(ctx.now))
        return response

    def get_users(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetUsersResponse")
        for user in self.users.users():
            write_user(response, user)
        return response

    def create_users(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.users.create_users([read_user(r) for r in Reader(request).children("User")])
        return _response("CreateUsersResponse")

    def delete_users(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.users.delete_users([r.value for r in Reader(request).children("Username")])
        return _response("DeleteUsersResponse")

    def set_user(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.users.set_users([read_user(r) for r in Reader(request).children("User")])
        return _response("SetUserResponse")

    def get_storage_configurations(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetStorageConfigurationsResponse")
        for configuration in self.storage.storage_configurations():
            write_storage_configuration(response, _tds("StorageConfigurations"), configuration)
        return response

    def create_storage_configuration(
        self, _: CallContext, request: etree._Element
    ) -> etree._Element:
        data = read_storage_data(_required(request, "StorageConfiguration"), InvalidArgVal)
        configuration = self.storage.create(data)
        response = _response("CreateStorageConfigurationResponse")
        sub(response, _tds("Token"), configuration.token)
        return response

    def get_storage_configuration(self, _: CallContext, request: etree._Element) -> etree._Element:
        configuration = self.storage.storage_configuration(Reader(request).token("Token"))
        response = _response("GetStorageConfigurationResponse")
        write_storage_configuration(response, _tds("StorageConfiguration"), configuration)
        return response

    def set_storage_configuration(self, _: CallContext, request: etree._Element) -> etree._Element:
        element = _required(request, "StorageConfiguration")
        self.storage.storage_configuration(element.get("token", ""))  # NoConfig first
        self.storage.set(read_storage_configuration(element, errors.ConfigModify))
        return _response("SetStorageConfigurationResponse")

    def delete_storage_configuration(
        self, _: CallContext, request: etree._Element
    ) -> etree._Element:
        self.storage.delete(Reader(request).token("Token"))
        return _response("DeleteStorageConfigurationResponse")


def device_endpoint(handlers: DeviceHandlers, system: SystemHandlers) -> ServiceEndpoint:
    """Access classes as Core 25.12 states them for each operation."""
    h = handlers
    operations = [
        Operation("GetServices", AccessClass.PRE_AUTH, h.get_services),
        Operation("GetServiceCapabilities", AccessClass.PRE_AUTH, h.get_service_capabilities),
        Operation("GetCapabilities", AccessClass.PRE_AUTH, h.get_capabilities),
        Operation("GetWsdlUrl", AccessClass.PRE_AUTH, h.get_wsdl_url),
        Operation("GetDeviceInformation", AccessClass.READ_SYSTEM, h.get_device_information),
        Operation("GetSystemDateAndTime", AccessClass.PRE_AUTH, h.get_system_date_and_time),
        Operation("GetUsers", AccessClass.READ_SYSTEM_SECRET, h.get_users),
        Operation("CreateUsers", AccessClass.WRITE_SYSTEM, h.create_users),
        Operation("DeleteUsers", AccessClass.WRITE_SYSTEM, h.delete_users),
        Operation("SetUser", AccessClass.WRITE_SYSTEM, h.set_user),
        Operation("GetStorageConfigurations", AccessClass.READ_MEDIA, h.get_storage_configurations),
        Operation(
            "CreateStorageConfiguration", AccessClass.ACTUATE, h.create_storage_configuration
        ),
        Operation("GetStorageConfiguration", AccessClass.READ_MEDIA, h.get_storage_configuration),
        Operation("SetStorageConfiguration", AccessClass.ACTUATE, h.set_storage_configuration),
        Operation(
            "DeleteStorageConfiguration", AccessClass.ACTUATE, h.delete_storage_configuration
        ),
        *system_operations(system),
    ]
    return ServiceEndpoint.build(PATH, TDS, operations, DECLARED)
