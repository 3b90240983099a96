"""Rules shared by recordings and jobs about auto-created receivers (RC §5.5, §5.14, §5.16)."""

from __future__ import annotations

from collections.abc import Iterable

from onvif_recorder.domain.job import RecordingJob
from onvif_recorder.service.state import Changes, RecorderState


def receiver_tokens(job: RecordingJob) -> set[str]:
    return {
        source.source_token.token
        for source in job.configuration.sources
        if source.source_token is not None and source.source_token.token
    }


def orphaned_auto_receivers(
    state: RecorderState, remaining_jobs: Iterable[RecordingJob]
) -> list[str]:
    """Auto-created receivers no job in ``remaining_jobs`` uses: they are deleted with them."""
    used: set[str] = set()
    for job in remaining_jobs:
        used |= receiver_tokens(job)
    return [
        token
        for token, receiver in state.receivers.items()
        if receiver.auto_created and token not in used
    ]


def delete_jobs_with_receivers(
    state: RecorderState, job_tokens: list[str], changes: Changes
) -> None:
    """Delete ``job_tokens`` and every auto-created receiver left unused by that."""
    doomed = set(job_tokens)
    changes.deleted_jobs.extend(job_tokens)
    remaining = [job for token, job in state.jobs.items() if token not in doomed]
    changes.deleted_receivers.extend(orphaned_auto_receivers(state, remaining))
