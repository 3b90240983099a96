"""What gates an Active recording job besides its Mode: its schedule (RC §5.3.3) and its
event filter (RC §5.3.4): when both are configured, both must hold.

A job with a ``ScheduleToken`` records only while that schedule exists and is active;
meanwhile a lower-priority job on the same tracks may record (RC §4.1.2), so the gate
is applied inside Annex A arbitration (``arbitrate(..., eligible)``), by every caller.
The set of active schedules is volatile (derived from the clock, never stored): the
schedule clock updates it and ``StateHolder.conditions_changed`` re-runs whatever follows
from arbitration (job states, recording tasks, receivers).
"""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.domain.job import RecordingJob


@dataclass(frozen=True, slots=True)
class EventWindow:
    """An event job's current recording window (RC §5.3.4)."""

    start: float
    """POSIX time of the event that opened it: a pre-event buffer records from there
    minus ``Before``."""
    topic: str
    """That event's topic, e.g. ``tns1:VideoSource/MotionAlarm`` (RC B.9 ``EventTopic``)."""


class JobConditions:
    def __init__(self) -> None:
        self.active_schedules: frozenset[str] = frozenset()
        self.triggered_jobs: frozenset[str] = frozenset()
        self.windows: dict[str, EventWindow] = {}
        """Triggered job → the window it records in now."""

    def eligible(self, job: RecordingJob) -> bool:
        schedule = job.configuration.schedule_token
        if schedule is not None and schedule not in self.active_schedules:
            return False
        return job.configuration.event_filter is None or job.token in self.triggered_jobs

    def may_connect(self, job: RecordingJob) -> bool:
        """Whether the job's sources should be connected: an event job waiting for its
        event stays connected (its events may come in the camera's own metadata stream,
        and recording starts without a connection delay); its schedule still decides."""
        schedule = job.configuration.schedule_token
        return schedule is None or schedule in self.active_schedules

    def set_triggered_jobs(self, tokens: frozenset[str]) -> bool:
        """Returns whether anything changed."""
        changed = tokens != self.triggered_jobs
        self.triggered_jobs = tokens
        return changed

    def set_active_schedules(self, tokens: frozenset[str]) -> bool:
        """Returns whether anything changed."""
        changed = tokens != self.active_schedules
        self.active_schedules = tokens
        return changed
