"""Event-recording triggers (RC §5.3.4): which jobs an event stream keeps recording."""

from __future__ import annotations

import pytest

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import (
    EventFilterEntry,
    JobMode,
    RecordingEventFilter,
    RecordingJob,
    RecordingJobConfiguration,
)
from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.events.errors import EventServiceError
from onvif_recorder.events.triggers import MOMENTARY_HOLD, EventTriggers, check_filter
from onvif_recorder.service import events as ev

P = ev.PropertyOperation
STATE = "tns1:Schedule/State/Active"
CREATE = "tns1:RecordingConfig/CreateRecording"


def job(token: str, *entries: EventFilterEntry, after: str | None = None) -> RecordingJob:
    duration = None if after is None else XsDuration.parse(after)
    configuration = RecordingJobConfiguration("Recording_1", JobMode.ACTIVE, 1, (),
                                              event_filter=RecordingEventFilter(
                                                  entries, None, duration))
    return RecordingJob(token, configuration)


def schedule(token: str, active: bool | None, operation: P = P.CHANGED) -> ev.DomainEvent:
    return ev.ScheduleStateChanged(token, "n", operation, active, False)


# (filter entries, after, [(time, event)], [(time, expected active jobs)])
CASES = [
    ("property on, then off, then After",
     [EventFilterEntry(STATE)], "PT10S",
     [(0, schedule("S1", True)), (5, schedule("S1", False))],
     [(1, True), (5, True), (14.9, True), (15, False)]),
    ("Initialized true counts, Deleted ends",
     [EventFilterEntry(STATE)], None,
     [(0, schedule("S1", True, P.INITIALIZED)), (3, schedule("S1", None, P.DELETED))],
     [(2, True), (3, False)]),
    ("two instances: the window runs from the last one's end",
     [EventFilterEntry(STATE)], "PT2S",
     [(0, schedule("S1", True)), (1, schedule("S2", True)), (2, schedule("S1", False)),
      (6, schedule("S2", False))],
     [(4, True), (7.9, True), (8, False)]),
    ("Source filter picks one instance",
     [EventFilterEntry(STATE, (), 'boolean(//tt:SimpleItem[@Name="ScheduleToken" and '
                                  '@Value="S2"])')], None,
     [(0, schedule("S1", True))],
     [(1, False)]),
    ("momentary event: at least the hold, plus After",
     [EventFilterEntry(CREATE)], "PT5S",
     [(10, ev.RecordingCreated("R"))],
     [(10, True), (10 + MOMENTARY_HOLD + 4.9, True), (10 + MOMENTARY_HOLD + 5, False)]),
    ("filters are OR-ed; other topics do nothing",
     [EventFilterEntry(CREATE), EventFilterEntry("tns1:Receiver//.")], None,
     [(0, ev.ReceiverConnectionFailed("V", "rtsp://x/")), (0, ev.TrackCreated("R", "T"))],
     [(1, True), (MOMENTARY_HOLD, False)]),
    ("a prefix declared in the request",
     [EventFilterEntry("o:Schedule/State//.", (("o", "http://www.onvif.org/ver10/topics"),))],
     None, [(0, schedule("S1", True))], [(1, True)]),
    ("a camera's topic may be anything: no match, no fault",
     [EventFilterEntry("tns1:VideoSource/MotionAlarm")], None,
     [(0, ev.ReceiverStateChanged("V", ReceiverState.CONNECTED))], [(1, False)]),
]


@pytest.mark.parametrize(("name", "entries", "after", "events", "checks"), CASES,
                         ids=[c[0] for c in CASES])
def test_triggers(name: str, entries: list[EventFilterEntry], after: str | None,
                  events: list[tuple[float, ev.DomainEvent]],
                  checks: list[tuple[float, bool]]) -> None:
    triggers = EventTriggers()
    triggers.configure([job("J", *entries, after=after)])
    for moment, event in events:
        triggers.observe(event, moment)
    for moment, expected in checks:
        assert (triggers.active(moment) == {"J"}) is expected, moment


def test_wants_only_what_a_filter_matches() -> None:
    triggers = EventTriggers()
    assert not triggers.wants(schedule("S1", True))
    triggers.configure([job("J", EventFilterEntry(STATE))])
    assert triggers.wants(schedule("S1", True))
    assert not triggers.wants(ev.RecordingCreated("R"))


def test_next_change_is_the_end_of_the_window() -> None:
    triggers = EventTriggers()
    triggers.configure([job("J", EventFilterEntry(STATE), after="PT10S")])
    triggers.observe(schedule("S1", True), 0)
    assert triggers.next_change(1) is None  # open-ended while the condition holds
    triggers.observe(schedule("S1", False), 5)
    assert triggers.next_change(6) == 15


def test_a_commit_with_the_same_filter_keeps_the_state() -> None:
    triggers = EventTriggers()
    triggers.configure([job("J", EventFilterEntry(STATE))])
    triggers.observe(schedule("S1", True), 0)
    triggers.configure([job("J", EventFilterEntry(STATE)), job("K", EventFilterEntry(CREATE))])
    assert triggers.active(1) == {"J"}
    triggers.configure([])
    assert triggers.active(1) == frozenset() and triggers.empty


@pytest.mark.parametrize("entry", [
    EventFilterEntry("tns1:Schedule/State/Active|"),
    EventFilterEntry("nope:Schedule"),
    EventFilterEntry(STATE, (), "boolean(//tt:SimpleItem[@Name=1])"),
])
def test_bad_filters_are_named(entry: EventFilterEntry) -> None:
    problem = check_filter(RecordingEventFilter((entry,)))
    assert problem is not None and "EventFilter" in problem
    with pytest.raises(EventServiceError):
        EventTriggers().configure([job("J", entry)])
