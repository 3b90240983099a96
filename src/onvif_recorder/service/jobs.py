"""Recording jobs: ONVIF RC §5.13-5.19."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from onvif_recorder.domain import errors
from onvif_recorder.domain.job import (
    PROFILE_SOURCE_TYPE,
    RECEIVER_SOURCE_TYPE,
    JobMode,
    JobSource,
    JobTrack,
    RecordingEventFilter,
    RecordingJob,
    RecordingJobConfiguration,
    RecordingJobStateInformation,
    SourceReference,
)
from onvif_recorder.domain.receiver import EMPTY_RECEIVER_CONFIGURATION, Receiver
from onvif_recorder.domain.recording import Recording
from onvif_recorder.service.arbitration import arbitrate, job_state
from onvif_recorder.service.events import JobConfigurationChanged
from onvif_recorder.service.jobs_common import delete_jobs_with_receivers, orphaned_auto_receivers
from onvif_recorder.service.media_flow import MediaFlow
from onvif_recorder.service.state import Changes, StateHolder
from onvif_recorder.settings import Limits

EventFilterCheck = Callable[[RecordingEventFilter], str | None]
"""Why an EventFilter cannot be used, or None (``events.triggers.check_filter``)."""


class JobService:
    def __init__(self, holder: StateHolder, limits: Limits, media: MediaFlow,
                 check_event_filter: EventFilterCheck | None = None) -> None:
        self.holder = holder
        self.limits = limits
        self.media = media
        self.check_event_filter = check_event_filter

    def job(self, token: str) -> RecordingJob:
        found = self.holder.state.jobs.get(token)
        if found is None:
            raise errors.NoRecordingJob(f"no recording job {token!r}")
        return found

    def jobs(self) -> list[RecordingJob]:
        return list(self.holder.state.jobs.values())

    # RC §5.13
    def create_job(self, configuration: RecordingJobConfiguration) -> RecordingJob:
        recording = self.holder.state.recordings.get(configuration.recording_token)
        if recording is None:
            raise errors.NoRecording(f"no recording {configuration.recording_token!r}")
        if len(self.holder.state.jobs) >= self.limits.max_recording_jobs:
            raise errors.MaxRecordingJobs(
                f"the recorder holds {self.limits.max_recording_jobs} jobs"
            )
        changes = Changes()
        configuration = self._resolved(configuration, recording, changes, fill_tracks=True)
        job = RecordingJob(self.holder.next_token("job", changes, "RecordingJob_"), configuration)
        changes.jobs.append(job)
        self.holder.commit(changes)
        return job

    # RC §5.14
    def delete_job(self, token: str) -> RecordingJob:
        job = self.job(token)
        changes = Changes()
        delete_jobs_with_receivers(self.holder.state, [token], changes)
        self.holder.commit(changes)
        return job

    # RC §5.16
    def set_job_configuration(
        self, token: str, configuration: RecordingJobConfiguration
    ) -> RecordingJob:
        old = self.job(token)
        if configuration.recording_token != old.configuration.recording_token:
            raise errors.BadConfiguration("the RecordingToken of a job cannot be changed")
        recording = self.holder.state.recordings[old.configuration.recording_token]
        changes = Changes()
        job = replace(old, configuration=self._resolved(configuration, recording, changes, False))
        changes.jobs.append(job)
        if job.configuration != old.configuration:
            changes.events.append(JobConfigurationChanged(token, job.configuration))
        others = [j for t, j in self.holder.state.jobs.items() if t != token]
        changes.deleted_receivers.extend(orphaned_auto_receivers(self.holder.state, [*others, job]))
        self.holder.commit(changes)
        return job

    # RC §5.18: equivalent to reading the configuration and writing it back.
    def set_job_mode(self, token: str, mode: JobMode) -> RecordingJob:
        old = self.job(token)
        job = replace(old, configuration=replace(old.configuration, mode=mode))
        changes = Changes(jobs=[job])
        if mode is not old.configuration.mode:
            changes.events.append(JobConfigurationChanged(token, job.configuration))
        self.holder.commit(changes)
        return job

    # RC §5.19
    def job_state(self, token: str) -> RecordingJobStateInformation:
        job = self.job(token)
        arbitration = arbitrate(self.holder.state.jobs.values(),
                                self.holder.conditions.eligible)
        return job_state(job, arbitration, self.media.flowing, self.media.errors())

    def _resolved(
        self,
        configuration: RecordingJobConfiguration,
        recording: Recording,
        changes: Changes,
        fill_tracks: bool,
    ) -> RecordingJobConfiguration:
        if configuration.priority < 0:
            raise errors.BadConfiguration("Priority must be non-negative")
        if not configuration.sources:
            raise errors.BadConfiguration("a recording job needs at least one Source")
        if configuration.event_filter is not None:
            self._check_event_filter(configuration.event_filter)
        sources = tuple(
            self._resolved_source(source, recording, changes, fill_tracks)
            for source in configuration.sources
        )
        return replace(configuration, sources=sources)

    def _check_event_filter(self, event_filter: RecordingEventFilter) -> None:
        """RC §5.25: Before and After up to the advertised limits; the filters parse."""
        limits = self.limits
        for name, value, limit in (("Before", event_filter.before, limits.before_event_limit_s),
                                   ("After", event_filter.after, limits.after_event_limit_s)):
            if value is not None and value.seconds > limit:
                raise errors.BadConfiguration(f"EventFilter {name} {value.lexical} is over the "
                                              f"limit of {limit} s (BeforeEventLimit/"
                                              "AfterEventLimit)")
        problem = (self.check_event_filter(event_filter) if self.check_event_filter
                   else "event recording is not available")
        if problem:
            raise errors.BadConfiguration(problem)

    def _resolved_source(
        self, source: JobSource, recording: Recording, changes: Changes, fill_tracks: bool
    ) -> JobSource:
        reference = self._resolved_reference(source, changes)
        tracks = source.tracks
        for track in tracks:
            if recording.track(track.destination) is None:
                raise errors.BadConfiguration(f"no track {track.destination!r} in the recording")
        if not tracks and fill_tracks:
            # RC §5.13: without tracks the device should assign all tracks of the recording.
            tracks = tuple(
                JobTrack(t.configuration.track_type.value, t.token) for t in recording.tracks
            )
        return JobSource(source_token=reference, tracks=tracks, auto_create_receiver=None)

    def _resolved_reference(self, source: JobSource, changes: Changes) -> SourceReference:
        reference = source.source_token or SourceReference("")
        if reference.effective_type == PROFILE_SOURCE_TYPE:
            raise errors.BadConfiguration("media profile sources need a Media service")
        if reference.effective_type != RECEIVER_SOURCE_TYPE:
            raise errors.BadConfiguration(f"unknown source type {reference.type!r}")
        if not reference.token:
            if not source.auto_create_receiver:
                raise errors.BadConfiguration("a Source needs a SourceToken or AutoCreateReceiver")
            return replace(reference, token=self._auto_create_receiver(changes))
        known = reference.token in self.holder.state.receivers
        if not known and reference.token not in {r.token for r in changes.receivers}:
            raise errors.BadConfiguration(f"no receiver {reference.token!r}")
        return reference

    def _auto_create_receiver(self, changes: Changes) -> str:
        count = len(self.holder.state.receivers) + len(changes.receivers)
        if count >= self.limits.max_receivers:
            raise errors.MaxReceivers(f"the recorder holds {self.limits.max_receivers} receivers")
        token = self.holder.next_token("receiver", changes, "Receiver_")
        changes.receivers.append(Receiver(token, EMPTY_RECEIVER_CONFIGURATION, auto_created=True))
        return token
