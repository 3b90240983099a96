"""The JobState property (RC §5.26.1) and the engine's way to report what only it knows.

A job's state is derived, never stored: it follows from every job's mode, priority and
tracks (Annex A arbitration) and from what the engine says about media flow. So after
every commit, and whenever the engine reports a change, :meth:`JobStates.refresh`
recomputes all job states and publishes the difference with what subscribers were last
told: ``Initialized`` for a new job, ``Changed`` when the State field changed (RC §5.26.1:
only that field triggers the event), ``Deleted`` for a job that is gone. New subscriptions
and synchronization points get ``Initialized`` for every job from the same snapshot.
"""

from __future__ import annotations

from collections.abc import Callable

from onvif_recorder.domain.job import RecordingJobStateInformation
from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.service.arbitration import Eligible, arbitrate, job_state
from onvif_recorder.service.events import (
    EventBus,
    JobStateChanged,
    PropertyOperation,
    ReceiverConnectionFailed,
    ReceiverStateChanged,
)
from onvif_recorder.service.media_flow import MediaFlow
from onvif_recorder.service.state import RecorderState, StateHolder

JobStateMap = dict[str, RecordingJobStateInformation]


def current_job_states(state: RecorderState, media: MediaFlow,
                       eligible: Eligible | None = None) -> JobStateMap:
    """RC §5.19 state of every job, in creation order."""
    arbitration = arbitrate(state.jobs.values(), eligible)
    errors = media.errors()
    return {
        token: job_state(job, arbitration, media.flowing, errors)
        for token, job in state.jobs.items()
    }


class JobStates:
    def __init__(self, holder: StateHolder, media: MediaFlow, bus: EventBus) -> None:
        self._holder = holder
        self._media = media
        self._bus = bus
        self._published = current_job_states(holder.state, media, holder.conditions.eligible)
        self.listeners: list[Callable[[JobStateMap], None]] = []
        """Told every refreshed state map (the live recording history follows it)."""
        bus.add_property_source(self.initialized)
        holder.observe(self.refresh)

    @property
    def current(self) -> JobStateMap:
        return self._published

    def initialized(self) -> list[JobStateChanged]:
        return [
            JobStateChanged(token, PropertyOperation.INITIALIZED, state)
            for token, state in self._published.items()
        ]

    def refresh(self) -> None:
        """Publish how job states changed since the last refresh."""
        before, after = self._published, current_job_states(self._holder.state, self._media,
                                                        self._holder.conditions.eligible)
        self._published = after
        events = [
            JobStateChanged(token, PropertyOperation.DELETED, None)
            for token in before
            if token not in after
        ]
        for token, state in after.items():
            old = before.get(token)
            if old is None:
                events.append(JobStateChanged(token, PropertyOperation.INITIALIZED, state))
            elif old.state is not state.state:
                events.append(JobStateChanged(token, PropertyOperation.CHANGED, state))
        if events:
            self._bus.publish(*events)
        for listener in self.listeners:
            listener(after)


class EngineEvents:
    """What the ingest engine reports. ReceiverService publishes nothing about connections:
    only the engine knows when a receiver connects, fails or when media starts flowing."""

    def __init__(self, bus: EventBus, job_states: JobStates) -> None:
        self._bus = bus
        self._job_states = job_states

    def receiver_state_changed(
        self, receiver_token: str, state: ReceiverState, media_uri: str | None = None
    ) -> None:
        self._bus.publish(ReceiverStateChanged(receiver_token, state, media_uri))

    def receiver_connection_failed(self, receiver_token: str, media_uri: str) -> None:
        self._bus.publish(ReceiverConnectionFailed(receiver_token, media_uri))

    def media_flow_changed(self) -> None:
        """Call whenever what ``MediaFlow`` answers has changed (samples started or stopped
        flowing, a writer failed): job states are re-derived and changes published."""
        self._job_states.refresh()
