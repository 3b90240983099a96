"""Runs ``ScheduleStates.refresh`` at every schedule edge and after every change.

One task: refresh, then sleep until the next edge it returned or until a commit (a
schedule, group, job or the time zone changed) wakes it, whichever comes first. No
polling: a schedule that changes at 18:00:00 is refreshed at 18:00:00.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from onvif_recorder.service.schedule_states import ScheduleStates
from onvif_recorder.service.state import StateHolder

LATE = 0.002
"""Wake this much after an edge: the loop's monotonic clock and the wall clock differ by
rounding, and waking before the edge would only find no change and sleep again."""


class ScheduleClock:
    def __init__(self, states: ScheduleStates, holder: StateHolder,
                 clock: Callable[[], float] = time.time) -> None:
        self._states = states
        self._clock = clock
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        holder.observe(self.changed)

    def changed(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="schedule clock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._loop = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            next_edge = self._states.refresh(self._clock())
            delay = max(0.0, next_edge - self._clock()) + LATE
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
