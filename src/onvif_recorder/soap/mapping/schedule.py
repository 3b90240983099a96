"""tsc: schedules, special-day groups, their info, state and capabilities (Sched §5)."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.errors import InvalidArgs, InvalidArgVal
from onvif_recorder.domain.schedule import (
    Schedule,
    SpecialDayGroup,
    SpecialDaysSchedule,
    TimePeriod,
)
from onvif_recorder.schedules.state import ScheduleState
from onvif_recorder.service.schedules import ScheduleCapabilities
from onvif_recorder.soap.mapping.primitives import Reader, sub, xs_boolean
from onvif_recorder.soap.namespaces import TSC, qname


def tsc(name: str) -> str:
    return qname(TSC, name)


def read_schedule(element: etree._Element) -> Schedule:
    reader = Reader(element, InvalidArgVal)
    return Schedule(
        token=(element.get("token") or "").strip(),
        name=reader.text("Name"),
        description=reader.optional_text("Description"),
        standard=reader.text("Standard"),
        special_days=tuple(_read_special_days(r) for r in reader.children("SpecialDays")),
    )


def _read_special_days(reader: Reader) -> SpecialDaysSchedule:
    return SpecialDaysSchedule(
        group_token=reader.text("GroupToken").strip(),
        time_ranges=tuple(TimePeriod(r.text("From").strip(), _optional(r, "Until"))
                          for r in reader.children("TimeRange")))


def _optional(reader: Reader, name: str) -> str | None:
    value = reader.optional_text(name)
    return None if value is None else value.strip()


def read_group(element: etree._Element) -> SpecialDayGroup:
    reader = Reader(element, InvalidArgVal)
    return SpecialDayGroup(
        token=(element.get("token") or "").strip(),
        name=reader.text("Name"),
        description=reader.optional_text("Description"),
        days=reader.optional_text("Days"),
    )


def read_tokens(request: etree._Element) -> list[str]:
    tokens = [r.value.strip() for r in Reader(request).children("Token")]
    if not tokens:
        raise InvalidArgs("at least one Token is required")
    return tokens


def read_page(request: etree._Element) -> tuple[int | None, str | None]:
    reader = Reader(request)
    limit = reader.integer("Limit") if reader.child("Limit") is not None else None
    return limit, _optional(reader, "StartReference")


def _info(parent: etree._Element, tag: str, token: str, name: str,
          description: str | None) -> etree._Element:
    element = sub(parent, tsc(tag))
    element.set("token", token)
    sub(element, tsc("Name"), name)
    if description is not None:
        sub(element, tsc("Description"), description)
    return element


def write_schedule_info(parent: etree._Element, schedule: Schedule) -> None:
    _info(parent, "ScheduleInfo", schedule.token, schedule.name, schedule.description)


def write_schedule(parent: etree._Element, tag: str, schedule: Schedule) -> None:
    element = _info(parent, tag, schedule.token, schedule.name, schedule.description)
    sub(element, tsc("Standard"), schedule.standard)
    for special in schedule.special_days:
        entry = sub(element, tsc("SpecialDays"))
        sub(entry, tsc("GroupToken"), special.group_token)
        for period in special.time_ranges:
            span = sub(entry, tsc("TimeRange"))
            sub(span, tsc("From"), period.start)
            if period.until is not None:
                sub(span, tsc("Until"), period.until)


def write_group_info(parent: etree._Element, group: SpecialDayGroup) -> None:
    _info(parent, "SpecialDayGroupInfo", group.token, group.name, group.description)


def write_group(parent: etree._Element, tag: str, group: SpecialDayGroup) -> None:
    element = _info(parent, tag, group.token, group.name, group.description)
    if group.days is not None:
        sub(element, tsc("Days"), group.days)


def write_state(parent: etree._Element, state: ScheduleState, with_special_day: bool) -> None:
    element = sub(parent, tsc("ScheduleState"))
    sub(element, tsc("Active"), xs_boolean(state.active))
    if with_special_day:  # SCHEDULE-6-1-1: present iff the schedule has SpecialDays
        sub(element, tsc("SpecialDay"), xs_boolean(state.special_day))


def write_capabilities(parent: etree._Element, caps: ScheduleCapabilities) -> etree._Element:
    element = sub(parent, tsc("Capabilities"))
    for name, value in (
        ("MaxLimit", caps.max_limit), ("MaxSchedules", caps.max_schedules),
        ("MaxTimePeriodsPerDay", caps.max_time_periods_per_day),
        ("MaxSpecialDayGroups", caps.max_special_day_groups),
        ("MaxDaysInSpecialDayGroup", caps.max_days_in_special_day_group),
        ("MaxSpecialDaysSchedules", caps.max_special_days_schedules),
    ):
        element.set(name, str(value))
    for name, flag in (
        ("ExtendedRecurrenceSupported", caps.extended_recurrence_supported),
        ("SpecialDaysSupported", caps.special_days_supported),
        ("StateReportingSupported", caps.state_reporting_supported),
        ("ClientSuppliedTokenSupported", caps.client_supplied_token_supported),
    ):
        element.set(name, xs_boolean(flag))
    return element
