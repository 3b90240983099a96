"""The optional history topics ``Track/VideoParameters`` and ``Track/AudioParameters``
(Search §5.17): "sent whenever any of these properties change", derived from what was
really recorded, like the other RecordingHistory events.

The recorder starts a new span whenever a track's codec parameters change, so a change
can only happen where a track's range starts: one event there, with the parameters of
the segment holding that instant. Cost: one media-facts read (two indexed look-ups for
the segment, then its sample entries, or its index summary) per distinct range start
inside the searched window, plus one per start state; never one per segment. The reads
happen whatever the SearchFilter (it is applied to the built events). A range whose
facts cannot be read (only a segment still being written) has no parameters event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from onvif_recorder.service.events import (
    PropertyOperation,
    TrackAudioParameters,
    TrackVideoParameters,
)
from onvif_recorder.service.search.recorded import (
    AudioFacts,
    RecordedRange,
    TrackFacts,
    VideoFacts,
)

TrackParameters = TrackVideoParameters | TrackAudioParameters
FactsAt = Callable[[float], Mapping[str, TrackFacts]]
"""What each track of one recording recorded at an instant (``RecordedData.facts``)."""


def no_facts(_: float) -> Mapping[str, TrackFacts]:
    return {}


def parameters_event(recording: str, track: str, facts: TrackFacts | None,
                     operation: PropertyOperation) -> TrackParameters | None:
    """The event that says ``facts``; None for a metadata track or unknown facts."""
    if isinstance(facts, VideoFacts):
        return TrackVideoParameters(recording, track, facts.encoding, facts.width,
                                    facts.height, operation)
    if isinstance(facts, AudioFacts):
        return TrackAudioParameters(recording, track, facts.encoding, facts.samplerate_khz,
                                    facts.bitrate_kbps, operation)
    return None


class CachedFacts:
    """``FactsAt`` read at most once per instant during one search."""

    def __init__(self, read: FactsAt) -> None:
        self._read = read
        self._seen: dict[float, Mapping[str, TrackFacts]] = {}

    def __call__(self, moment: float) -> Mapping[str, TrackFacts]:
        if moment not in self._seen:
            self._seen[moment] = self._read(moment)
        return self._seen[moment]


def governing_start(ranges: list[RecordedRange], moment: float) -> float | None:
    """Where the parameters valid at ``moment`` were set: the start of the last range
    begun by then (the property keeps its value across a gap), else of the first one."""
    begun = [r.start for r in ranges if r.start <= moment]
    if begun:
        return begun[-1]
    return ranges[0].start if ranges else None
