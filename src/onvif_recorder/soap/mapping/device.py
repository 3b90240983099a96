"""Device service XML: tds:DeviceServiceCapabilities, the legacy tt:Capabilities parts,
device information, tt:SystemDateTime and tt:User (devicemgmt.wsdl, onvif.xsd)."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from onvif_recorder.domain.errors import InvalidDateTime
from onvif_recorder.domain.users import User, UserLevel
from onvif_recorder.service.capabilities import (
    EventCapabilities,
    ReceiverCapabilities,
    RecordingCapabilities,
)
from onvif_recorder.service.device import (
    DateTimeRequest,
    DateTimeType,
    DeviceInformation,
    SystemDateAndTime,
)
from onvif_recorder.service.device_capabilities import (
    DeviceCapabilities,
    NetworkCapabilities,
    SecurityCapabilities,
    SystemCapabilities,
)
from onvif_recorder.soap.mapping.primitives import Reader, sub, xs_boolean
from onvif_recorder.soap.namespaces import TDS, TT, qname


def _tds(name: str) -> str:
    return qname(TDS, name)


def _tt(name: str) -> str:
    return qname(TT, name)


def _set_attributes(element: etree._Element, values: dict[str, bool | int | str]) -> None:
    for name, value in values.items():
        element.set(name, xs_boolean(value) if isinstance(value, bool) else str(value))


def _network_attributes(n: NetworkCapabilities) -> dict[str, bool | int | str]:
    return {
        "IPFilter": n.ip_filter,
        "ZeroConfiguration": n.zero_configuration,
        "IPVersion6": n.ip_version6,
        "DynDNS": n.dyn_dns,
        "Dot11Configuration": n.dot11_configuration,
        "HostnameFromDHCP": n.hostname_from_dhcp,
        "NTP": n.ntp,
    }


def _security_attributes(s: SecurityCapabilities) -> dict[str, bool | int | str]:
    return {
        "TLS1.0": s.tls1_0,
        "TLS1.1": s.tls1_1,
        "TLS1.2": s.tls1_2,
        "OnboardKeyGeneration": s.onboard_key_generation,
        "AccessPolicyConfig": s.access_policy_config,
        "DefaultAccessPolicy": s.default_access_policy,
        "Dot1X": s.dot1x,
        "RemoteUserHandling": s.remote_user_handling,
        "X.509Token": s.x509_token,
        "SAMLToken": s.saml_token,
        "KerberosToken": s.kerberos_token,
        "UsernameToken": s.username_token,
        "HttpDigest": s.http_digest,
        "RELToken": s.rel_token,
        "JsonWebToken": s.json_web_token,
        "MaxUsers": s.max_users,
        "MaxUserNameLength": s.max_username_length,
        "MaxPasswordLength": s.max_password_length,
        "HashingAlgorithms": " ".join(s.hashing_algorithms),
    }


def _system_attributes(s: SystemCapabilities) -> dict[str, bool | int | str]:
    return {
        "DiscoveryResolve": s.discovery_resolve,
        "DiscoveryBye": s.discovery_bye,
        "RemoteDiscovery": s.remote_discovery,
        "SystemBackup": s.system_backup,
        "SystemLogging": s.system_logging,
        "FirmwareUpgrade": s.firmware_upgrade,
        "HttpFirmwareUpgrade": s.http_firmware_upgrade,
        "HttpSystemBackup": s.http_system_backup,
        "HttpSystemLogging": s.http_system_logging,
        "HttpSupportInformation": s.http_support_information,
        "StorageConfiguration": s.storage_configuration,
        "MaxStorageConfigurations": s.max_storage_configurations,
        "StorageConfigurationRenewal": s.storage_configuration_renewal,
        "StorageTypesSupported": " ".join(s.storage_types_supported),
        "DiscoveryNotSupported": s.discovery_not_supported,
        "NetworkConfigNotSupported": s.network_config_not_supported,
        "UserConfigNotSupported": s.user_config_not_supported,
    }


def write_device_capabilities(parent: etree._Element, caps: DeviceCapabilities) -> etree._Element:
    """tds:Capabilities, for GetServiceCapabilities and GetServices alike."""
    element = sub(parent, _tds("Capabilities"))
    _set_attributes(sub(element, _tds("Network")), _network_attributes(caps.network))
    _set_attributes(sub(element, _tds("Security")), _security_attributes(caps.security))
    _set_attributes(sub(element, _tds("System")), _system_attributes(caps.system))
    return element


def write_version(parent: etree._Element, tag: str, version: tuple[int, int]) -> None:
    """tt:OnvifVersion."""
    element = sub(parent, tag)
    sub(element, _tt("Major"), str(version[0]))
    sub(element, _tt("Minor"), str(version[1]))


def _flags(parent: etree._Element, tag: str, flags: list[tuple[str, bool]]) -> etree._Element:
    element = sub(parent, _tt(tag))
    for name, value in flags:
        sub(element, _tt(name), xs_boolean(value))
    return element


def write_legacy_device(parent: etree._Element, xaddr: str, caps: DeviceCapabilities) -> None:
    """tt:DeviceCapabilities (Core Annex A), from the same values as the tds attributes."""
    element = sub(parent, _tt("Device"))
    sub(element, _tt("XAddr"), xaddr)
    n, s, y = caps.network, caps.security, caps.system
    _flags(
        element,
        "Network",
        [
            ("IPFilter", n.ip_filter),
            ("ZeroConfiguration", n.zero_configuration),
            ("IPVersion6", n.ip_version6),
            ("DynDNS", n.dyn_dns),
        ],
    )
    system = _flags(
        element,
        "System",
        [
            ("DiscoveryResolve", y.discovery_resolve),
            ("DiscoveryBye", y.discovery_bye),
            ("RemoteDiscovery", y.remote_discovery),
            ("SystemBackup", y.system_backup),
            ("SystemLogging", y.system_logging),
            ("FirmwareUpgrade", y.firmware_upgrade),
        ],
    )
    for version in y.supported_versions:
        write_version(system, _tt("SupportedVersions"), version)
    _flags(
        element,
        "Security",
        [
            ("TLS1.1", s.tls1_1),
            ("TLS1.2", s.tls1_2),
            ("OnboardKeyGeneration", s.onboard_key_generation),
            ("AccessPolicyConfig", s.access_policy_config),
            ("X.509Token", s.x509_token),
            ("SAMLToken", s.saml_token),
            ("KerberosToken", s.kerberos_token),
            ("RELToken", s.rel_token),
        ],
    )


def write_legacy_recording(
    parent: etree._Element, xaddr: str, caps: RecordingCapabilities, max_string_length: int
) -> None:
    """tt:RecordingCapabilities: jobs take receivers as sources; there is no media service."""
    element = sub(parent, _tt("Recording"))
    sub(element, _tt("XAddr"), xaddr)
    sub(element, _tt("ReceiverSource"), xs_boolean(True))
    sub(element, _tt("MediaProfileSource"), xs_boolean(False))
    sub(element, _tt("DynamicRecordings"), xs_boolean(caps.dynamic_recordings))
    sub(element, _tt("DynamicTracks"), xs_boolean(caps.dynamic_tracks))
    sub(element, _tt("MaxStringLength"), str(max_string_length))


def write_legacy_events(parent: etree._Element, xaddr: str, caps: EventCapabilities) -> None:
    """tt:EventCapabilities. WSPullPointSupport is about the WS-BaseNotification pull point
    (Core "Basic Notification Interface"), not the ONVIF Real-time PullPoint: false."""
    element = sub(parent, _tt("Events"))
    sub(element, _tt("XAddr"), xaddr)
    policy = caps.ws_subscription_policy_support
    pausable = caps.ws_pausable_subscription_manager_interface_support
    sub(element, _tt("WSSubscriptionPolicySupport"), xs_boolean(policy))
    sub(element, _tt("WSPullPointSupport"), xs_boolean(False))
    sub(element, _tt("WSPausableSubscriptionManagerInterfaceSupport"), xs_boolean(pausable))


def write_legacy_receiver(parent: etree._Element, xaddr: str, caps: ReceiverCapabilities) -> None:
    element = sub(parent, _tt("Receiver"))
    sub(element, _tt("XAddr"), xaddr)
    sub(element, _tt("RTP_Multicast"), xs_boolean(caps.rtp_multicast))
    sub(element, _tt("RTP_TCP"), xs_boolean(caps.rtp_tcp))
    sub(element, _tt("RTP_RTSP_TCP"), xs_boolean(caps.rtp_rtsp_tcp))
    sub(element, _tt("SupportedReceivers"), str(caps.supported_receivers))
    sub(element, _tt("MaximumRTSPURILength"), str(caps.maximum_rtsp_uri_length))


def write_device_information(response: etree._Element, info: DeviceInformation) -> None:
    sub(response, _tds("Manufacturer"), info.manufacturer)
    sub(response, _tds("Model"), info.model)
    sub(response, _tds("FirmwareVersion"), info.firmware_version)
    sub(response, _tds("SerialNumber"), info.serial_number)
    sub(response, _tds("HardwareId"), info.hardware_id)


def _write_date_time(parent: etree._Element, tag: str, value: datetime) -> None:
    element = sub(parent, _tt(tag))
    time = sub(element, _tt("Time"))
    sub(time, _tt("Hour"), str(value.hour))
    sub(time, _tt("Minute"), str(value.minute))
    sub(time, _tt("Second"), str(value.second))
    date = sub(element, _tt("Date"))
    sub(date, _tt("Year"), str(value.year))
    sub(date, _tt("Month"), str(value.month))
    sub(date, _tt("Day"), str(value.day))


def write_system_date_and_time(parent: etree._Element, value: SystemDateAndTime) -> None:
    element = sub(parent, _tds("SystemDateAndTime"))
    sub(element, _tt("DateTimeType"), value.date_time_type.value)
    sub(element, _tt("DaylightSavings"), xs_boolean(value.daylight_savings))
    sub(sub(element, _tt("TimeZone")), _tt("TZ"), value.time_zone)
    _write_date_time(element, "UTCDateTime", value.utc)
    _write_date_time(element, "LocalDateTime", value.local)


def read_user(reader: Reader) -> User:
    """tt:User of CreateUsers/SetUser; an omitted Password reads as empty."""
    username = reader.text("Username")
    level = reader.enum("UserLevel", UserLevel)
    return User(username, reader.optional_text("Password") or "", level)


def write_user(parent: etree._Element, user: User) -> None:
    """tt:User without Password (Core GetUsers: "the password shall not be included")."""
    element = sub(parent, _tds("User"))
    sub(element, _tt("Username"), user.username)
    sub(element, _tt("UserLevel"), user.level.value)


def read_date_time_request(reader: Reader) -> DateTimeRequest:
    """SetSystemDateAndTime; an impossible UTCDateTime is ter:InvalidDateTime."""
    zone = reader.child("TimeZone")
    utc = reader.child("UTCDateTime")
    return DateTimeRequest(
        date_time_type=reader.enum("DateTimeType", DateTimeType),
        daylight_savings=bool(reader.boolean("DaylightSavings")),
        time_zone=zone.text("TZ") if zone is not None else None,
        utc=_read_date_time(utc) if utc is not None else None,
    )


def _read_date_time(reader: Reader) -> datetime:
    date, time = reader.required("Date"), reader.required("Time")
    try:
        year, month, day = (int(date.text(n)) for n in ("Year", "Month", "Day"))
        hour, minute, second = (int(time.text(n)) for n in ("Hour", "Minute", "Second"))
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as error:
        raise InvalidDateTime(f"invalid UTCDateTime: {error}") from None


def write_scope(parent: etree._Element, item: str, fixed: bool) -> None:
    element = sub(parent, _tds("Scopes"))
    sub(element, _tt("ScopeDef"), "Fixed" if fixed else "Configurable")
    sub(element, _tt("ScopeItem"), item)


def write_text_attachment(parent: etree._Element, tag: str, text: str) -> None:
    """tt:SystemLog and tt:SupportInformation as a string (no MTOM)."""
    sub(sub(parent, _tds(tag)), _tt("String"), text)
