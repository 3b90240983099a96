"""Recording history (Search §5.17) derived from recorded ranges, FindEvents order and
start states (§5.9, TS-SEARCH 3-1-11/13/14)."""

from __future__ import annotations

from onvif_recorder.service.events import (
    DomainEvent,
    PropertyOperation,
    RecordingHistoryState,
    TrackHistoryState,
)
from onvif_recorder.service.search.history import (
    EventQuery,
    EventResult,
    RecordingHistory,
    find_events,
)
from onvif_recorder.service.search.recorded import RecordedRange, merged

HISTORY = RecordingHistory("R", ("V", "A", "M"), {
    "V": [RecordedRange(0, 60), RecordedRange(90, 150)],
    "M": [RecordedRange(10, 60)],
})


def everything(_: DomainEvent) -> bool:
    return True


def rows(results: list[EventResult]) -> list[tuple[float, str, bool, bool]]:
    out = []
    for r in results:
        value = r.event.is_recording if isinstance(r.event, RecordingHistoryState) \
            else r.event.is_data_present if isinstance(r.event, TrackHistoryState) else None
        assert value is not None
        out.append((r.time, r.track, value, r.start_state))
    return out


def test_forward_alternates_and_backward_is_the_exact_reverse() -> None:
    forward = find_events([HISTORY], EventQuery(-5, 200, False, everything), 100)
    assert rows(forward) == [
        (0, "", True, False), (0, "V", True, False), (10, "M", True, False),
        (60, "V", False, False), (60, "M", False, False), (60, "", False, False),
        (90, "", True, False), (90, "V", True, False),
        (150, "V", False, False), (150, "", False, False)]
    backward = find_events([HISTORY], EventQuery(200, -5, False, everything), 100)
    assert backward == forward[::-1]
    assert all(r.event.operation is PropertyOperation.CHANGED  # type: ignore[union-attr]
               for r in forward)


def test_endpoints_are_inclusive_and_nothing_lies_outside() -> None:
    found = find_events([HISTORY], EventQuery(60, 90, False, everything), 100)
    assert {r.time for r in found} == {60, 90}


def test_start_state_at_start_point_and_at_end_point_when_backward() -> None:
    forward = find_events([HISTORY], EventQuery(30, 120, True, everything), 100)
    assert rows(forward)[:4] == [(30, "", True, True), (30, "V", True, True),
                                 (30, "A", False, True), (30, "M", True, True)]
    assert [r for r in forward if r.start_state and r.time != 30] == []
    backward = find_events([HISTORY], EventQuery(120, 30, True, everything), 100)
    assert rows(backward)[:4] == [(120, "", True, True), (120, "V", True, True),
                                  (120, "A", False, True), (120, "M", False, True)]
    assert rows(backward)[-4:] == [(30, "", True, True), (30, "V", True, True),
                                   (30, "A", False, True), (30, "M", True, True)]
    assert all(r.event.operation is PropertyOperation.INITIALIZED  # type: ignore[union-attr]
               for r in backward if r.start_state)


def test_an_open_range_has_no_stop() -> None:
    live = RecordingHistory("R", ("V",), {"V": [RecordedRange(0, 50, open=True)]})
    found = find_events([live], EventQuery(0, None, True, everything), 100)
    assert rows(found) == [(0, "", True, True), (0, "V", True, True),
                           (0, "", True, False), (0, "V", True, False)]
    later = find_events([live], EventQuery(70, None, True, everything), 100)
    assert rows(later) == [(70, "", True, True), (70, "V", True, True)]  # still recording


def test_filter_and_max_matches() -> None:
    tracks_only = find_events([HISTORY], EventQuery(0, 200, False,
                                                    lambda e: isinstance(e, TrackHistoryState)), 2)
    assert rows(tracks_only) == [(0, "V", True, False), (10, "M", True, False)]


def test_merged_joins_touching_ranges_only() -> None:
    assert merged([RecordedRange(10, 20), RecordedRange(0, 10), RecordedRange(25, 30)]) == [
        RecordedRange(0, 20, joined=(10,)), RecordedRange(25, 30)]


def test_merged_keeps_every_joined_start_and_the_open_end() -> None:
    spans = [RecordedRange(0, 10), RecordedRange(10, 20), RecordedRange(20, 21, open=True)]
    assert merged(spans) == [RecordedRange(0, 21, True, (10, 20))]
    assert merged(spans)[0].starts == (0, 10, 20)
