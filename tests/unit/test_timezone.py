"""The Device TimeZone of SetSystemDateAndTime: POSIX TZ strings (IEEE 1003.1 §8.3, read
by ``schedules.posix_tz``) with Core's DaylightSavings flag, checked against the tz
database where it has the same rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from onvif_recorder.domain.errors import InvalidTimeZone
from onvif_recorder.service.device import parse_time_zone

ZONES = [
    ("CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Berlin"),
    ("EST5EDT,M3.2.0,M11.1.0", "America/New_York"),
    ("EST5EDT", "America/New_York"),  # the default rules are the US ones
    ("AEST-10AEDT,M10.1.0,M4.1.0/3", "Australia/Sydney"),  # DST across the new year
    ("<+0530>-5:30", "Asia/Kolkata"),
    ("JST-9", "Asia/Tokyo"),
    ("UTC0", "UTC"),
]


@pytest.mark.parametrize(("tz", "name"), ZONES)
def test_local_time_agrees_with_tz_database(tz: str, name: str) -> None:
    zone = parse_time_zone(tz)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment.year == 2026:
        expected = moment.astimezone(ZoneInfo(name)).replace(tzinfo=None)
        assert moment.astimezone(zone).replace(tzinfo=None) == expected, moment
        moment += timedelta(hours=7, minutes=13)


def test_daylight_savings_off_ignores_the_dst_part() -> None:
    zone = parse_time_zone("CET-1CEST,M3.5.0,M10.5.0/3", daylight_savings=False)
    summer = datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert summer.astimezone(zone).replace(tzinfo=None) == datetime(2026, 7, 1, 13)


def test_julian_day_rules() -> None:
    zone = parse_time_zone("XXX3YYY,J60/0,J300/0")  # from Mar 1 to Oct 27, no leap day
    local = datetime(2028, 3, 1, 3, 0, 1, tzinfo=UTC).astimezone(zone)
    assert local.replace(tzinfo=None) == datetime(2028, 3, 1, 1, 0, 1)
    local = datetime(2028, 2, 29, 12, tzinfo=UTC).astimezone(zone)
    assert local.replace(tzinfo=None) == datetime(2028, 2, 29, 9)


@pytest.mark.parametrize("text", [
    "INVALIDTIMEZONE", "", "UTC", "CET", "AB1", "CET-25", "CET-1:60", "CET-1CEST,M13.1.0,M1.1.0",
    "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J366,J1", ":Europe/Berlin",
    "CET-1CEST,M3.5.0", "CET-1CEST-25",
])
def test_invalid_zones(text: str) -> None:
    with pytest.raises(InvalidTimeZone):
        parse_time_zone(text)
