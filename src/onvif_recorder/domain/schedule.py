"""Schedules and special-day groups (ONVIF Schedule service, ``tsc:``; PACS types).

Texts are kept exactly as the client wrote them: ``Standard`` and ``Days`` are iCalendar
(read by ``schedules.icalendar``), ``From``/``Until`` are ``xs:time`` values. The official
tests compare what they read back with what they sent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TimePeriod:
    """``tsc:TimePeriod``: active From ≤ t < Until; Until missing = midnight."""

    start: str
    until: str | None = None


@dataclass(frozen=True, slots=True)
class SpecialDaysSchedule:
    group_token: str
    time_ranges: tuple[TimePeriod, ...] = ()
    """Empty: not active at all on the group's days."""


@dataclass(frozen=True, slots=True)
class Schedule:
    token: str
    name: str
    standard: str
    description: str | None = None
    special_days: tuple[SpecialDaysSchedule, ...] = ()


@dataclass(frozen=True, slots=True)
class SpecialDayGroup:
    token: str
    name: str
    description: str | None = None
    days: str | None = None
