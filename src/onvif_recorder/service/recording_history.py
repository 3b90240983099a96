"""The recording history topics live (Search §5.17): ``tns1:RecordingHistory/Recording/State``
while a job writes to a recording and ``Track/State`` while a track receives data.

Both are properties, derived (like job states) from the RC §5.19 job states: a recording
is recording while a job on it is Active or PartiallyActive, a track has data present
while the job that won it is Active on it. New subscriptions and synchronization points
get ``Initialized`` for every recording and track; a change is ``Changed``; a deleted
recording or track is ``Deleted``. FindEvents derives the same topics from what was
recorded (``service.search.history``). The optional ``Track/VideoParameters`` and
``AudioParameters`` come from what was recorded, live too: ``service.live_track_parameters``.
"""

from __future__ import annotations

from onvif_recorder.domain.job import JobState
from onvif_recorder.service.events import (
    EventBus,
    PropertyOperation,
    RecordingHistoryState,
    TrackHistoryState,
)
from onvif_recorder.service.job_states import JobStateMap, JobStates
from onvif_recorder.service.state import StateHolder

Key = tuple[str, str]  # (recording, track); track "" for the recording itself
_RECORDING = (JobState.ACTIVE, JobState.PARTIALLY_ACTIVE)


def _event(key: Key, value: bool, operation: PropertyOperation
           ) -> RecordingHistoryState | TrackHistoryState:
    recording, track = key
    if not track:
        return RecordingHistoryState(recording, value, operation)
    return TrackHistoryState(recording, track, value, operation)


class LiveRecordingHistory:
    def __init__(self, holder: StateHolder, job_states: JobStates, bus: EventBus) -> None:
        self._holder = holder
        self._bus = bus
        self._published = self._values(job_states.current)
        bus.add_property_source(self.initialized)
        job_states.listeners.append(self.refresh)

    def _values(self, states: JobStateMap) -> dict[Key, bool]:
        values: dict[Key, bool] = {}
        for recording in self._holder.state.recordings.values():
            values[(recording.token, "")] = False
            for track in recording.tracks:
                values[(recording.token, track.token)] = False
        for state in states.values():
            if (state.recording_token, "") not in values:
                continue
            if state.state in _RECORDING:
                values[(state.recording_token, "")] = True
            for source in state.sources:
                for owned in source.tracks:
                    key = (state.recording_token, owned.destination)
                    if key in values and owned.state is JobState.ACTIVE:
                        values[key] = True
        return values

    def initialized(self) -> list[RecordingHistoryState | TrackHistoryState]:
        return [_event(key, value, PropertyOperation.INITIALIZED)
                for key, value in self._published.items()]

    def refresh(self, states: JobStateMap) -> None:
        before, after = self._published, self._values(states)
        self._published = after
        events = [_event(key, value, PropertyOperation.DELETED)
                  for key, value in before.items() if key not in after]
        for key, value in after.items():
            if key not in before:
                events.append(_event(key, value, PropertyOperation.INITIALIZED))
            elif before[key] != value:
                events.append(_event(key, value, PropertyOperation.CHANGED))
        if events:
            self._bus.publish(*events)
