"""Keeps the job conditions current: schedule edges and event-recording windows.

One task: take the events the event-recording jobs want (a bus subscriber, woken on
publish), refresh the schedule states (``ScheduleStates.refresh``) and the event
triggers (``events.triggers``), hand both to ``JobConditions``, then sleep until the next
edge either returned or until a commit or an event wakes it. No polling: a schedule that
changes at 18:00:00 is refreshed at 18:00:00, an ``After`` window ends on time. The
subscriber exists only while some job has an EventFilter. When a commit adds an event
job, the bus re-sends ``Initialized`` for every property, so a condition that is already
true (motion going on) triggers the new job at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from onvif_recorder.events.triggers import EventTriggers
from onvif_recorder.service.events import DomainEvent, EventBus, Subscriber
from onvif_recorder.service.schedule_states import ScheduleStates
from onvif_recorder.service.state import StateHolder

LATE = 0.002
"""Wake this much after an edge: the loop's monotonic clock and the wall clock differ by
rounding, and waking before the edge would only find no change and sleep again."""
BATCH = 1000


class ConditionClock:
    def __init__(self, schedules: ScheduleStates, holder: StateHolder, bus: EventBus,
                 clock: Callable[[], float] = time.time) -> None:
        self._schedules = schedules
        self._holder = holder
        self._bus = bus
        self._clock = clock
        self.triggers = EventTriggers()
        self._jobs_seen: frozenset[str] = frozenset()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._events: Subscriber | None = None
        holder.observe(self.changed)

    def changed(self) -> None:
        """Thread-safe: a commit or an event asks for a refresh."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="condition clock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._events is not None:
            self._bus.unsubscribe(self._events)
            self._events = None
        self._loop = None

    def _wants(self, event: DomainEvent) -> bool:
        return not self.triggers.empty and self.triggers.wants(event)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            next_edge = self.refresh(self._clock())
            delay = max(0.0, next_edge - self._clock()) + LATE
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    def refresh(self, now: float) -> float:
        """Bring the conditions up to ``now``; returns the time of the next edge."""
        self._follow_jobs()
        while self._events is not None and (batch := self._events.take(BATCH)):
            for notification in batch:
                self.triggers.observe(notification.event, notification.utc_time.timestamp())
        next_schedule = self._schedules.refresh(now)
        self._holder.conditions.windows = self.triggers.windows(now)
        if self._holder.conditions.set_triggered_jobs(self.triggers.active(now)):
            self._holder.conditions_changed()
        next_window = self.triggers.next_change(now)
        return next_schedule if next_window is None else min(next_schedule, next_window)

    def _follow_jobs(self) -> None:
        jobs = self._holder.state.jobs
        with_filter = frozenset(t for t, j in jobs.items() if j.configuration.event_filter)
        self.triggers.configure(jobs.values())
        if with_filter and self._events is None:
            self._events = self._bus.subscribe(self._wants)  # with the properties' values
            self._events.listener = self.changed
        elif with_filter - self._jobs_seen and self._events is not None:
            self._bus.synchronize(self._events)
        elif not with_filter and self._events is not None:
            self._bus.unsubscribe(self._events)
            self._events = None
        self._jobs_seen = with_filter
