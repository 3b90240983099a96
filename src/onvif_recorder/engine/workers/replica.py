"""A worker's copy of the configuration, replaced whole by each ``Snapshot``.

The engine's parts take a ``StateHolder`` and observe its commits; here nothing is ever
committed: a snapshot replaces the state and the volatile conditions (schedules, event
windows, segment duration overrides) and tells the observers, as ``conditions_changed``
does in the front end.
"""

from __future__ import annotations

from onvif_recorder.engine.workers.messages import Snapshot
from onvif_recorder.service.state import Changes, RecorderState, StateHolder


class _NoStore:
    """A replica is never committed to: the front end owns the configuration."""

    def load(self) -> RecorderState:
        return RecorderState()

    def commit(self, changes: Changes) -> None:
        raise RuntimeError("a worker's configuration replica cannot be changed")

    def close(self) -> None:
        pass


class Replica:
    def __init__(self) -> None:
        self.holder = StateHolder(_NoStore())

    def apply(self, snapshot: Snapshot) -> None:
        holder = self.holder
        holder.state = snapshot.state
        conditions = holder.conditions
        conditions.set_active_schedules(snapshot.active_schedules)
        conditions.set_triggered_jobs(snapshot.triggered_jobs)
        conditions.windows = dict(snapshot.windows)
        holder.overrides.replace(snapshot.overrides)
        holder.conditions_changed()
