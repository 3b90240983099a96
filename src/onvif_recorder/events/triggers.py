"""Which event-recording jobs are triggered now (RC §5.3.4), from the events they see.

A job's ``EventFilter`` is one or more (Topic, Source) pairs, OR-ed; inside a pair both
must match (Core §9.6.3 topic expressions, §9.4.4 ItemFilter on the message's items).
What "the condition is active" means (requirements digest §3.3):

* a **property** event (one with a PropertyOperation) is an instance, identified by its
  topic and Source items; it is active while one of its Data items is ``true`` and ends
  on ``false`` or ``Deleted``; a property without a boolean Data item triggers like a
  momentary event on every ``Changed``;
* a **momentary** event (no PropertyOperation) has no duration: the job records for
  ``MOMENTARY_HOLD`` (enough for the next sync sample: "at least one I-frame") plus
  ``After``;
* when the last instance ends, the job goes on for ``After``; overlapping events extend
  one window.

Time is passed in (POSIX seconds), and ``next_change`` tells the caller when a window
ends, so one timer does the rest (``engine.condition_clock``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from onvif_recorder.domain.job import EventFilterEntry, RecordingEventFilter, RecordingJob
from onvif_recorder.events.errors import EventServiceError
from onvif_recorder.events.item_filter import ITEM_FILTER, ContentFilter, parse_item_filter
from onvif_recorder.events.topic_expression import (
    CONCRETE_SET,
    TopicExpression,
    parse_topic_expression,
)
from onvif_recorder.events.topics import TOPIC_NAMESPACE, Message, message_of
from onvif_recorder.service.events import DomainEvent
from onvif_recorder.service.job_conditions import EventWindow

MOMENTARY_HOLD = 3.0
"""Seconds a momentary event keeps a job recording before ``After``: one GOP of a typical
camera (1-2 s) plus the time to start writing."""
_SCHEMA = "http://www.onvif.org/ver10/schema"
_DEFAULTS = {"tns1": TOPIC_NAMESPACE, "tt": _SCHEMA}

Instance = tuple[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class CompiledFilter:
    topic: TopicExpression
    source: ContentFilter | None

    def matches(self, message: Message) -> bool:
        return self.topic.matches(message.topic) and (
            self.source is None or self.source(message))


def compile_entry(entry: EventFilterEntry) -> CompiledFilter:
    """Raises ``EventServiceError`` (the caller's BadConfiguration) for a bad filter."""
    declared = dict(entry.namespaces)

    def resolve(prefix: str) -> str | None:
        return declared.get(prefix) or _DEFAULTS.get(prefix)

    # ``known=None``: a camera's topics (metadata streams) are not ours to list.
    topic = parse_topic_expression(entry.topic, CONCRETE_SET, resolve, known=None)
    source = (None if entry.source is None
              else parse_item_filter(entry.source, ITEM_FILTER, resolve))
    return CompiledFilter(topic, source)


def check_filter(event_filter: RecordingEventFilter) -> str | None:
    """Why the filter cannot be used, or None."""
    for entry in event_filter.filters:
        try:
            compile_entry(entry)
        except EventServiceError as exc:
            return f"EventFilter {entry.topic[:100]!r}: {exc}"
    return None


@dataclass(slots=True)
class _JobTriggers:
    configured: RecordingEventFilter
    filters: tuple[CompiledFilter, ...]
    after: float
    active: set[Instance] = field(default_factory=set)
    until: float = 0.0
    """End of the current window after the last instance ended (POSIX seconds)."""
    since: float = 0.0
    """When the current (or last) window began: the event that opened it (the pre-event
    buffer records from ``since - Before``)."""
    topic: str = ""
    """The topic of that event (RC B.9 ``EventTopic``)."""

    def recording(self, now: float) -> bool:
        return bool(self.active) or self.until > now


class EventTriggers:
    def __init__(self) -> None:
        self._jobs: dict[str, _JobTriggers] = {}

    def configure(self, jobs: Iterable[RecordingJob]) -> None:
        """Follow the event filters of ``jobs``; a job whose filter is unchanged keeps its
        triggers (a commit in the middle of an event does not end the event)."""
        current: dict[str, _JobTriggers] = {}
        for job in jobs:
            event_filter = job.configuration.event_filter
            if event_filter is None:
                continue
            known = self._jobs.get(job.token)
            if known is not None and known.configured == event_filter:
                current[job.token] = known
                continue
            after = float(event_filter.after.seconds) if event_filter.after else 0.0
            filters = tuple(compile_entry(e) for e in event_filter.filters)
            current[job.token] = _JobTriggers(event_filter, filters, after)
        self._jobs = current

    @property
    def empty(self) -> bool:
        return not self._jobs

    def wants(self, event: DomainEvent) -> bool:
        message = message_of(event)
        return any(f.matches(message) for job in self._jobs.values() for f in job.filters)

    def observe(self, event: DomainEvent, now: float) -> None:
        message = message_of(event)
        for job in self._jobs.values():
            if any(f.matches(message) for f in job.filters):
                waiting = not job.recording(now)
                _apply(job, message, now)
                if waiting and job.recording(now):
                    job.since, job.topic = now, message.topic.text

    def active(self, now: float) -> frozenset[str]:
        return frozenset(token for token, job in self._jobs.items() if job.recording(now))

    def windows(self, now: float) -> dict[str, EventWindow]:
        """Job token → its current window, for the jobs in one."""
        return {token: EventWindow(job.since, job.topic)
                for token, job in self._jobs.items() if job.recording(now)}

    def next_change(self, now: float) -> float | None:
        ends = [job.until for job in self._jobs.values() if not job.active and job.until > now]
        return min(ends, default=None)


def _apply(job: _JobTriggers, message: Message, now: float) -> None:
    operation = None if message.operation is None else message.operation.value
    instance: Instance = (message.topic.text, message.source)
    flags = [value for _, value in message.data if value in ("true", "false")]
    if operation == "Deleted" or (operation is not None and flags and "true" not in flags):
        if instance in job.active:
            job.active.discard(instance)
            if not job.active:
                job.until = max(job.until, now + job.after)
    elif operation is not None and flags:
        job.active.add(instance)
    elif operation in (None, "Changed"):  # momentary, or a property without a flag
        job.until = max(job.until, now + MOMENTARY_HOLD + job.after)
