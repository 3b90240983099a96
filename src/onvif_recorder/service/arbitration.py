"""Recording-job arbitration and job state (ONVIF RC §5.3.3, §5.18, §5.19, Annex A).

Pure functions: no I/O, no asyncio, no clock. The engine supplies the facts that only it knows
(is a schedule active, are samples really flowing, has a writer failed) as predicates and maps.

Arbitration rules:

* Only jobs whose Mode is Active, and that pass the optional ``eligible`` predicate (schedules,
  event filters later), compete. Idle-mode jobs never own a track.
* A destination track is identified by ``(recording_token, track_token)``; the track token is
  the ``Destination`` of a ``JobTrack`` and belongs to the job's RecordingToken (RC §5.3.3).
* Each track is arbitrated individually (RC §5.3.3: "the device shall determine the priority of
  each track individually"): the competing job with the highest Priority configured for that
  track owns it. A job may therefore own some of its tracks and not others.
* Ties are undefined by the spec. Here the job that comes **first in the iterable** wins; the
  caller passes jobs in creation order, so the job created first keeps the track and a new
  job of equal priority does not take it over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from onvif_recorder.domain.job import (
    JobMode,
    JobSource,
    JobState,
    JobTrack,
    RecordingJob,
    RecordingJobStateInformation,
    SourceJobState,
    SourceReference,
    TrackJobState,
    aggregate_state,
)

TrackKey = tuple[str, str]
"""``(recording_token, track_token)`` of a destination track."""

ErrorKey = tuple[str, str, str]
"""``(job_token, source_token, destination_track_token)``."""

Eligible = Callable[[RecordingJob], bool]
Flowing = Callable[[str, str, str], bool]
"""``flowing(job_token, source_token, destination_track_token)``."""

__all__ = [
    "Arbitration",
    "Eligible",
    "ErrorKey",
    "Flowing",
    "TrackKey",
    "arbitrate",
    "changed_jobs",
    "configured_tracks",
    "job_state",
]


@dataclass(frozen=True, slots=True)
class Arbitration:
    """Outcome of :func:`arbitrate`: which job feeds each destination track.

    ``winners`` maps every track that some competing job wants to the token of the job that
    owns it; tracks nobody competes for are absent. The mapping is copied into a read-only
    view, so an ``Arbitration`` is immutable and hashable. ``Arbitration()`` means "no job owns
    anything" (useful as the state before the first arbitration).
    """

    winners: Mapping[TrackKey, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "winners", MappingProxyType(dict(self.winners)))

    def __hash__(self) -> int:
        return hash(frozenset(self.winners.items()))

    def track_owner(self, recording_token: str, track_token: str) -> str | None:
        """Token of the job that feeds this track, or None when no job does."""
        return self.winners.get((recording_token, track_token))

    def job_tracks(self, job_token: str) -> frozenset[TrackKey]:
        """The tracks this job won (empty when it won none or does not exist)."""
        return frozenset(key for key, owner in self.winners.items() if owner == job_token)


def configured_tracks(job: RecordingJob) -> frozenset[TrackKey]:
    """All destination tracks the job is configured to record into, over all its sources."""
    recording = job.configuration.recording_token
    return frozenset(
        (recording, track.destination)
        for source in job.configuration.sources
        for track in source.tracks
    )


def _competes(job: RecordingJob, eligible: Eligible | None) -> bool:
    if job.configuration.mode is not JobMode.ACTIVE:
        return False
    return eligible is None or eligible(job)


def arbitrate(jobs: Iterable[RecordingJob], eligible: Eligible | None = None) -> Arbitration:
    """Decide, per destination track, which job feeds it (RC §5.3.3 Priority, Annex A).

    ``jobs`` must be in creation order: on equal priority the earlier job wins (the spec leaves
    ties undefined). Jobs whose Mode is Idle, or for which ``eligible(job)`` is False, are
    ignored. Within one job, several sources naming the same destination are not arbitrated
    against each other; the job owns the track as a whole.
    """
    best: dict[TrackKey, RecordingJob] = {}
    for job in jobs:
        if not _competes(job, eligible):
            continue
        for key in configured_tracks(job):
            current = best.get(key)
            if current is None or job.configuration.priority > current.configuration.priority:
                best[key] = job
    return Arbitration({key: job.token for key, job in best.items()})


def _tracks_by_job(arbitration: Arbitration) -> dict[str, frozenset[TrackKey]]:
    grouped: dict[str, set[TrackKey]] = {}
    for key, owner in arbitration.winners.items():
        grouped.setdefault(owner, set()).add(key)
    return {owner: frozenset(keys) for owner, keys in grouped.items()}


def changed_jobs(before: Arbitration, after: Arbitration) -> frozenset[str]:
    """Tokens of the jobs whose set of won tracks differs between two arbitrations.

    Includes jobs that won tracks only in ``before`` (they lost everything, or were deleted:
    the caller must tolerate tokens of jobs that no longer exist) and jobs that won tracks
    only in ``after``. A job that owns nothing in either is never reported, even if its Mode
    changed; its state is Idle in both cases.
    """
    old, new = _tracks_by_job(before), _tracks_by_job(after)
    return frozenset(
        token
        for token in old.keys() | new.keys()
        if old.get(token, frozenset()) != new.get(token, frozenset())
    )


@dataclass(frozen=True, slots=True)
class _Context:
    job: RecordingJob
    arbitration: Arbitration
    flowing: Flowing | None
    errors: Mapping[ErrorKey, str]


def _track_state(ctx: _Context, source_token: str, track: JobTrack) -> TrackJobState:
    job, destination = ctx.job, track.destination
    if job.configuration.mode is not JobMode.ACTIVE:
        return TrackJobState(track.source_tag, destination, JobState.IDLE)
    error = ctx.errors.get((job.token, source_token, destination))
    if error is not None:
        return TrackJobState(track.source_tag, destination, JobState.ERROR, error or None)
    owner = ctx.arbitration.track_owner(job.configuration.recording_token, destination)
    running = owner == job.token and (
        ctx.flowing is None or ctx.flowing(job.token, source_token, destination)
    )
    state = JobState.ACTIVE if running else JobState.IDLE
    return TrackJobState(track.source_tag, destination, state)


def _source_state(ctx: _Context, source: JobSource) -> SourceJobState:
    reference = source.source_token or SourceReference(token="")
    tracks = tuple(_track_state(ctx, reference.token, track) for track in source.tracks)
    return SourceJobState(reference, aggregate_state([t.state for t in tracks]), tracks)


def job_state(
    job: RecordingJob,
    arbitration: Arbitration,
    flowing: Flowing | None = None,
    errors: Mapping[ErrorKey, str] | None = None,
) -> RecordingJobStateInformation:
    """The RC §5.19 RecordingJobStateInformation of one job.

    Track state, for each configured source and track, in order of precedence:

    1. Idle when the job's Mode is Idle (nothing happens, RC §5.3.3), whatever else is known.
    2. Error when ``errors`` has ``(job_token, source_token, destination)``; the string becomes
       the Error field (an empty string gives Error without an Error field). This holds whether
       or not the job owns the track: the engine reports only errors it currently sees.
    3. Active when the job owns the destination track in ``arbitration`` and ``flowing`` is
       None or returns True for ``(job_token, source_token, destination)``.
    4. Idle otherwise (lost arbitration, or no samples flowing yet).

    Source and job states aggregate their children with Table 3 (:func:`aggregate_state`).
    A source without tracks (CreateRecordingJob normally fills them in) records nothing, so its
    state is Idle; it still counts as an Idle sub-node of the job, making an otherwise Active
    job PartiallyActive, as Table 3 reads literally. A job without sources is Idle. A source
    without SourceToken is reported with an empty token (and looked up as "").
    """
    ctx = _Context(job, arbitration, flowing, errors if errors is not None else {})
    sources = tuple(_source_state(ctx, source) for source in job.configuration.sources)
    return RecordingJobStateInformation(
        recording_token=job.configuration.recording_token,
        state=aggregate_state([s.state for s in sources]),
        sources=sources,
    )
