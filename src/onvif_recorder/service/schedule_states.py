"""The ``tns1:Schedule/State/Active`` property and the schedule gate of recording jobs.

``refresh(now)`` evaluates every schedule at ``now`` (in the device time zone), publishes
what changed since the last refresh (``Initialized`` for a new schedule, ``Changed`` when
Active, SpecialDay or the Name changed, ``Deleted`` for one that is gone), hands the set of
active schedules to ``JobConditions`` (RC §5.3.3) and returns when to refresh next: the
first edge of any schedule, so the caller sets one exact timer (engine.schedule_clock).
New subscriptions get ``Initialized`` for every schedule (Sched §6, SCHEDULE-7-1-1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from onvif_recorder.domain import errors
from onvif_recorder.domain.schedule import Schedule
from onvif_recorder.schedules.state import ScheduleState, evaluate
from onvif_recorder.service.events import EventBus, PropertyOperation, ScheduleStateChanged
from onvif_recorder.service.schedules import calendar_of, special_entries
from onvif_recorder.service.state import StateHolder


@dataclass(frozen=True, slots=True)
class _Published:
    name: str
    active: bool
    special_day: bool


class ScheduleStates:
    def __init__(self, holder: StateHolder, bus: EventBus, zone: Callable[[], tzinfo]) -> None:
        self._holder = holder
        self._bus = bus
        self._zone = zone
        self._published: dict[str, _Published] = {}
        bus.add_property_source(self.initialized)

    def state(self, token: str, now: float) -> ScheduleState:
        """GetScheduleState (Sched §5.4.2)."""
        schedule = self._holder.state.schedules.get(token)
        if schedule is None:
            raise errors.NotFound(f"no schedule {token!r}")
        return self._evaluate(schedule, now)

    def initialized(self) -> list[ScheduleStateChanged]:
        return [ScheduleStateChanged(token, seen.name, PropertyOperation.INITIALIZED,
                                     seen.active, seen.special_day)
                for token, seen in self._published.items()]

    def refresh(self, now: float) -> float:
        """Publish the changes at ``now``; returns the time of the next possible change."""
        schedules = self._holder.state.schedules
        states = {token: self._evaluate(s, now) for token, s in schedules.items()}
        events = [ScheduleStateChanged(token, seen.name, PropertyOperation.DELETED, None)
                  for token, seen in self._published.items() if token not in states]
        current: dict[str, _Published] = {}
        for token, state in states.items():
            seen = _Published(schedules[token].name, state.active, state.special_day)
            current[token] = seen
            old = self._published.get(token)
            if old != seen:
                operation = (PropertyOperation.INITIALIZED if old is None
                             else PropertyOperation.CHANGED)
                events.append(ScheduleStateChanged(token, seen.name, operation, seen.active,
                                                   seen.special_day))
        self._published = current
        if events:
            self._bus.publish(*events)
        active = frozenset(token for token, state in states.items() if state.active)
        if self._holder.conditions.set_active_schedules(active):
            self._holder.conditions_changed()
        return min((s.next_change or s.recheck for s in states.values()), default=now + 3600)

    def _evaluate(self, schedule: Schedule, now: float) -> ScheduleState:
        state = self._holder.state
        return evaluate(calendar_of(schedule.standard), special_entries(schedule, state),
                        self._zone(), now)
