"""FindPTZPosition's matching (Search §5.11, PTZPositionFilter) and the recorded
tt:PTZStatus positions it reads."""

from __future__ import annotations

import pytest

from onvif_recorder.service.search.ptz import PtzQuery, PtzVector, ptz_matches
from onvif_recorder.service.search.recorded import MetadataSample
from onvif_recorder.soap.mapping.ptz_vector import recorded_ptz_positions

VOLUME = (PtzVector(0.0, -0.5, None), PtzVector(0.5, 0.5, None))


def query(enter_or_exit: bool, low: PtzVector = VOLUME[0],
          high: PtzVector = VOLUME[1]) -> PtzQuery:
    return PtzQuery(0.0, None, low, high, enter_or_exit)


def track(*pans: float) -> list[tuple[str, float, PtzVector]]:
    return [("META001", float(n), PtzVector(pan, 0.0, 1.0)) for n, pan in enumerate(pans)]


def test_every_position_inside_the_volume_is_found() -> None:
    found = ptz_matches("R", track(-1.0, 0.0, 0.25, 0.5, 0.75), query(False))
    assert [r.time for r in found] == [1.0, 2.0, 3.0]  # borders are inside
    assert found[0].position == PtzVector(0.0, 0.0, 1.0)


def test_enter_or_exit_reports_the_crossings_only() -> None:
    found = ptz_matches("R", track(0.25, -1.0, 0.1, 0.2, 0.9, 0.9, 0.3), query(True))
    # the first position has no predecessor in the window: no crossing there (§5.11)
    assert [r.time for r in found] == [1.0, 2.0, 4.0, 6.0]


def test_crossings_are_per_track() -> None:
    positions = [("A", 0.0, PtzVector(-1.0, 0.0)), ("B", 1.0, PtzVector(0.2, 0.0)),
                 ("A", 2.0, PtzVector(0.2, 0.0))]
    assert [(r.track, r.time) for r in ptz_matches("R", positions, query(True))] == [("A", 2.0)]


@pytest.mark.parametrize(("position", "inside"), [
    (PtzVector(0.2, 0.0, None), True),  # zoom not constrained by the filter
    (PtzVector(0.2, 0.7, 3.0), False),  # tilt above MaxPosition
    (PtzVector(None, None, 0.3), False),  # pan constrained, but not recorded
])
def test_components_the_filter_names_are_compared(position: PtzVector, inside: bool) -> None:
    assert query(False).inside(position) is inside


def test_zoom_only_filter() -> None:
    only_zoom = query(False, PtzVector(zoom=0.2), PtzVector(zoom=0.6))
    assert only_zoom.inside(PtzVector(5.0, 5.0, 0.4))
    assert not only_zoom.inside(PtzVector(0.0, 0.0, 0.7))


DOCUMENT = (b'<tt:MetadataStream xmlns:tt="http://www.onvif.org/ver10/schema"><tt:PTZ>'
            b'<tt:PTZStatus><tt:Position><tt:PanTilt x="0.25" y="-0.5"/><tt:Zoom x="1"/>'
            b'</tt:Position><tt:UtcTime>2026-12-05T00:00:00Z</tt:UtcTime></tt:PTZStatus>'
            b'<tt:PTZStatus><tt:Position><tt:Zoom x="NaN"/></tt:Position>'
            b'<tt:UtcTime>2026-12-05T00:00:00Z</tt:UtcTime></tt:PTZStatus></tt:PTZ>'
            b'</tt:MetadataStream>')


def test_positions_of_a_recorded_document() -> None:
    sample = MetadataSample("META001", 0.0, DOCUMENT)
    assert recorded_ptz_positions(sample) == [PtzVector(0.25, -0.5, 1.0)]
    assert recorded_ptz_positions(MetadataSample("META001", 0.0, b"<not xml")) == []
