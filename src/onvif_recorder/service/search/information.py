"""RecordingInformation, RecordingSummary and MediaAttributes (Search §5.3-5.6) from the
configuration and what was really recorded.

Rules (§5.3.3, TS-SEARCH 2-1-4/2-1-18): a track without data has no TrackInformation;
EarliestRecording is the earliest track DataFrom and LatestRecording the latest DataTo,
both absent when nothing was recorded. RecordingStatus is ``Recording`` while a job
writes to the recording or a segment of it is still being written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from onvif_recorder.domain.recording import Recording, RecordingSource, TrackType
from onvif_recorder.service.search.recorded import RecordedRange, TrackFacts


class RecordingStatus(Enum):
    INITIATED = "Initiated"
    RECORDING = "Recording"
    STOPPED = "Stopped"


@dataclass(frozen=True, slots=True)
class TrackInformation:
    token: str
    track_type: TrackType
    description: str
    data_from: float
    data_to: float


@dataclass(frozen=True, slots=True)
class RecordingInformation:
    token: str
    source: RecordingSource
    content: str
    tracks: tuple[TrackInformation, ...]
    status: RecordingStatus

    @property
    def earliest(self) -> float | None:
        return min((t.data_from for t in self.tracks), default=None)

    @property
    def latest(self) -> float | None:
        return max((t.data_to for t in self.tracks), default=None)


@dataclass(frozen=True, slots=True)
class RecordingSummary:
    data_from: float
    data_until: float
    number_recordings: int


@dataclass(frozen=True, slots=True)
class TrackAttributes:
    information: TrackInformation
    facts: TrackFacts | None


@dataclass(frozen=True, slots=True)
class MediaAttributes:
    token: str
    tracks: tuple[TrackAttributes, ...]
    valid_from: float
    valid_until: float


def recording_information(recording: Recording, ranges: dict[str, list[RecordedRange]],
                          recording_now: bool) -> RecordingInformation:
    tracks = []
    for track in recording.tracks:
        spans = ranges.get(track.token)
        if spans:
            tracks.append(TrackInformation(
                track.token, track.configuration.track_type, track.configuration.description,
                spans[0].start, spans[-1].end))
    # §5.3 "Recording: the recording job is executing the recording": also while the
    # segment a job set Idle was writing is still open, so that once a client sees
    # Stopped, LatestRecording and the history are final.
    if recording_now or any(r.open for spans in ranges.values() for r in spans):
        status = RecordingStatus.RECORDING
    else:
        status = RecordingStatus.STOPPED if tracks else RecordingStatus.INITIATED
    configuration = recording.configuration
    return RecordingInformation(recording.token, configuration.source, configuration.content,
                                tuple(tracks), status)


def summary(information: Iterable[RecordingInformation], now: float) -> RecordingSummary:
    """§5.4: over all recordings; with no data DataFrom = DataUntil = now (required)."""
    items = list(information)
    starts = [i.earliest for i in items if i.earliest is not None]
    ends = [i.latest for i in items if i.latest is not None]
    return RecordingSummary(min(starts, default=now), max(ends, default=now), len(items))


def media_attributes(information: RecordingInformation, ranges: dict[str, list[RecordedRange]],
                     facts: dict[str, TrackFacts], at: float) -> MediaAttributes:
    """§5.6: the tracks holding data at ``at`` and the validity range of their attributes
    (the recorded range around ``at`` common to them; From = Until = at if none)."""
    tracks: list[TrackAttributes] = []
    valid_from, valid_until = at, at
    for track in information.tracks:
        around = next((r for r in ranges.get(track.token, []) if r.start <= at <= r.end), None)
        if around is None:
            continue
        if not tracks:
            valid_from, valid_until = around.start, around.end
        else:
            valid_from, valid_until = max(valid_from, around.start), min(valid_until, around.end)
        tracks.append(TrackAttributes(track, facts.get(track.token)))
    return MediaAttributes(information.token, tuple(tracks), valid_from, valid_until)
