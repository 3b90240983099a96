"""FindPTZPosition (Search §5.11): PTZ positions recorded in metadata tracks. Pure.

A metadata document (``tt:MetadataStream``) may carry ``tt:PTZ/tt:PTZStatus/tt:Position``;
each position is matched at the document's time on the recorder's timeline (the time
FindMetadata answers too), only within the search window (§5.11: "shall not locate the
PTZ position at the start of the search interval"). The PTZPositionFilter is a volume
between MinPosition and MaxPosition, compared per component the filter names (pan, tilt,
zoom; a component the filter leaves out is not constrained, a constrained component the
position lacks is outside). ``EnterOrExit`` false reports every position inside the
volume; true reports the positions where a track's consecutive positions within the
window cross the volume's border (the first position inside after one outside, and the
first outside after one inside). A backward search answers the same results in
descending time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from onvif_recorder.service.search.recorded import MetadataSample


@dataclass(frozen=True, slots=True)
class PtzVector:
    """tt:PTZVector: each component optional (pan = PanTilt x, tilt = PanTilt y)."""

    pan: float | None = None
    tilt: float | None = None
    zoom: float | None = None

    def components(self) -> tuple[float | None, float | None, float | None]:
        return self.pan, self.tilt, self.zoom


PtzReader = Callable[[MetadataSample], list[PtzVector]]
"""The PTZ positions of one recorded metadata document (an XML adapter, injected)."""


@dataclass(frozen=True, slots=True)
class PtzQuery:
    start: float
    end: float | None
    low: PtzVector
    high: PtzVector
    enter_or_exit: bool

    @property
    def backward(self) -> bool:
        return self.end is not None and self.end < self.start

    @property
    def window(self) -> tuple[float, float]:
        end = math.inf if self.end is None else self.end
        return min(self.start, end), max(self.start, end)

    def inside(self, position: PtzVector) -> bool:
        for value, low, high in zip(position.components(), self.low.components(),
                                    self.high.components(), strict=True):
            if low is None and high is None:
                continue
            if value is None or (low is not None and value < low) or \
                    (high is not None and value > high):
                return False
        return True


@dataclass(frozen=True, slots=True)
class PtzResult:
    """tt:FindPTZPositionResult."""

    recording: str
    track: str
    time: float
    position: PtzVector


def ptz_matches(recording: str, positions: list[tuple[str, float, PtzVector]],
                query: PtzQuery) -> list[PtzResult]:
    """The matches among one recording's ``(track, time, position)`` of the window,
    in ascending time (the caller orders the union of recordings)."""
    found: list[PtzResult] = []
    was_inside: dict[str, bool] = {}
    for track, moment, position in sorted(positions, key=lambda p: p[1]):
        inside = query.inside(position)
        before = was_inside.get(track)
        was_inside[track] = inside
        crossed = before is not None and before != inside
        if crossed if query.enter_or_exit else inside:
            found.append(PtzResult(recording, track, moment, position))
    return found
