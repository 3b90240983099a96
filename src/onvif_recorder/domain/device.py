"""The device's own settings (Core 25.12, "Device management" and "Device discovery"):
its identity, discovery mode, configurable scopes and time zone. Kept in the data
directory by ``persistence.device_file``; a factory default resets all but the identity."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class DiscoveryMode(Enum):
    DISCOVERABLE = "Discoverable"
    NON_DISCOVERABLE = "NonDiscoverable"


ONVIF_SCOPE = "onvif://www.onvif.org/"
DEFAULT_CONFIGURABLE_SCOPES: tuple[str, ...] = (ONVIF_SCOPE + "location/unknown",)
DEFAULT_TIME_ZONE = "UTC0"


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Generated once per installation and never reset: WS-Discovery needs an endpoint
    reference that is stable across restarts (Core "Endpoint reference"), and two
    recorders must be told apart by their serial numbers."""

    endpoint_reference: str  # urn:uuid:… (RFC 4122)
    serial_number: str


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    identity: DeviceIdentity
    discovery_mode: DiscoveryMode = DiscoveryMode.DISCOVERABLE
    scopes: tuple[str, ...] = DEFAULT_CONFIGURABLE_SCOPES  # the configurable ones
    time_zone: str = DEFAULT_TIME_ZONE  # POSIX 1003.1 §8.3 TZ
    daylight_savings: bool = False
    # WS-Discovery MetadataVersion: raised with every scope change, kept across restarts.
    metadata_version: int = 1
    # WS-Discovery AppSequence InstanceId: higher at every start (§7), even two a second.
    instance_id: int = 0

    def factory_default(self) -> DeviceConfig:
        """Everything back to defaults but the identity; the metadata changed, so it is
        announced with a higher MetadataVersion."""
        return replace(
            DeviceConfig(self.identity),
            metadata_version=self.metadata_version + 1,
            instance_id=self.instance_id,
        )
