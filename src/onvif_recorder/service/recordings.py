"""Recordings and tracks: ONVIF RC §5.4-5.12 and §5.20 (GetRecordingOptions)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from onvif_recorder.domain import errors
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.recording import (
    DEFAULT_TRACKS,
    Recording,
    RecordingConfiguration,
    RecordingTarget,
    Track,
    TrackConfiguration,
    TrackType,
)
from onvif_recorder.service.encryption import check_entries
from onvif_recorder.service.events import (
    RecordingConfigurationChanged,
    RecordingCreated,
    RecordingDeleted,
    TrackConfigurationChanged,
    TrackCreated,
    TrackDeleted,
)
from onvif_recorder.service.jobs_common import delete_jobs_with_receivers
from onvif_recorder.service.state import Changes, StateHolder
from onvif_recorder.service.storage_strategy import LocalMedium, check_strategy
from onvif_recorder.settings import Limits

TARGET_FORMATS = ("MP4", "CMAF")  # tt:TargetFormat
_TRACK_PREFIX = {
    TrackType.VIDEO: "VIDEO",
    TrackType.AUDIO: "AUDIO",
    TrackType.METADATA: "META",
    TrackType.EXTENDED: "EXT",
}


@dataclass(frozen=True, slots=True)
class TrackOptions:
    spare_total: int
    spare_video: int
    spare_audio: int
    spare_metadata: int


@dataclass(frozen=True, slots=True)
class RecordingOptions:
    """trc:RecordingOptions (RC §5.20)."""

    spare_jobs: int
    compatible_sources: tuple[str, ...]
    tracks: TrackOptions


class RecordingService:
    def __init__(self, holder: StateHolder, limits: Limits,
                 local_medium: LocalMedium = lambda: True) -> None:
        self.holder = holder
        self.limits = limits
        self.local_medium = local_medium
        """RC 26.06: StorageStrategy Local/Both need it (else NoLocalRecording)."""

    def holder_version(self) -> int:
        """Changes with every commit and every override change (cached Get* answers)."""
        overrides = self.holder.overrides
        overrides.expire()
        return self.holder.version + overrides.version

    def shown(self, recording: Recording) -> Recording:
        """``recording`` as Get* return it: with its active segment duration override."""
        target = recording.configuration.target
        override = self.holder.overrides.shown(recording.token)
        if target is None or override is None:
            return recording
        configuration = replace(recording.configuration,
                                target=replace(target, segment_duration_override=override))
        return replace(recording, configuration=configuration)

    # RC §5.24
    def override_segment_duration(self, token: str, duration: XsDuration,
                                  expiration: XsDuration) -> None:
        self.recording(token)
        self.holder.overrides.set(token, duration, expiration)

    def recording(self, token: str) -> Recording:
        found = self.holder.state.recordings.get(token)
        if found is None:
            raise errors.NoRecording(f"no recording {token!r}")
        return found

    def track(self, recording_token: str, track_token: str) -> Track:
        found = self.recording(recording_token).track(track_token)
        if found is None:
            raise errors.NoTrack(f"recording {recording_token!r} has no track {track_token!r}")
        return found

    def recordings(self) -> list[Recording]:
        return list(self.holder.state.recordings.values())

    # RC §5.4
    def create_recording(self, configuration: RecordingConfiguration) -> Recording:
        if len(self.holder.state.recordings) >= self.limits.max_recordings:
            raise errors.MaxRecordings(
                f"the recorder holds {self.limits.max_recordings} recordings"
            )
        configuration = self._validated(configuration, [token for token, _ in DEFAULT_TRACKS])
        tracks = tuple(Track(token, TrackConfiguration(kind, "")) for token, kind in DEFAULT_TRACKS)
        changes = Changes()
        token = self.holder.next_token("recording", changes, "Recording_")
        recording = Recording(token, configuration, tracks)
        changes.recordings.append(recording)
        # RC §5.26.4; RECORDING-5-1-10 expects a CreateTrack event for every default track.
        changes.events.append(RecordingCreated(token))
        changes.events.extend(TrackCreated(token, track.token) for track in tracks)
        self.holder.commit(changes)
        return recording

    # RC §5.5
    def delete_recording(self, token: str) -> Recording:
        recording = self.recording(token)
        changes = Changes(deleted_recordings=[token])
        doomed = [
            j.token
            for j in self.holder.state.jobs.values()
            if j.configuration.recording_token == token
        ]
        delete_jobs_with_receivers(self.holder.state, doomed, changes)
        # RECORDING-5-1-11: a DeleteTrack event for every track of the deleted recording.
        changes.events.extend(TrackDeleted(token, track.token) for track in recording.tracks)
        changes.events.append(RecordingDeleted(token))
        self.holder.commit(changes)
        return recording

    # RC §5.7
    def set_recording_configuration(
        self, token: str, configuration: RecordingConfiguration
    ) -> Recording:
        old = self.recording(token)
        recording = replace(old, configuration=self._validated(
            configuration, [track.token for track in old.tracks]))
        changes = Changes(recordings=[recording])
        if recording.configuration != old.configuration:
            changes.events.append(RecordingConfigurationChanged(token, recording.configuration))
        self.holder.commit(changes)
        self.holder.overrides.clear(token)  # RC §5.24: a modification removes the override
        return recording

    def _validated(self, configuration: RecordingConfiguration,
                   tracks: Collection[str]) -> RecordingConfiguration:
        if configuration.maximum_retention_time.is_negative:
            raise errors.BadConfiguration("MaximumRetentionTime is negative")
        if configuration.target is not None:
            self._check_target(configuration.target, tracks)
            # SegmentDurationOverride is read-only state (RC §5.24), never stored.
            configuration = replace(configuration, target=replace(
                configuration.target, segment_duration_override=None))
        return self._truncated(configuration)

    def _truncated(self, configuration: RecordingConfiguration) -> RecordingConfiguration:
        """RC §5.3.1: Location, Description and Content may be truncated."""
        limit = self.limits.descriptive_max_length
        source = replace(
            configuration.source,
            location=configuration.source.location[:limit],
            description=configuration.source.description[:limit],
        )
        return replace(configuration, source=source, content=configuration.content[:limit])

    def _check_target(self, target: RecordingTarget, tracks: Collection[str]) -> None:
        if target.storage not in self.holder.state.storage:
            raise errors.BadConfiguration(f"no storage configuration {target.storage!r}")
        if target.format not in TARGET_FORMATS:
            raise errors.BadConfiguration(f"target format {target.format!r} is not supported")
        if target.segment_duration.seconds <= 0:
            raise errors.BadConfiguration("SegmentDuration must be positive")
        if target.span_duration is not None and target.span_duration.seconds <= 0:
            raise errors.BadConfiguration("SpanDuration must be positive")
        check_entries(target.encryption, tracks, self.holder.state.certificates.keys())
        check_strategy(target, self.holder.state.storage[target.storage].data, self.local_medium)

    # RC §5.9
    def create_track(self, recording_token: str, configuration: TrackConfiguration) -> Track:
        recording = self.recording(recording_token)
        if configuration.track_type is TrackType.EXTENDED:
            raise errors.BadConfiguration("Extended tracks are not supported")
        if self._spare_tracks(recording, configuration.track_type) <= 0:
            raise errors.MaxTracks(f"recording {recording_token!r} has no spare track of this type")
        track = Track(self._new_track_token(recording, configuration.track_type), configuration)
        updated = replace(recording, tracks=(*recording.tracks, track))
        changes = Changes(recordings=[updated], events=[TrackCreated(recording.token, track.token)])
        self.holder.commit(changes)
        return track

    def _new_track_token(self, recording: Recording, kind: TrackType) -> str:
        used = {t.token for t in recording.tracks}
        number = 1
        while f"{_TRACK_PREFIX[kind]}{number:03d}" in used:
            number += 1
        return f"{_TRACK_PREFIX[kind]}{number:03d}"

    # RC §5.10
    def delete_track(self, recording_token: str, track_token: str) -> Track:
        track = self.track(recording_token, track_token)
        if self._track_in_use(recording_token, track_token):
            raise errors.CannotDelete(f"track {track_token!r} is a destination of a recording job")
        recording = self.recording(recording_token)
        updated = replace(recording, tracks=tuple(t for t in recording.tracks if t is not track))
        changes = Changes(recordings=[updated], events=[TrackDeleted(recording_token, track.token)])
        self.holder.commit(changes)
        return track

    def _track_in_use(self, recording_token: str, track_token: str) -> bool:
        return any(
            track.destination == track_token
            for job in self.holder.state.jobs.values()
            if job.configuration.recording_token == recording_token
            for source in job.configuration.sources
            for track in source.tracks
        )

    # RC §5.12: TrackType cannot change and is ignored.
    def set_track_configuration(
        self, recording_token: str, track_token: str, configuration: TrackConfiguration
    ) -> Track:
        old = self.track(recording_token, track_token)
        limit = self.limits.descriptive_max_length
        new_configuration = replace(
            configuration,
            track_type=old.configuration.track_type,
            description=configuration.description[:limit],
        )
        track = replace(old, configuration=new_configuration)
        recording = self.recording(recording_token)
        tracks = tuple(track if t.token == track_token else t for t in recording.tracks)
        changes = Changes(recordings=[replace(recording, tracks=tracks)])
        if track.configuration != old.configuration:
            event = TrackConfigurationChanged(recording_token, track_token, track.configuration)
            changes.events.append(event)
        self.holder.commit(changes)
        return track

    # RC §5.20
    def recording_options(self, recording_token: str) -> RecordingOptions:
        recording = self.recording(recording_token)
        spare = {
            kind: self._spare_tracks(recording, kind)
            for kind in (TrackType.VIDEO, TrackType.AUDIO, TrackType.METADATA)
        }
        return RecordingOptions(
            spare_jobs=max(0, self.limits.max_recording_jobs - len(self.holder.state.jobs)),
            compatible_sources=(),
            tracks=TrackOptions(
                spare_total=sum(spare.values()),
                spare_video=spare[TrackType.VIDEO],
                spare_audio=spare[TrackType.AUDIO],
                spare_metadata=spare[TrackType.METADATA],
            ),
        )

    def _spare_tracks(self, recording: Recording, kind: TrackType) -> int:
        used = sum(1 for t in recording.tracks if t.configuration.track_type is kind)
        return max(0, self.limits.max_tracks_per_type - used)
