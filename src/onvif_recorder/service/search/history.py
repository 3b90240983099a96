"""The recording history of Search §5.17, derived from what was really recorded.

``tns1:RecordingHistory/Recording/State`` turns true where the recording's data starts
(the union of its tracks' ranges) and false where it stops; ``Track/State`` likewise per
track. A range still being written has no stop. FindEvents (§5.9) returns the events
inside [StartPoint, EndPoint] (both inclusive, TS-SEARCH 3-1-13), ascending, or
descending when EndPoint < StartPoint, with the very same values in both directions.
IncludeStartState adds the state at StartPoint (and at EndPoint of a backward search,
TS-SEARCH 3-1-11) as virtual ``Initialized`` events. ``Track/VideoParameters`` and
``AudioParameters`` come from ``search.parameters``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from onvif_recorder.service.events import (
    DomainEvent,
    PropertyOperation,
    RecordingHistoryState,
    TrackHistoryState,
)
from onvif_recorder.service.search.parameters import (
    CachedFacts,
    FactsAt,
    governing_start,
    no_facts,
    parameters_event,
    span_starts,
)
from onvif_recorder.service.search.recorded import (
    RecordedNotification,
    RecordedRange,
    recording_ranges,
    whole_ms,
)

CHANGED, INITIALIZED = PropertyOperation.CHANGED, PropertyOperation.INITIALIZED


@dataclass(frozen=True, slots=True)
class EventResult:
    """tt:FindEventResult; ``track`` is empty for recording-level events."""

    recording: str
    track: str
    time: float
    event: DomainEvent | RecordedNotification
    start_state: bool = False


def _every(_: RecordedNotification) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class EventQuery:
    start: float
    end: float | None  # None: forward without end
    include_start_state: bool
    accepts: Callable[[DomainEvent], bool]
    accepts_recorded: Callable[[RecordedNotification], bool] = _every
    """The same filter over events recorded in metadata tracks."""

    def matches(self, result: EventResult) -> bool:
        if isinstance(result.event, RecordedNotification):
            return self.accepts_recorded(result.event)
        return self.accepts(result.event)

    @property
    def backward(self) -> bool:
        return self.end is not None and self.end < self.start

    @property
    def window(self) -> tuple[float, float]:
        end = math.inf if self.end is None else self.end
        return min(self.start, end), max(self.start, end)


@dataclass(frozen=True, slots=True)
class RecordingHistory:
    """What one recording in scope recorded: every configured track, ranges by track."""

    token: str
    tracks: tuple[str, ...]
    ranges: dict[str, list[RecordedRange]]
    facts_at: FactsAt = no_facts
    """Read only for span starts inside the searched window and for start states."""


def _inside(ranges: list[RecordedRange], moment: float) -> bool:
    return any(r.start <= moment and (moment < r.end or r.open) for r in ranges)


def _changes(ranges: list[RecordedRange]) -> Iterable[tuple[float, bool]]:
    for r in ranges:
        yield r.start, True
        if not r.open:
            yield r.end, False


def _parameters(history: RecordingHistory, facts: FactsAt, low: float, high: float
                ) -> list[tuple[float, float, EventResult]]:
    """A parameters event at every span start of a track in [low, high], right after the
    track's State turns true (rank 1.2) so both directions read it naturally."""
    found: list[tuple[float, float, EventResult]] = []
    for track in history.tracks:
        for start in span_starts(history.ranges.get(track, [])):
            if not within(start, low, high):
                continue
            event = parameters_event(history.token, track, facts(start).get(track), CHANGED)
            if event is not None:
                found.append((start, 1.2, EventResult(history.token, track, start, event)))
    return found


def _real(history: RecordingHistory) -> list[tuple[float, float, EventResult]]:
    """(time, rank, result): at one instant a start comes before its tracks and a stop
    after them, so the order reads naturally in both directions."""
    found: list[tuple[float, float, EventResult]] = []
    for moment, value in _changes(recording_ranges(history.ranges)):
        recording = RecordingHistoryState(history.token, value, CHANGED)
        found.append((moment, 0 if value else 3,
                      EventResult(history.token, "", moment, recording)))
    for track in history.tracks:
        for moment, value in _changes(history.ranges.get(track, [])):
            event = TrackHistoryState(history.token, track, value, CHANGED)
            found.append((moment, 1 if value else 2,
                          EventResult(history.token, track, moment, event)))
    return found


def _states(history: RecordingHistory, facts: FactsAt, moment: float) -> list[EventResult]:
    recording = _inside(recording_ranges(history.ranges), moment)
    states = [EventResult(history.token, "", moment,
                          RecordingHistoryState(history.token, recording, INITIALIZED), True)]
    for track in history.tracks:
        present = _inside(history.ranges.get(track, []), moment)
        event = TrackHistoryState(history.token, track, present, INITIALIZED)
        states.append(EventResult(history.token, track, moment, event, True))
    return states + _parameter_states(history, facts, moment)


def _parameter_states(history: RecordingHistory, facts: FactsAt, moment: float
                      ) -> list[EventResult]:
    states = []
    for track in history.tracks:
        start = governing_start(history.ranges.get(track, []), moment)
        if start is None:
            continue
        event = parameters_event(history.token, track, facts(start).get(track), INITIALIZED)
        if event is not None:
            states.append(EventResult(history.token, track, moment, event, True))
    return states


def within(moment: float, low: float, high: float) -> bool:
    """Compared at the millisecond precision of the answers: an EndPoint equal to the
    LatestRecording a client was told includes the stop at that instant (3-1-13)."""
    return whole_ms(low) <= whole_ms(moment) and (high == math.inf
                                                  or whole_ms(moment) <= whole_ms(high))


def find_events(histories: Iterable[RecordingHistory], query: EventQuery, limit: int,
                recorded: Iterable[EventResult] = ()) -> list[EventResult]:
    """Every matching event in search order, at most ``limit`` of them: the recording
    history and the ``recorded`` events of metadata tracks (between a range's start and
    its stop at the same instant)."""
    histories = list(histories)
    low, high = query.window
    facts = {h.token: CachedFacts(h.facts_at) for h in histories}
    found = [item for h in histories for item in _real(h)]
    found += [item for h in histories for item in _parameters(h, facts[h.token], low, high)]
    found += [(r.time, 1.5, r) for r in recorded]
    real = [item for item in found if within(item[0], low, high)]
    # Stable: same-time events keep scope order (recordings, then configured tracks).
    real.sort(key=lambda item: (item[0], item[1]))
    ordered = [item[2] for item in (reversed(real) if query.backward else real)]
    if query.include_start_state:
        ordered = [s for h in histories
                   for s in _states(h, facts[h.token], query.start)] + ordered
        if query.backward and query.end is not None:
            ordered += [s for h in histories for s in _states(h, facts[h.token], query.end)]
    return [r for r in ordered if query.matches(r)][:limit]
