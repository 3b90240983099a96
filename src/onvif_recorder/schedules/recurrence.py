"""Occurrences of an iCalendar event within a window (RFC 5545 §3.3.10, the Sched subset).

All arithmetic is on naive wall times in the event's own clock (local or UTC), so
"every day at 09:00" stays at 09:00 across DST; the caller converts to instants. Each
period (year, month, week from Monday, day, hour …) of ``FREQ`` times ``INTERVAL`` is expanded
by the BY rules as RFC 5545's table says, with the time of day of DTSTART. A DTSTART
that does not match its own rule is *not* an occurrence: the official schedule tests send
``DTSTART:1970MMDD…`` with a BYDAY that does not contain that date's weekday and mean
"the time of day on these weekdays" (requirements digest §2.5).

Without COUNT the iteration jumps straight to the window, so a rule from 1970 costs the
same as one from today; with COUNT it runs from DTSTART (COUNT is at most 100 000).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import datetime, timedelta

from onvif_recorder.schedules.icalendar import Event, Rule

_FIXED = {"WEEKLY": timedelta(weeks=1), "DAILY": timedelta(days=1),
          "HOURLY": timedelta(hours=1), "MINUTELY": timedelta(minutes=1),
          "SECONDLY": timedelta(seconds=1)}


def occurrences(event: Event, begin: datetime, end: datetime) -> Iterator[datetime]:
    """Starts of the occurrences that overlap [begin, end), in order."""
    rule = event.rule
    if rule is None:
        if event.start.at < end and event.start.at + event.duration > begin:
            yield event.start.at
        return
    excluded = {moment.at for moment in event.exdates}
    until = rule.until.at if rule.until is not None else None
    remaining = rule.count
    first = 0 if remaining is not None else _first_period(event, rule, begin)
    for index in range(first, first + 10**7):
        anchor = _period_start(event.start.at, rule, index)
        if anchor is None:
            continue
        if anchor >= end:
            return
        for start in _expand(anchor, event.start.at, rule):
            if start < event.start.at:
                continue
            if until is not None and start > until:
                return
            if remaining is not None:
                if remaining == 0:
                    return
                remaining -= 1
            if start >= end:
                return
            if start not in excluded and start + event.duration > begin:
                yield start


def _first_period(event: Event, rule: Rule, begin: datetime) -> int:
    earliest = begin - event.duration - timedelta(days=1)
    start = event.start.at
    if earliest <= start:
        return 0
    if rule.freq in _FIXED:
        step = _FIXED[rule.freq] * rule.interval
        return max(0, (earliest - _week_start(start, rule)) // step - 1)
    months = (earliest.year - start.year) * 12 + earliest.month - start.month
    per = rule.interval * (12 if rule.freq == "YEARLY" else 1)
    return max(0, months // per - 1)


def _week_start(moment: datetime, rule: Rule) -> datetime:
    if rule.freq != "WEEKLY":
        return moment
    return moment - timedelta(days=moment.weekday())


def _period_start(start: datetime, rule: Rule, index: int) -> datetime | None:
    """The first instant of period ``index`` (None: a month or year that cannot hold it)."""
    if rule.freq in _FIXED:
        return _week_start(start, rule) + _FIXED[rule.freq] * rule.interval * index
    months = start.month - 1 + index * rule.interval * (12 if rule.freq == "YEARLY" else 1)
    year = start.year + months // 12
    if year > 9999:
        return None
    day = 1 if rule.freq == "MONTHLY" or rule.by_month or rule.by_day else None
    if rule.freq == "YEARLY":
        return start.replace(year=year, month=1 if day else start.month, day=1)
    return start.replace(year=year, month=months % 12 + 1, day=1)


def _expand(anchor: datetime, start: datetime, rule: Rule) -> list[datetime]:
    clock = start.time()
    if rule.freq == "YEARLY":
        days = _yearly_days(anchor, start, rule)
    elif rule.freq == "MONTHLY":
        days = _monthly_days(anchor.year, anchor.month, start, rule)
    elif rule.freq == "WEEKLY":
        weekdays = [d for _, d in rule.by_day] or [start.weekday()]
        days = [datetime.combine(anchor.date(), clock) + timedelta(days=d)
                for d in sorted(set(weekdays))]
        days = [d for d in days if not rule.by_month or d.month in rule.by_month]
        return days
    else:
        return [anchor] if _limits(anchor, rule) else []
    return sorted(datetime.combine(day.date(), clock) for day in days)


def _limits(moment: datetime, rule: Rule) -> bool:
    """BY rules that only filter (DAILY and finer)."""
    if rule.by_month and moment.month not in rule.by_month:
        return False
    if rule.by_month_day and not _month_day_matches(moment, rule.by_month_day):
        return False
    return not rule.by_day or moment.weekday() in {d for _, d in rule.by_day}


def _month_day_matches(moment: datetime, month_days: tuple[int, ...]) -> bool:
    length = calendar.monthrange(moment.year, moment.month)[1]
    return any(moment.day == (d if d > 0 else length + d + 1) for d in month_days)


def _monthly_days(year: int, month: int, start: datetime, rule: Rule) -> list[datetime]:
    if rule.by_month and month not in rule.by_month:
        return []
    length = calendar.monthrange(year, month)[1]
    days = [datetime(year, month, day) for day in range(1, length + 1)]
    if rule.by_month_day:
        days = [d for d in days if _month_day_matches(d, rule.by_month_day)]
    if rule.by_day:
        days = [d for d in days if _weekday_matches(d, rule, length, d.day)]
    if not rule.by_month_day and not rule.by_day:
        days = [d for d in days if d.day == start.day]
    return days


def _yearly_days(anchor: datetime, start: datetime, rule: Rule) -> list[datetime]:
    year = anchor.year
    if rule.by_month or rule.by_month_day or any(n == 0 for n, _ in rule.by_day):
        months = rule.by_month or ((start.month,) if not rule.by_day else tuple(range(1, 13)))
        found: list[datetime] = []
        for month in months:
            found += _monthly_days(year, month, start, rule)
        return found
    if rule.by_day:  # ordinals within the year
        length = 366 if calendar.isleap(year) else 365
        days = [datetime(year, 1, 1) + timedelta(days=n) for n in range(length)]
        return [d for d in days if _weekday_matches(d, rule, length, d.timetuple().tm_yday)]
    try:
        return [datetime(year, start.month, start.day)]
    except ValueError:
        return []  # 29 February in a common year


def _weekday_matches(day: datetime, rule: Rule, length: int, position: int) -> bool:
    for ordinal, weekday in rule.by_day:
        if day.weekday() != weekday:
            continue
        if ordinal == 0:
            return True
        nth = (position - 1) // 7 + 1 if ordinal > 0 else -((length - position) // 7 + 1)
        if nth == ordinal:
            return True
    return False
