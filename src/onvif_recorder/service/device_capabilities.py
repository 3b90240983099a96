"""The device service's capabilities, shared by GetServiceCapabilities, GetServices and
the legacy GetCapabilities (ONVIF Core, "Capability exchange")."""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.domain.storage import StorageType
from onvif_recorder.settings import RecorderSettings

ONVIF_VERSION = (25, 12)  # the specification release every service implements


@dataclass(frozen=True, slots=True)
class NetworkCapabilities:
    """tds:NetworkCapabilities: the recorder configures no network (the host does)."""

    ip_filter: bool = False
    zero_configuration: bool = False
    ip_version6: bool = False
    dyn_dns: bool = False
    dot11_configuration: bool = False
    hostname_from_dhcp: bool = False
    ntp: int = 0  # maximum number of NTP servers SetNTP accepts


@dataclass(frozen=True, slots=True)
class SecurityCapabilities:
    max_users: int
    max_username_length: int
    max_password_length: int
    username_token: bool = True
    http_digest: bool = True
    hashing_algorithms: tuple[str, ...] = ("MD5", "SHA-256")  # soap/security/http_digest.py
    default_access_policy: bool = True  # soap/security/access.py
    tls1_0: bool = False
    tls1_1: bool = False
    tls1_2: bool = False
    onboard_key_generation: bool = False
    access_policy_config: bool = False
    dot1x: bool = False
    remote_user_handling: bool = False
    x509_token: bool = False
    saml_token: bool = False
    kerberos_token: bool = False
    rel_token: bool = False
    json_web_token: bool = False


@dataclass(frozen=True, slots=True)
class SystemCapabilities:
    max_storage_configurations: int
    storage_types_supported: tuple[str, ...]
    storage_configuration: bool = True
    storage_configuration_renewal: bool = False
    discovery_resolve: bool = False  # WS-Discovery on (``RecorderSettings.discovery``)
    discovery_bye: bool = False
    remote_discovery: bool = False
    system_backup: bool = False
    system_logging: bool = True  # GetSystemLog (System; no access log)
    firmware_upgrade: bool = False
    http_firmware_upgrade: bool = False
    http_system_backup: bool = False
    http_system_logging: bool = False
    http_support_information: bool = False
    # Core: a device shall support discovery and the network commands unless it signals
    # these. The host's network is read, never changed: the Set* network operations
    # answer ActionNotSupported.
    discovery_not_supported: bool = True
    network_config_not_supported: bool = True
    user_config_not_supported: bool = False
    supported_versions: tuple[tuple[int, int], ...] = (ONVIF_VERSION,)


@dataclass(frozen=True, slots=True)
class DeviceCapabilities:
    """tds:DeviceServiceCapabilities; the legacy tt:DeviceCapabilities is built from the
    same values so the two never disagree (Base Device Test DEVICE-1-1-30)."""

    network: NetworkCapabilities
    security: SecurityCapabilities
    system: SystemCapabilities


def device_capabilities(settings: RecorderSettings) -> DeviceCapabilities:
    limits = settings.limits
    return DeviceCapabilities(
        network=NetworkCapabilities(),
        security=SecurityCapabilities(
            max_users=limits.max_users,
            max_username_length=limits.max_username_length,
            max_password_length=limits.max_password_length,
        ),
        system=SystemCapabilities(
            max_storage_configurations=limits.max_storage_configurations,
            storage_types_supported=(
                StorageType.OBJECT_STORAGE_S3.value,
                StorageType.OBJECT_STORAGE_AZURE.value,
            ),
            discovery_resolve=settings.discovery,
            discovery_bye=settings.discovery,
            discovery_not_supported=not settings.discovery,
        ),
    )
