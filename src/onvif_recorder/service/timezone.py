"""POSIX time zones (IEEE 1003.1 §8.3, the TZ format of Core's tt:TimeZone): parsing,
validation and UTC → local time. Core SetSystemDateAndTime: a TZ not formed by these
rules is invalid; DaylightSavings false ignores the DST part."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from onvif_recorder.domain.errors import InvalidTimeZone

_NAME = r"(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)"
_OFFSET = r"[+-]?\d{1,2}(?::\d{1,2}(?::\d{1,2})?)?"
_RULE = r"(?:J\d{1,3}|\d{1,3}|M\d{1,2}\.\d\.\d)(?:/" + _OFFSET.replace("{1,2}", "{1,3}", 1) + ")?"
_TZ = re.compile(
    rf"(?P<std>{_NAME})(?P<std_offset>{_OFFSET})"
    rf"(?:(?P<dst>{_NAME})(?P<dst_offset>{_OFFSET})?"
    rf"(?:,(?P<start>{_RULE}),(?P<end>{_RULE}))?)?"
)
DEFAULT_RULES = ("M3.2.0", "M11.1.0")  # implementation-defined in POSIX; the US rules
TWO_HOURS = 7200


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str  # "J" (1..365, no Feb 29), "n" (0..365), "M" (month.week.day)
    values: tuple[int, ...]
    seconds: int  # local time of the change, seconds after midnight

    def moment(self, year: int) -> datetime:
        """The local wall time of the change in ``year`` (naive)."""
        base = datetime(year, 1, 1)
        if self.kind == "J":
            day = self.values[0] - 1
            leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            base += timedelta(days=day + (1 if leap and day >= 59 else 0))
        elif self.kind == "n":
            base += timedelta(days=self.values[0])
        else:
            base = _nth_weekday(year, *self.values)
        return base + timedelta(seconds=self.seconds)


def _nth_weekday(year: int, month: int, week: int, weekday: int) -> datetime:
    """Day ``weekday`` (0 = Sunday) of week ``week`` of ``month``; week 5 = the last."""
    first = datetime(year, month, 1)
    shift = (weekday - (first.weekday() + 1) % 7) % 7
    day = first + timedelta(days=shift + 7 * (week - 1))
    while day.month != month:
        day -= timedelta(days=7)
    return day


@dataclass(frozen=True, slots=True)
class PosixTimeZone:
    text: str
    std_offset: int  # seconds *west* of UTC, as POSIX writes them
    dst_offset: int | None = None
    rules: tuple[Rule, Rule] | None = None

    def local(self, utc: datetime, daylight_savings: bool) -> datetime:
        """Local wall time (naive) of ``utc``; DST only where the zone has it and the
        device's DaylightSavings flag is set."""
        utc = utc.astimezone(UTC).replace(tzinfo=None)
        standard = utc - timedelta(seconds=self.std_offset)
        if not daylight_savings or self.dst_offset is None or self.rules is None:
            return standard
        start = self.rules[0].moment(standard.year)  # in standard time
        end = self.rules[1].moment(standard.year) - timedelta(  # given in DST time
            seconds=self.std_offset - self.dst_offset
        )
        inside = start <= standard < end if start < end else not end <= standard < start
        return utc - timedelta(seconds=self.dst_offset) if inside else standard


def _seconds(text: str, limit: int) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    hours, minutes, secs = [*parts, 0, 0][:3]
    if hours > limit or minutes > 59 or secs > 59:
        raise ValueError(text)
    return sign * (hours * 3600 + minutes * 60 + secs)


def _rule(text: str) -> Rule:
    date, _, time = text.partition("/")
    seconds = _seconds(time, 167) if time else TWO_HOURS
    if date.startswith("J"):
        values: tuple[int, ...] = (int(date[1:]),)
        ok, kind = 1 <= values[0] <= 365, "J"
    elif date.startswith("M"):
        values = tuple(int(v) for v in date[1:].split("."))
        ok, kind = 1 <= values[0] <= 12 and 1 <= values[1] <= 5 and values[2] <= 6, "M"
    else:
        values = (int(date),)
        ok, kind = values[0] <= 365, "n"
    if not ok:
        raise ValueError(text)
    return Rule(kind, values, seconds)


def parse_time_zone(text: str) -> PosixTimeZone:
    """The zone, or ``InvalidTimeZone`` (Base Device Test DEVICE-3-1-4)."""
    match = _TZ.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        std = _seconds(match["std_offset"], 24)
        if match["dst"] is None:
            return PosixTimeZone(text, std)
        dst = _seconds(match["dst_offset"], 24) if match["dst_offset"] else std - 3600
        start, end = (match["start"], match["end"]) if match["start"] else DEFAULT_RULES
        return PosixTimeZone(text, std, dst, (_rule(start), _rule(end)))
    except ValueError:
        raise InvalidTimeZone(f"{text!r} is not a POSIX 1003.1 §8.3 time zone") from None
