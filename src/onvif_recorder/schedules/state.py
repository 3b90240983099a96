"""Is a schedule active now, is it a special day, and when does either change (Sched §5.4).

The standard calendar's occurrences are the active periods. On a special day (an
occurrence of a special-day group the schedule names) the standard periods do not apply;
that schedule entry's ``TimeRange`` periods do, each time of day on each local date,
intersected with the special part of the day (Sched §5.2.2.3: a special day covering part
of a day overrides only that part; an empty ``TimeRange`` means inactive all special day).
Several entries on the same day combine as a union.

Everything is computed as half-open intervals of POSIX seconds over a window around
``now``; the next change is the first interval edge after ``now`` (so the service sets one
timer to the exact edge instead of polling). Local (floating) times are read in the device
time zone, DST included: a period from 01:00 to 09:00 on the night clocks go forward lasts
seven hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from onvif_recorder.schedules.icalendar import Event
from onvif_recorder.schedules.recurrence import occurrences

Interval = tuple[float, float]
LOOK_BEHIND = timedelta(days=1)
LOOK_AHEAD = timedelta(days=8)


@dataclass(frozen=True, slots=True)
class Period:
    """``tsc:TimePeriod``: From ≤ t < Until, Until missing = midnight."""

    start: time
    until: time | None = None


@dataclass(frozen=True, slots=True)
class SpecialEntry:
    days: tuple[Event, ...]
    """The group's ``Days`` calendar; no events = the group names no day."""
    periods: tuple[Period, ...]


@dataclass(frozen=True, slots=True)
class ScheduleState:
    active: bool
    special_day: bool
    next_change: float | None
    """POSIX time of the next change of either flag; None = none within the window
    (evaluate again by then anyway: ``recheck``)."""
    recheck: float


def evaluate(standard: Sequence[Event], special: Sequence[SpecialEntry], zone: tzinfo,
             now: float) -> ScheduleState:
    begin, end = now - LOOK_BEHIND.total_seconds(), now + LOOK_AHEAD.total_seconds()
    normal = _union(_spans(standard, zone, begin, end))
    covers = [_union(_spans(entry.days, zone, begin, end)) for entry in special]
    cover = _union(span for spans in covers for span in spans)
    specials = _union(
        span for entry, spans in zip(special, covers, strict=True)
        for span in _intersect(spans, _union(_periods(entry.periods, zone, begin, end))))
    effective = _union([*_subtract(normal, cover), *specials])
    edges = sorted(edge for span in (*effective, *cover) for edge in span if edge > now)
    return ScheduleState(_inside(effective, now), _inside(cover, now),
                         edges[0] if edges and edges[0] < end else None,
                         now + (LOOK_AHEAD - LOOK_BEHIND).total_seconds())


def _spans(events: Iterable[Event], zone: tzinfo, begin: float, end: float) -> list[Interval]:
    spans: list[Interval] = []
    for event in events:
        clock = UTC if event.start.utc else zone
        margin = timedelta(days=2)
        low = datetime.fromtimestamp(begin, clock).replace(tzinfo=None) - margin
        high = datetime.fromtimestamp(end, clock).replace(tzinfo=None) + margin
        for start in occurrences(event, low, high):
            spans.append((_instant(start, clock), _instant(start + event.duration, clock)))
    return [(max(a, begin), min(b, end)) for a, b in spans if b > begin and a < end]


def _periods(periods: Iterable[Period], zone: tzinfo, begin: float, end: float
             ) -> list[Interval]:
    first = datetime.fromtimestamp(begin, zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end, zone).date() + timedelta(days=1)
    spans: list[Interval] = []
    day = first
    while day <= last:
        for period in periods:
            start = datetime.combine(day, period.start)
            stop = (datetime.combine(day, period.until) if period.until is not None
                    else datetime.combine(day + timedelta(days=1), time()))
            if stop > start:
                spans.append((_instant(start, zone), _instant(stop, zone)))
        day += timedelta(days=1)
    return spans


def _instant(wall: datetime, zone: tzinfo) -> float:
    return wall.replace(tzinfo=zone).timestamp()


def _union(spans: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, stop in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    return [(max(s, t), min(e, u)) for s, e in a for t, u in b if max(s, t) < min(e, u)]


def _subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    result: list[Interval] = []
    for start, stop in a:
        pieces = [(start, stop)]
        for cut_start, cut_stop in b:
            pieces = [part for s, e in pieces
                      for part in ((s, min(e, cut_start)), (max(s, cut_stop), e))
                      if part[1] > part[0]]
        result += pieces
    return result


def _inside(spans: list[Interval], moment: float) -> bool:
    return any(start <= moment < stop for start, stop in spans)
