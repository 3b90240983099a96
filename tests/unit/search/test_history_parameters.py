"""Track/VideoParameters and AudioParameters (Search §5.17) derived from the recorded
ranges and the media facts at each span start, forward, backward and as start states."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from onvif_recorder.service.events import (
    DomainEvent,
    PropertyOperation,
    TrackAudioParameters,
    TrackVideoParameters,
    VideoRateControl,
)
from onvif_recorder.service.search.history import (
    EventQuery,
    EventResult,
    RecordingHistory,
    find_events,
)
from onvif_recorder.service.search.parameters import parameters_event
from onvif_recorder.service.search.recorded import (
    AudioFacts,
    MetadataFacts,
    RecordedRange,
    TrackFacts,
)
from onvif_recorder.service.search.recorded import VideoFacts as Video

# V changes resolution at 90 (a new span); A has one range; M is a metadata track.
FACTS: dict[float, dict[str, TrackFacts]] = {
    0: {"V": Video("H264", 640, 360, 25.0), "A": AudioFacts("AAC", 16, 32),
        "M": MetadataFacts()},
    90: {"V": Video("H265", 1920, 1080, 30.0), "M": MetadataFacts()},
}
RANGES = {"V": [RecordedRange(0, 60), RecordedRange(90, 150)],
          "A": [RecordedRange(0, 60)], "M": [RecordedRange(0, 60), RecordedRange(90, 150)]}


class Reads:
    def __init__(self) -> None:
        self.at: list[float] = []

    def __call__(self, moment: float) -> Mapping[str, TrackFacts]:
        self.at.append(moment)
        return FACTS.get(moment, {})


def is_parameters(event: DomainEvent) -> bool:
    return isinstance(event, TrackVideoParameters | TrackAudioParameters)


def rows(results: list[EventResult]) -> list[tuple[float, str, tuple[object, ...], bool]]:
    out: list[tuple[float, str, tuple[object, ...], bool]] = []
    for r in results:
        e = r.event
        if isinstance(e, TrackVideoParameters):
            out.append((r.time, r.track, (e.encoding, e.width, e.height), r.start_state))
        elif isinstance(e, TrackAudioParameters):
            out.append((r.time, r.track, (e.encoding, e.samplerate_khz, e.bitrate_kbps),
                        r.start_state))
    return out


def search(start: float, end: float | None, start_state: bool, reads: Reads
           ) -> list[EventResult]:
    history = RecordingHistory("R", ("V", "A", "M"), RANGES, reads)
    return find_events([history], EventQuery(start, end, start_state, is_parameters), 100)


@pytest.mark.parametrize(("start", "end", "expected"), [
    (-5, 200, [(0, "V", ("H264", 640, 360), False), (0, "A", ("AAC", 16, 32), False),
               (90, "V", ("H265", 1920, 1080), False)]),
    (0, 60, [(0, "V", ("H264", 640, 360), False), (0, "A", ("AAC", 16, 32), False)]),
    (60, 90, [(90, "V", ("H265", 1920, 1080), False)]),  # inclusive EndPoint
    (61, 89, []),
])
def test_one_event_at_each_range_start_backward_is_the_exact_reverse(
        start: float, end: float, expected: list[tuple[object, ...]]) -> None:
    forward = search(start, end, False, Reads())
    assert rows(forward) == expected
    assert all(r.event.operation is PropertyOperation.CHANGED  # type: ignore[union-attr]
               for r in forward)
    assert search(end, start, False, Reads()) == forward[::-1]


@pytest.mark.parametrize(("start", "end", "first", "last"), [
    # Inside the first span, in the gap (the property keeps its value), in the second.
    (30, None, [(30, "V", ("H264", 640, 360), True), (30, "A", ("AAC", 16, 32), True)], None),
    (70, None, [(70, "V", ("H264", 640, 360), True), (70, "A", ("AAC", 16, 32), True)], None),
    (-10, None, [(-10, "V", ("H264", 640, 360), True), (-10, "A", ("AAC", 16, 32), True)],
     None),
    (120, 30, [(120, "V", ("H265", 1920, 1080), True), (120, "A", ("AAC", 16, 32), True)],
     [(30, "V", ("H264", 640, 360), True), (30, "A", ("AAC", 16, 32), True)]),
])
def test_start_states_give_the_parameters_in_force(
        start: float, end: float | None, first: list[tuple[object, ...]],
        last: list[tuple[object, ...]] | None) -> None:
    found = search(start, end, True, Reads())
    assert rows(found)[:2] == first
    if last is not None:
        assert rows(found)[-2:] == last
    assert all(r.event.operation is PropertyOperation.INITIALIZED  # type: ignore[union-attr]
               for r in found if r.start_state)


def test_facts_are_read_once_per_range_start_in_the_window() -> None:
    reads = Reads()
    search(-5, 200, True, reads)
    assert sorted(reads.at) == [0, 90]  # start state at -5 reuses the read at 0
    reads = Reads()
    search(61, 89, False, reads)
    assert reads.at == []


def test_unknown_facts_give_no_event() -> None:
    history = RecordingHistory("R", ("V",), {"V": [RecordedRange(0, 50, open=True)]})
    assert find_events([history], EventQuery(0, None, True, is_parameters), 100) == []


def test_a_span_joined_without_a_gap_has_its_own_event() -> None:
    """A codec change starts a new span right where the last one ends: one range for
    Track/State, but the parameters change there (and the start state after it)."""
    facts: dict[float, dict[str, TrackFacts]] = {
        0: {"V": Video("H264", 640, 360, 25.0)}, 30: {"V": Video("H265", 1920, 1080, 30.0)}}
    history = RecordingHistory("R", ("V",), {"V": [RecordedRange(0, 60, joined=(30,))]},
                               lambda moment: facts.get(moment, {}))
    found = find_events([history], EventQuery(0, 60, False, is_parameters), 100)
    assert rows(found) == [(0, "V", ("H264", 640, 360), False),
                           (30, "V", ("H265", 1920, 1080), False)]
    state = find_events([history], EventQuery(45, None, True, is_parameters), 100)
    assert rows(state) == [(45, "V", ("H265", 1920, 1080), True)]


@pytest.mark.parametrize(("facts", "expected"), [
    (Video("H264", 640, 360, 24.96, 1012), VideoRateControl(25, 1, 1012)),
    (Video("H264", 640, 360, 25.0, None), None),  # bitrate not measured
    (Video("H264", 640, 360, 0.4, 8), None),  # less than a frame a second
])
def test_rate_control_says_what_was_recorded_or_nothing(
        facts: Video, expected: VideoRateControl | None) -> None:
    event = parameters_event("R", "V", facts, PropertyOperation.CHANGED)
    assert isinstance(event, TrackVideoParameters) and event.rate_control == expected
