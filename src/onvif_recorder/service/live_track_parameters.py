"""The recording history's parameter topics live (Search §5.17):
``tns1:RecordingHistory/Track/VideoParameters`` and ``AudioParameters``, published once
the first segment of a track's span is finished: when recording starts, and where a
codec or resolution change (or a span duration limit) starts a new span.

Derived from the segment index, the one thing the control plane shares with the
recording engine wherever that runs (another process, too): each ``poll`` reads the
``spans`` of the recordings being recorded (a job Active or PartiallyActive on them,
or a range still open) and, for every span start of a track not handled yet, the
finished segment beginning there, through the functions FindEvents uses
(``search.parameters``): the two say the same, and the event's UtcTime is the span start,
the Time FindEvents answers (§5.17: "the actual time relating to recording").

A track's first value in this process is ``Initialized`` (the property appears), a later
one ``Changed``; new subscriptions and synchronization points get every value published
so far as ``Initialized``; a deleted recording or track gets ``Deleted``. Tracks not
recorded since the recorder started have no live value (FindEvents' IncludeStartState
gives it).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from datetime import UTC, datetime

from onvif_recorder.domain.job import JobState
from onvif_recorder.service.events import EventBus, PropertyOperation
from onvif_recorder.service.job_states import JobStateMap, JobStates
from onvif_recorder.service.search.parameters import (
    TrackParameters,
    parameters_event,
    span_starts,
)
from onvif_recorder.service.search.recorded import RecordedData, RecordedRange, whole_ms
from onvif_recorder.service.state import StateHolder

Key = tuple[str, str]  # (recording, track)
_RECORDING = (JobState.ACTIVE, JobState.PARTIALLY_ACTIVE)


def _recording_now(states: JobStateMap) -> set[str]:
    return {s.recording_token for s in states.values() if s.state in _RECORDING}


def _utc(seconds: float) -> datetime:
    """At the millisecond FindEvents answers for the same instant."""
    return datetime.fromtimestamp(whole_ms(seconds) / 1000, UTC)


class LiveTrackParameters:
    def __init__(self, holder: StateHolder, job_states: JobStates, bus: EventBus,
                 data: RecordedData) -> None:
        self._holder = holder
        self._job_states = job_states
        self._bus = bus
        self.data = data
        self._handled: dict[Key, float] = {}  # the last span start looked at
        self._published: dict[Key, TrackParameters] = {}
        self._lock = threading.Lock()
        self._watched: set[str] = set()
        for recording in holder.state.recordings:  # what was recorded before is history
            for track, ranges in data.ranges(recording).items():
                self._handled[(recording, track)] = span_starts(ranges)[-1]
        bus.add_property_source(self.initialized)
        job_states.listeners.append(self._jobs_changed)

    def _jobs_changed(self, states: JobStateMap) -> None:
        """A job that starts and stops between two polls is still looked at."""
        with self._lock:
            self._watched |= _recording_now(states)

    def initialized(self) -> list[TrackParameters]:
        return [dataclasses.replace(event, operation=PropertyOperation.INITIALIZED)
                for event in list(self._published.values())]

    def poll(self) -> None:
        """Publish what the spans begun since the last poll recorded."""
        recordings = self._holder.state.recordings
        self._forget({(r.token, t.token) for r in recordings.values() for t in r.tracks})
        with self._lock:
            watched = self._watched | _recording_now(self._job_states.current)
            self._watched = set()
        for recording in watched & set(recordings):
            ranges = self.data.ranges(recording)
            for track in recordings[recording].tracks:
                self._track(recording, track.token, ranges.get(track.token, []))
            if any(r.open for spans in ranges.values() for r in spans):
                with self._lock:
                    self._watched.add(recording)  # its last segments are yet to come

    def _track(self, recording: str, track: str, ranges: list[RecordedRange]) -> None:
        key = (recording, track)
        handled = self._handled.get(key)
        still_open = {r.starts[-1] for r in ranges if r.open}
        for start in span_starts(ranges):
            if handled is not None and start <= handled:
                continue
            facts = self.data.facts_from(recording, start)
            if not facts and start in still_open:
                return  # its first segment is still being written
            self._handled[key] = start
            self._publish(key, start, parameters_event(
                recording, track, facts.get(track), PropertyOperation.CHANGED))

    def _publish(self, key: Key, start: float, event: TrackParameters | None) -> None:
        if event is None:
            return  # a metadata track, or a segment that cannot be read
        if key not in self._published:
            event = dataclasses.replace(event, operation=PropertyOperation.INITIALIZED)
        self._published[key] = event
        self._bus.publish(event, at=_utc(start))

    def _forget(self, tracks: set[Key]) -> None:
        """``Deleted`` for the tracks gone from the configuration (``tracks``)."""
        gone = [key for key in self._published if key not in tracks]
        self._bus.publish(*_deleted(self._published.pop(key) for key in gone))
        for key in [key for key in self._handled if key not in tracks]:
            del self._handled[key]


def _deleted(events: Iterable[TrackParameters]) -> list[TrackParameters]:
    return [dataclasses.replace(e, operation=PropertyOperation.DELETED) for e in events]
