"""POSIX TZ strings against the system's zoneinfo database for the same zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from onvif_recorder.schedules.posix_tz import PosixTimeZone, TimeZoneError

# (POSIX TZ, the IANA zone whose current rules it writes)
ZONES = [
    ("CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Berlin"),
    ("EST5EDT,M3.2.0/2:00:00,M11.1.0/2:00:00", "America/New_York"),
    ("EST5EDT", "America/New_York"),  # no rules: the US rules
    ("AEST-10AEDT,M10.1.0,M4.1.0/3", "Australia/Sydney"),  # southern hemisphere
    ("<+0530>-5:30", "Asia/Kolkata"),
    ("UTC0", "UTC"),
    ("NZST-12NZDT,M9.5.0,M4.1.0/3", "Pacific/Auckland"),
]


@pytest.mark.parametrize(("text", "iana"), ZONES)
def test_every_half_hour_of_a_year_matches_zoneinfo(text: str, iana: str) -> None:
    posix, reference = PosixTimeZone(text), ZoneInfo(iana)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment.year < 2027:
        ours, theirs = moment.astimezone(posix), moment.astimezone(reference)
        assert ours.replace(tzinfo=None) == theirs.replace(tzinfo=None), moment
        assert ours.fold == theirs.fold, moment
        assert ours.utcoffset() == theirs.utcoffset(), moment
        assert ours.dst() == theirs.dst(), moment
        if not text.startswith("<"):
            assert ours.tzname() == theirs.tzname(), moment
        moment += timedelta(minutes=30)


@pytest.mark.parametrize(("text", "iana"), ZONES)
def test_local_times_read_back_like_zoneinfo(text: str, iana: str) -> None:
    posix, reference = PosixTimeZone(text), ZoneInfo(iana)
    wall = datetime(2026, 1, 1)
    while wall.year < 2027:
        for fold in (0, 1):
            ours = wall.replace(tzinfo=posix, fold=fold).utcoffset()
            theirs = wall.replace(tzinfo=reference, fold=fold).utcoffset()
            assert ours == theirs, (wall, fold)
        wall += timedelta(minutes=30)


@pytest.mark.parametrize("text", ["", "CET", "CET-1CEST,M3.5.0", "CET-1CEST,M13.5.0,M10.5.0",
                                  "CET-1CEST,J400,M10.5.0", "X1", "CET-1:99"])
def test_bad_strings_are_refused(text: str) -> None:
    with pytest.raises(TimeZoneError):
        PosixTimeZone(text)


def test_julian_rules() -> None:
    zone = PosixTimeZone("STD0DST,J60,J300")  # 1 March to 27 October, never 29 Feb
    assert datetime(2028, 2, 29, 12, tzinfo=zone).utcoffset() == timedelta(0)
    assert datetime(2028, 3, 1, 12, tzinfo=zone).utcoffset() == timedelta(hours=1)
    zero_based = PosixTimeZone("STD0DST,59,300")  # day 59 = 29 Feb in a leap year
    assert datetime(2028, 2, 29, 12, tzinfo=zero_based).utcoffset() == timedelta(hours=1)
