"""Device service semantics (ONVIF Core 25.12, "Device management" and "Device
discovery"): device information, scopes, discovery mode, date and time, and the host's
network as read by ``HostInfo``. The settings live in a ``DeviceConfigStore``; whoever
announces the device (WS-Discovery) observes changes through ``observe``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timezone, tzinfo
from enum import Enum
from typing import Protocol

import onvif_recorder
from onvif_recorder.domain import errors
from onvif_recorder.domain.device import DeviceConfig, DiscoveryMode
from onvif_recorder.schedules.posix_tz import PosixTimeZone, TimeZoneError
from onvif_recorder.service.device_capabilities import DeviceCapabilities, device_capabilities
from onvif_recorder.service.network import HostInfo, HostNetwork
from onvif_recorder.service.scopes import (
    Scopes,
    add_scopes,
    fixed_scopes,
    remove_scopes,
    set_scopes,
)
from onvif_recorder.settings import RecorderSettings


@dataclass(frozen=True, slots=True)
class DeviceInformation:
    manufacturer: str
    model: str
    firmware_version: str
    serial_number: str
    hardware_id: str


class DateTimeType(Enum):
    MANUAL = "Manual"
    NTP = "NTP"


@dataclass(frozen=True, slots=True)
class SystemDateAndTime:
    date_time_type: DateTimeType
    daylight_savings: bool
    time_zone: str  # POSIX 1003.1 §8.3 TZ string
    utc: datetime
    local: datetime


@dataclass(frozen=True, slots=True)
class DateTimeRequest:
    """SetSystemDateAndTime as the client sent it."""

    date_time_type: DateTimeType
    daylight_savings: bool
    time_zone: str | None
    utc: datetime | None


def parse_time_zone(text: str, daylight_savings: bool = True) -> tzinfo:
    """The POSIX TZ (IEEE 1003.1 §8.3) as a ``tzinfo``; a malformed one is
    ``ter:InvalidTimeZone`` (Base Device Test DEVICE-3-1-4). Core: with DaylightSavings
    false the DST part of the zone is ignored."""
    try:
        zone = PosixTimeZone(text)
    except (TimeZoneError, ValueError) as error:
        raise errors.InvalidTimeZone(f"{text!r} is not a POSIX 1003.1 §8.3 time zone: "
                                     f"{error}") from None
    if daylight_savings or zone.dst_name is None:
        return zone
    return timezone(zone.utcoffset(None), zone.std_name)


class DeviceConfigStore(Protocol):
    """Port: implemented by ``persistence.device_file.DeviceFile``."""

    def load(self) -> DeviceConfig: ...

    def save(self, config: DeviceConfig) -> None: ...


class DeviceService:
    def __init__(
        self, settings: RecorderSettings, store: DeviceConfigStore, host: HostInfo
    ) -> None:
        self.settings = settings
        self.store = store
        self.host = host
        self.config = store.load()
        self._observers: list[Callable[[DeviceConfig], None]] = []

    def observe(self, observer: Callable[[DeviceConfig], None]) -> None:
        """Call ``observer`` with the new settings after every stored change."""
        self._observers.append(observer)

    def _commit(self, config: DeviceConfig) -> None:
        self.store.save(config)  # first: a failed write changes nothing
        self.config = config
        for observer in self._observers:
            observer(config)

    def capabilities(self) -> DeviceCapabilities:
        return device_capabilities(self.settings)

    def device_information(self) -> DeviceInformation:
        return DeviceInformation(
            manufacturer=self.settings.manufacturer,
            model=self.settings.model,
            firmware_version=onvif_recorder.__version__,
            serial_number=self.config.identity.serial_number,
            hardware_id=self.settings.hardware_id,
        )

    # ------------------------------------------------------------------ scopes

    def scopes(self) -> Scopes:
        identity = self.config.identity
        fixed = fixed_scopes(self.settings.model, identity.serial_number)
        return Scopes(fixed, self.config.scopes)

    def set_scopes(self, requested: list[str]) -> None:
        self._new_scopes(set_scopes(self.scopes(), requested, self.settings.limits.max_scopes))

    def add_scopes(self, requested: list[str]) -> None:
        self._new_scopes(add_scopes(self.scopes(), requested, self.settings.limits.max_scopes))

    def remove_scopes(self, requested: list[str]) -> list[str]:
        self._new_scopes(remove_scopes(self.scopes(), requested))
        return [s.strip() for s in requested]

    def _new_scopes(self, configurable: tuple[str, ...]) -> None:
        """WS-Discovery: changed metadata gets a higher MetadataVersion (and a Hello)."""
        version = self.config.metadata_version + 1
        self._commit(replace(self.config, scopes=configurable, metadata_version=version))

    # ---------------------------------------------------------------- discovery

    def discovery_mode(self) -> DiscoveryMode:
        return self.config.discovery_mode

    def next_instance_id(self, now: float) -> int:
        """A new WS-Discovery InstanceId (an xs:unsignedInt): the time in seconds, or one
        more than the last if that is not higher."""
        instance = max(int(now), self.config.instance_id + 1) % 2**32
        self._commit(replace(self.config, instance_id=instance))
        return instance

    def set_discovery_mode(self, mode: DiscoveryMode) -> None:
        if not self.settings.discovery:
            raise errors.ActionNotSupported("WS-Discovery is off (onvif-recorder --no-discovery)")
        if mode is not self.config.discovery_mode:
            self._commit(replace(self.config, discovery_mode=mode))

    # ------------------------------------------------------------ date and time

    def system_date_and_time(self, now: datetime) -> SystemDateAndTime:
        """The host clock. DateTimeType is NTP: the host keeps the clock (normally with
        its own NTP client) and the recorder never sets it. LocalDateTime follows the
        stored POSIX time zone, with DST only while DaylightSavings is set."""
        utc = now.astimezone(UTC) if now.tzinfo is not None else now.replace(tzinfo=UTC)
        return SystemDateAndTime(
            date_time_type=DateTimeType.NTP,
            daylight_savings=self.config.daylight_savings,
            time_zone=self.config.time_zone,
            utc=utc,
            local=utc.astimezone(self.time_zone()),
        )

    def time_zone(self) -> tzinfo:
        """The Device TimeZone, as schedules are evaluated in it (Sched §4.1)."""
        return parse_time_zone(self.config.time_zone, self.config.daylight_savings)

    def set_system_date_and_time(self, request: DateTimeRequest) -> None:
        """Time zone and DaylightSavings are stored. A Manual clock is refused: the
        recorder does not set the host's clock (env:Sender/ter:OperationProhibited)."""
        if request.time_zone is not None:
            parse_time_zone(request.time_zone)  # ter:InvalidTimeZone
        if request.date_time_type is DateTimeType.MANUAL:
            raise errors.OperationProhibited(
                "the host keeps the clock (NTP); the recorder does not set it"
            )
        zone = self.config.time_zone if request.time_zone is None else request.time_zone
        self._commit(replace(
            self.config, time_zone=zone, daylight_savings=request.daylight_savings
        ))

    # ------------------------------------------------------------------ network

    def host_network(self) -> HostNetwork:
        return self.host.network()
