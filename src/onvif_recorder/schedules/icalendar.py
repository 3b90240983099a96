"""The iCalendar subset of the Schedule service (Sched §4, RFC 5545), parsed leniently.

A schedule's ``Standard`` and a special-day group's ``Days`` are iCalendar texts: one
``VCALENDAR`` with ``VEVENT``s of ``DTSTART``, ``DTEND`` (or ``DURATION``), an optional
``RRULE`` and ``EXDATE``s. Unknown properties (``UID``, ``SUMMARY``, ``PRODID`` …) are
ignored. Times without ``Z`` are floating: device local time (Sched §4.1); a ``DATE``
value is a whole day. Extended recurrence (Sched §4.2.3) is supported: ``FREQ`` of
``YEARLY``/``MONTHLY``/``WEEKLY``/``DAILY``/``HOURLY``/``MINUTELY``/``SECONDLY`` with
``INTERVAL``, ``COUNT`` or ``UNTIL``, ``BYDAY`` (with ordinals in MONTHLY/YEARLY),
``BYMONTHDAY`` and ``BYMONTH``.

Lenient where the spec's own examples are sloppy: a space after the colon
(``DTEND: 19700101T170000``), ``UNTIL:`` written with a colon inside ``RRULE``, lower
case, folded lines. The text itself is stored verbatim by the service (the official tests
compare it byte for byte); this module only reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_COUNT = 100_000
_DURATION = re.compile(r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


class CalendarError(ValueError):
    """Not an iCalendar text of the subset (the service answers InvalidArgVal)."""


@dataclass(frozen=True, slots=True)
class Moment:
    """A DTSTART/DTEND/EXDATE/UNTIL value: naive wall time, and whether it is UTC."""

    at: datetime
    utc: bool = False
    all_day: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    freq: str
    interval: int = 1
    count: int | None = None
    until: Moment | None = None
    by_day: tuple[tuple[int, int], ...] = ()
    """(ordinal or 0, weekday 0=Monday)."""
    by_month_day: tuple[int, ...] = ()
    by_month: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    start: Moment
    duration: timedelta
    rule: Rule | None = None
    exdates: tuple[Moment, ...] = ()


def parse_calendar(text: str) -> tuple[Event, ...]:
    """The VEVENTs of ``text``; raises ``CalendarError`` for anything outside the subset."""
    lines = _unfold(text)
    if not lines or lines[0].upper() != "BEGIN:VCALENDAR":
        raise CalendarError("an iCalendar text starts with BEGIN:VCALENDAR")
    events: list[Event] = []
    current: list[tuple[str, str, str]] | None = None
    for line in lines[1:]:
        name, params, value = _property(line)
        if (name, value.upper()) == ("BEGIN", "VEVENT"):
            current = []
        elif (name, value.upper()) == ("END", "VEVENT"):
            if current is None:
                raise CalendarError("END:VEVENT without BEGIN:VEVENT")
            events.append(_event(current))
            current = None
        elif current is not None:
            current.append((name, params, value))
    if current is not None:
        raise CalendarError("a VEVENT is not ended")
    if not events:
        raise CalendarError("no VEVENT")
    return tuple(events)


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw.strip():
            lines.append(raw.strip())
    return lines


def _property(line: str) -> tuple[str, str, str]:
    head, sep, value = line.partition(":")
    if not sep:
        raise CalendarError(f"not a property line: {line[:60]!r}")
    name, _, params = head.partition(";")
    return name.strip().upper(), params.upper(), value.strip()


def _event(properties: list[tuple[str, str, str]]) -> Event:
    found = {name: (params, value) for name, params, value in properties}
    if "DTSTART" not in found:
        raise CalendarError("a VEVENT needs DTSTART")
    start = parse_moment(*found["DTSTART"])
    if "DTEND" in found:
        end = parse_moment(*found["DTEND"])
        if end.utc != start.utc:
            raise CalendarError("DTSTART and DTEND mix UTC and local time")
        duration = end.at - start.at
    elif "DURATION" in found:
        duration = parse_duration(found["DURATION"][1])
    else:
        duration = timedelta(days=1) if start.all_day else timedelta(0)
    if duration <= timedelta(0):
        raise CalendarError("DTEND must be after DTSTART")
    rule = parse_rule(found["RRULE"][1]) if "RRULE" in found else None
    exdates = tuple(parse_moment(params, part) for name, params, value in properties
                    if name == "EXDATE" for part in value.split(","))
    return Event(start, duration, rule, exdates)


def parse_moment(params: str, value: str) -> Moment:
    if "TZID=" in params:
        raise CalendarError("TZID is not supported: write local time (no Z) or UTC (Z)")
    text = value.strip().upper()
    try:
        if ("VALUE=DATE" in params and "DATE-TIME" not in params) or re.fullmatch(r"\d{8}", text):
            day = datetime.strptime(text, "%Y%m%d")
            return Moment(day, all_day=True)
        utc = text.endswith("Z")
        return Moment(datetime.strptime(text.removesuffix("Z"), "%Y%m%dT%H%M%S"), utc)
    except ValueError as exc:
        raise CalendarError(f"bad date-time {value!r}") from exc


def parse_duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip().upper())
    if match is None or not any(match.groups()[1:]):
        raise CalendarError(f"bad DURATION {text!r}")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups()[1:])
    value = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return -value if match.group(1) == "-" else value


def parse_rule(text: str) -> Rule:
    parts: dict[str, str] = {}
    for part in text.strip().upper().split(";"):
        if not part.strip():
            continue
        match = re.fullmatch(r"\s*([A-Z]+)\s*[=:]\s*(.*?)\s*", part)  # UNTIL: (Sched §4 example)
        if match is None:
            raise CalendarError(f"bad RRULE part {part!r}")
        parts[match.group(1)] = match.group(2)
    freq = parts.pop("FREQ", "")
    if freq not in FREQUENCIES:
        raise CalendarError(f"RRULE FREQ must be one of {', '.join(FREQUENCIES)}")
    try:
        interval = int(parts.pop("INTERVAL", "1"))
        count = int(parts.pop("COUNT")) if "COUNT" in parts else None
        until = parse_moment("", parts.pop("UNTIL")) if "UNTIL" in parts else None
        by_day = tuple(_weekday(day) for day in _list(parts.pop("BYDAY", "")))
        by_month_day = tuple(int(d) for d in _list(parts.pop("BYMONTHDAY", "")))
        by_month = tuple(int(m) for m in _list(parts.pop("BYMONTH", "")))
    except ValueError as exc:
        raise CalendarError(f"bad RRULE {text!r}: {exc}") from exc
    parts.pop("WKST", None)
    if parts:
        raise CalendarError(f"RRULE parts not supported: {', '.join(sorted(parts))}")
    if interval < 1 or (count is not None and not 1 <= count <= MAX_COUNT):
        raise CalendarError("RRULE INTERVAL must be at least 1 and COUNT 1.." + str(MAX_COUNT))
    if count is not None and until is not None:
        raise CalendarError("RRULE takes COUNT or UNTIL, not both")
    if any(not 1 <= abs(d) <= 31 for d in by_month_day) or any(
            not 1 <= m <= 12 for m in by_month):
        raise CalendarError("RRULE BYMONTHDAY or BYMONTH out of range")
    if any(n and freq not in ("MONTHLY", "YEARLY") for n, _ in by_day):
        raise CalendarError("BYDAY ordinals are for MONTHLY and YEARLY rules")
    return Rule(freq, interval, count, until, by_day, by_month_day, by_month)


def _list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _weekday(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)", text)
    if match is None:
        raise ValueError(f"bad BYDAY {text!r}")
    ordinal = int(match.group(1) or 0)
    if abs(ordinal) > 53:
        raise ValueError(f"bad BYDAY {text!r}")
    return ordinal, WEEKDAYS.index(match.group(2))
