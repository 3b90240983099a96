"""POSIX TZ strings (IEEE 1003.1 §8.3) as ``datetime.tzinfo``: the Device TimeZone.

ONVIF Core (SetSystemDateAndTime) gives the device time zone as a POSIX TZ string, e.g.
``CET-1CEST,M3.5.0,M10.5.0/3`` or ``EST5EDT,M3.2.0/2:00:00,M11.1.0/2:00:00``. The offset
is *west* of UTC (``CET-1`` is UTC+1). Rules: ``Mm.w.d`` (day d of week w of month m, w=5
= last), ``Jn`` (Julian day 1..365, 29 February never counted) and ``n`` (zero-based day
of year, leap days counted); the time after ``/`` defaults to 02:00:00, and the start rule
is in local standard time, the end rule in local daylight time. Without rules a DST name
uses the US rules ``M3.2.0,M11.1.0``.

Local times in a gap (spring forward) do not exist and are read with the offset before
the gap (``fold`` 0) as PEP 495 does; in the repeated hour, ``fold`` 0 is the first
(daylight) reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

_NAME = r"(?:[A-Za-z]{3,}|<[A-Za-z0-9+\-]{3,}>)"
_OFFSET = r"[+\-]?\d{1,3}(?::\d{1,2}(?::\d{1,2})?)?"
_RULE = r"(?:M\d{1,2}\.\d\.\d|J\d{1,3}|\d{1,3})(?:/[+\-]?\d{1,3}(?::\d{1,2}(?::\d{1,2})?)?)?"
_TZ = re.compile(rf"({_NAME})({_OFFSET})(?:({_NAME})({_OFFSET})?(?:,({_RULE}),({_RULE}))?)?")
_ZERO = timedelta(0)


class TimeZoneError(ValueError):
    """Not a POSIX TZ string this recorder understands."""


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    hours, minutes, seconds = [*parts, 0, 0][:3]
    if minutes > 59 or seconds > 59:
        raise TimeZoneError(f"bad time {text!r}")
    return sign * (hours * 3600 + minutes * 60 + seconds)


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str  # "M", "J" or "n"
    month: int = 0
    week: int = 0
    weekday: int = 0  # 0 = Sunday, as POSIX counts
    day: int = 0
    seconds: int = 7200

    @classmethod
    def parse(cls, text: str) -> _Rule:
        date, _, time = text.partition("/")
        seconds = _seconds(time) if time else 7200
        if date.startswith("M"):
            month, week, weekday = (int(p) for p in date[1:].split("."))
            if not (1 <= month <= 12 and 1 <= week <= 5 and 0 <= weekday <= 6):
                raise TimeZoneError(f"bad rule {text!r}")
            return cls("M", month, week, weekday, seconds=seconds)
        if date.startswith("J"):
            day = int(date[1:])
            if not 1 <= day <= 365:
                raise TimeZoneError(f"bad rule {text!r}")
            return cls("J", day=day, seconds=seconds)
        if not 0 <= int(date) <= 365:
            raise TimeZoneError(f"bad rule {text!r}")
        return cls("n", day=int(date), seconds=seconds)

    def local(self, year: int) -> datetime:
        """When the rule fires in ``year``, as a naive local wall time."""
        if self.kind == "M":
            first = datetime(year, self.month, 1)
            shift = (self.weekday - (first.weekday() + 1) % 7) % 7
            day = first + timedelta(days=shift + 7 * (self.week - 1))
            while day.month != self.month:
                day -= timedelta(days=7)
            start = day
        elif self.kind == "J":
            start = datetime(year, 1, 1) + timedelta(days=self.day - 1)
            if _leap(year) and self.day >= 60:
                start += timedelta(days=1)
        else:
            start = datetime(year, 1, 1) + timedelta(days=self.day)
        return start + timedelta(seconds=self.seconds)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class PosixTimeZone(tzinfo):
    def __init__(self, text: str) -> None:
        match = _TZ.fullmatch(text.strip())
        if match is None:
            raise TimeZoneError(f"not a POSIX TZ string: {text!r}")
        std_name, std_offset, dst_name, dst_offset, start, end = match.groups()
        for offset in (std_offset, dst_offset):  # §8.3: "hh ... between 0 and 24"
            if offset and abs(_seconds(offset)) > 24 * 3600:
                raise TimeZoneError(f"offset {offset!r} is beyond 24 hours")
        self.text = text.strip()
        self.std_name = std_name.strip("<>")
        self._std = timedelta(seconds=-_seconds(std_offset))
        self.dst_name = dst_name.strip("<>") if dst_name else None
        self._dst = (timedelta(seconds=-_seconds(dst_offset)) if dst_offset
                    else self._std + timedelta(hours=1))
        if self.dst_name is not None and start is None:
            start, end = "M3.2.0", "M11.1.0"
        self._start = _Rule.parse(start) if start else None
        self._end = _Rule.parse(end) if end else None

    def __repr__(self) -> str:
        return f"PosixTimeZone({self.text!r})"

    def _dst_utc(self, year: int) -> tuple[datetime, datetime] | None:
        """Start and end of daylight time in ``year`` as naive UTC."""
        if self._start is None or self._end is None:
            return None
        return self._start.local(year) - self._std, self._end.local(year) - self._dst

    def _is_dst_utc(self, utc: datetime) -> bool:
        span = self._dst_utc(utc.year)
        if span is None:
            return False
        start, end = span
        return start <= utc < end if start < end else not end <= utc < start

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None or self._start is None:
            return self._std
        naive = dt.replace(tzinfo=None)
        # Try both readings; PEP 495: fold=0 takes the earlier one in a repeat, and in a
        # gap the offset in force before it.
        as_dst = self._is_dst_utc(naive - self._dst)
        as_std = not self._is_dst_utc(naive - self._std)
        if as_dst and as_std:  # repeated hour
            return self._std if dt.fold else self._dst
        if as_dst:
            return self._dst
        if as_std:
            return self._std
        return self._std if self._dst > self._std and not dt.fold else self._dst  # gap

    def dst(self, dt: datetime | None) -> timedelta:
        return self.utcoffset(dt) - self._std if self._start is not None else _ZERO

    def tzname(self, dt: datetime | None) -> str:
        if self.dst_name is not None and self.utcoffset(dt) == self._dst:
            return self.dst_name
        return self.std_name

    def fromutc(self, dt: datetime) -> datetime:
        naive = dt.replace(tzinfo=None)
        dst = self._is_dst_utc(naive)
        local = naive + (self._dst if dst else self._std)
        fold = int(not dst and self._start is not None
                   and self._is_dst_utc(local - self._dst))
        return local.replace(tzinfo=self, fold=fold)


UTC_ZONE = PosixTimeZone("UTC0")
