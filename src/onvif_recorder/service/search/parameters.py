"""The optional history topics ``Track/VideoParameters`` and ``Track/AudioParameters``
(Search §5.17): "sent whenever any of these properties change", derived from what was
really recorded, like the other RecordingHistory events. FindEvents finds them
(``search.history``) and the event service publishes them live
(``service.live_track_parameters``), both from the functions here, so both say the same.

The recorder starts a new span whenever a track's codec parameters change (or after a
gap, or at a span duration limit), so parameters can only change where a span of the
track starts: one event there, with what the span's first segment recorded (its sample
entry: encoding, width, height, sample rate; its samples: frame rate, bitrate). Cost:
one media-facts read (an indexed look-up for the segment, then its sample entries and
counts, or its index summary) per span start inside the searched window, plus one per
start state; never one per segment. The reads happen whatever the SearchFilter (it is
applied to the built events). A span whose first segment is still being written has no
parameters event yet.

``VideoRateControl`` (tt:VideoRateControl, all three elements required) says what was
recorded, not how the camera's encoder was configured, which the recorder cannot know:
FrameRateLimit is the frame rate recorded (rounded), EncodingInterval 1 (every frame at
that rate was recorded), BitrateLimit the average bitrate recorded; it is left out when
either was not measured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from onvif_recorder.service.events import (
    PropertyOperation,
    TrackAudioParameters,
    TrackVideoParameters,
    VideoRateControl,
)
from onvif_recorder.service.search.recorded import (
    AudioFacts,
    RecordedRange,
    TrackFacts,
    VideoFacts,
)

TrackParameters = TrackVideoParameters | TrackAudioParameters
FactsAt = Callable[[float], Mapping[str, TrackFacts]]
"""What each track of one recording recorded from a span start on
(``RecordedData.facts_from``)."""


def no_facts(_: float) -> Mapping[str, TrackFacts]:
    return {}


def rate_control(facts: VideoFacts) -> VideoRateControl | None:
    """What the recording measured, as tt:VideoRateControl (see the module docstring)."""
    frames = round(facts.framerate)
    if frames < 1 or not facts.bitrate_kbps:
        return None
    return VideoRateControl(frames, 1, facts.bitrate_kbps)


def parameters_event(recording: str, track: str, facts: TrackFacts | None,
                     operation: PropertyOperation) -> TrackParameters | None:
    """The event that says ``facts``; None for a metadata track or unknown facts."""
    if isinstance(facts, VideoFacts):
        return TrackVideoParameters(recording, track, facts.encoding, facts.width,
                                    facts.height, operation, rate_control(facts))
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


def span_starts(ranges: list[RecordedRange]) -> list[float]:
    """Where a track's spans began, in time order: where its parameters may change."""
    return [start for r in ranges for start in r.starts]


def governing_start(ranges: list[RecordedRange], moment: float) -> float | None:
    """Where the parameters valid at ``moment`` were set: the last span start by then
    (the property keeps its value across a gap), else the first one."""
    starts = span_starts(ranges)
    begun = [start for start in starts if start <= moment]
    if begun:
        return begun[-1]
    return starts[0] if starts else None
