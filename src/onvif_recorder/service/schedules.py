"""The Schedule service (Sched §5): schedules and special-day groups, checked and stored.

Texts are stored exactly as written (the official tests compare them) and parsed on every
check; ``ScheduleClock`` (engine) evaluates them. Get-by-token operations skip unknown
tokens (SCHEDULE-2-1-5), refuse more tokens than ``MaxLimit`` (TooManyItems); list
operations page by the token of the next item in creation order, so a reference whose
object was deleted meanwhile is an ``InvalidStartReference``. Creating, modifying or
setting publishes ``tns1:Configuration/Schedule/Changed`` (``SpecialDays`` for groups),
deleting ``…/Removed``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import time
from typing import TypeVar

from onvif_recorder.domain import errors
from onvif_recorder.domain.schedule import (
    Schedule,
    SpecialDayGroup,
    TimePeriod,
)
from onvif_recorder.schedules.icalendar import CalendarError, Event, parse_calendar
from onvif_recorder.schedules.state import Period, SpecialEntry
from onvif_recorder.service.events import ScheduleChanged, SpecialDaysChanged
from onvif_recorder.service.state import Changes, RecorderState, StateHolder

MAX_TOKEN = 64
MAX_NAME = 64
MAX_DESCRIPTION = 1024
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ScheduleCapabilities:
    """``tsc:ServiceCapabilities`` (Sched §5.1)."""

    max_limit: int = 100
    max_schedules: int = 64
    max_time_periods_per_day: int = 16
    max_special_day_groups: int = 32
    max_days_in_special_day_group: int = 64
    max_special_days_schedules: int = 8
    extended_recurrence_supported: bool = True
    special_days_supported: bool = True
    state_reporting_supported: bool = True
    client_supplied_token_supported: bool = True


def parse_time(text: str) -> time:
    """An ``xs:time``; fractions and a zone are accepted and ignored (schedules are local)."""
    match = _TIME.fullmatch(text.strip())
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59 \
            or int(match.group(3)) > 59:
        raise errors.InvalidArgVal(f"{text!r} is not an xs:time")
    return time(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def calendar_of(text: str) -> tuple[Event, ...]:
    try:
        return parse_calendar(text)
    except CalendarError as exc:
        raise errors.InvalidArgVal(f"iCalendar: {exc}") from exc


def special_entries(schedule: Schedule, state: RecorderState) -> list[SpecialEntry]:
    """The schedule's special days, ready for ``schedules.state.evaluate``; a group that
    names no day (no ``Days``) contributes nothing."""
    entries = []
    for special in schedule.special_days:
        group = state.special_day_groups.get(special.group_token)
        days = calendar_of(group.days) if group is not None and group.days else ()
        periods = tuple(Period(parse_time(p.start), None if p.until is None
                               else parse_time(p.until)) for p in special.time_ranges)
        entries.append(SpecialEntry(days, periods))
    return entries


class ScheduleService:
    def __init__(self, holder: StateHolder,
                 capabilities: ScheduleCapabilities | None = None) -> None:
        self.holder = holder
        self.capabilities = capabilities or ScheduleCapabilities()

    # --- schedules (Sched §5.2) ------------------------------------------------------

    def schedules(self, tokens: Sequence[str]) -> list[Schedule]:
        return self._by_tokens(self.holder.state.schedules, tokens)

    def schedule_list(self, limit: int | None, start: str | None
                      ) -> tuple[str | None, list[Schedule]]:
        return self._page(self.holder.state.schedules, limit, start)

    def create_schedule(self, schedule: Schedule) -> str:
        if schedule.token:
            raise errors.InvalidArgVal("CreateSchedule takes no token: the device assigns it")
        if len(self.holder.state.schedules) >= self.capabilities.max_schedules:
            raise errors.MaxSchedules(f"{self.capabilities.max_schedules} schedules exist")
        changes = Changes()
        token = self.holder.next_token("schedule", changes, "Schedule_")
        self._store_schedule(replace(schedule, token=token), changes)
        return token

    def set_schedule(self, schedule: Schedule) -> None:
        if not schedule.token:
            raise errors.InvalidArgs("SetSchedule needs the schedule's token")
        if schedule.token not in self.holder.state.schedules:
            _check_token(schedule.token)
            if len(self.holder.state.schedules) >= self.capabilities.max_schedules:
                raise errors.MaxSchedules(f"{self.capabilities.max_schedules} schedules exist")
        self._store_schedule(schedule, Changes())

    def modify_schedule(self, schedule: Schedule) -> None:
        if not schedule.token:
            raise errors.InvalidArgs("ModifySchedule needs the schedule's token")
        if schedule.token not in self.holder.state.schedules:
            raise errors.NotFound(f"no schedule {schedule.token!r}")
        self._store_schedule(schedule, Changes())

    def delete_schedule(self, token: str) -> None:
        if token not in self.holder.state.schedules:
            raise errors.NotFound(f"no schedule {token!r}")
        # RC §5.3.3: a job naming a schedule that does not exist just does not record.
        self.holder.commit(Changes(deleted_schedules=[token],
                                   events=[ScheduleChanged(token, removed=True)]))

    def _store_schedule(self, schedule: Schedule, changes: Changes) -> None:
        schedule = self._checked_schedule(schedule)
        changes.schedules.append(schedule)
        changes.events.append(ScheduleChanged(schedule.token))
        self.holder.commit(changes)

    def _checked_schedule(self, schedule: Schedule) -> Schedule:
        caps = self.capabilities
        events = calendar_of(schedule.standard)
        if len(schedule.special_days) > caps.max_special_days_schedules:
            raise errors.MaxSpecialDaysSchedules(
                f"at most {caps.max_special_days_schedules} SpecialDays per schedule")
        most = max([_periods_per_day(events)] + [len(s.time_ranges)
                                                 for s in schedule.special_days])
        if most > caps.max_time_periods_per_day:
            raise errors.MaxTimePeriodsPerDay(
                f"{most} periods in a day; at most {caps.max_time_periods_per_day}")
        for special in schedule.special_days:
            if special.group_token not in self.holder.state.special_day_groups:
                raise errors.ReferenceNotFound(f"no special day group {special.group_token!r}")
            for period in special.time_ranges:
                _check_period(period)
        return replace(schedule, name=schedule.name[:MAX_NAME],
                       description=_description(schedule.description))

    # --- special day groups (Sched §5.3) -----------------------------------------------

    def groups(self, tokens: Sequence[str]) -> list[SpecialDayGroup]:
        return self._by_tokens(self.holder.state.special_day_groups, tokens)

    def group_list(self, limit: int | None, start: str | None
                   ) -> tuple[str | None, list[SpecialDayGroup]]:
        return self._page(self.holder.state.special_day_groups, limit, start)

    def create_group(self, group: SpecialDayGroup) -> str:
        if group.token:
            raise errors.InvalidArgVal("CreateSpecialDayGroup takes no token")
        self._check_group_room()
        changes = Changes()
        token = self.holder.next_token("special_day_group", changes, "SpecialDayGroup_")
        self._store_group(replace(group, token=token), changes)
        return token

    def set_group(self, group: SpecialDayGroup) -> None:
        if not group.token:
            raise errors.MissingToken("SetSpecialDayGroup needs the group's token")
        if group.token not in self.holder.state.special_day_groups:
            _check_token(group.token)
            self._check_group_room()
        self._store_group(group, Changes())

    def modify_group(self, group: SpecialDayGroup) -> None:
        if group.token not in self.holder.state.special_day_groups:
            raise errors.NotFound(f"no special day group {group.token!r}")
        self._store_group(group, Changes())

    def delete_group(self, token: str) -> None:
        if token not in self.holder.state.special_day_groups:
            raise errors.NotFound(f"no special day group {token!r}")
        users = [s.token for s in self.holder.state.schedules.values()
                 if any(d.group_token == token for d in s.special_days)]
        if users:
            raise errors.ReferenceInUse(f"schedules {', '.join(users)} use {token!r}")
        self.holder.commit(Changes(deleted_special_day_groups=[token],
                                   events=[SpecialDaysChanged(token, removed=True)]))

    def _check_group_room(self) -> None:
        if len(self.holder.state.special_day_groups) >= self.capabilities.max_special_day_groups:
            raise errors.MaxSpecialDayGroups(
                f"{self.capabilities.max_special_day_groups} special day groups exist")

    def _store_group(self, group: SpecialDayGroup, changes: Changes) -> None:
        if group.days:
            days = calendar_of(group.days)
            if len(days) > self.capabilities.max_days_in_special_day_group:
                raise errors.MaxDaysInSpecialDayGroup(
                    f"at most {self.capabilities.max_days_in_special_day_group} days")
        changes.special_day_groups.append(replace(
            group, name=group.name[:MAX_NAME], description=_description(group.description)))
        changes.events.append(SpecialDaysChanged(group.token))
        self.holder.commit(changes)

    # --- shared ------------------------------------------------------------------------

    def _by_tokens(self, objects: dict[str, T], tokens: Sequence[str]) -> list[T]:
        if len(tokens) > self.capabilities.max_limit:
            raise errors.TooManyItems(f"at most {self.capabilities.max_limit} tokens")
        return [objects[token] for token in tokens if token in objects]

    def _page(self, objects: dict[str, T], limit: int | None, start: str | None
              ) -> tuple[str | None, list[T]]:
        """Sched §5.2.4: at most ``Limit`` items (the device's own when it is missing or
        out of range); NextStartReference only when more follow."""
        tokens = list(objects)
        first = 0
        if start is not None:
            if start not in objects:
                raise errors.InvalidStartReference(f"{start!r} is not a start reference")
            first = tokens.index(start)
        size = self.capabilities.max_limit
        if limit is not None and 1 <= limit < size:
            size = limit
        page = tokens[first:first + size]
        following = tokens[first + size] if first + size < len(tokens) else None
        return following, [objects[token] for token in page]


def _check_token(token: str) -> None:
    if len(token) > MAX_TOKEN:
        raise errors.InvalidArgVal(f"a token has at most {MAX_TOKEN} characters")


def _check_period(period: TimePeriod) -> None:
    start = parse_time(period.start)
    if period.until is not None and parse_time(period.until) <= start:
        raise errors.InvalidArgVal(f"TimePeriod Until {period.until} is not after From "
                                   f"{period.start}")


def _description(text: str | None) -> str | None:
    return None if text is None else text[:MAX_DESCRIPTION]


def _periods_per_day(events: Sequence[Event]) -> int:
    """The most standard periods that fall on one weekday: one per event on each weekday
    it recurs (the official test builds N periods as N events of one day)."""
    counts = [0] * 7
    for event in events:
        days = ({d for _, d in event.rule.by_day} if event.rule and event.rule.by_day
                else set(range(7)))
        for day in days:
            counts[day] += 1
    return max(counts)

