"""What the recordings page shows, as JSON-ready dictionaries (no aiohttp, no queries).

Configuration comes from the service layer's state, job states from ``JobStates`` (RC
§5.19, what GetRecordingJobState answers), receiver states from the media flow (what
GetReceiverState answers), stored bytes and time from the segment index.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from onvif_recorder.domain.job import RecordingJob
from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.domain.recording import Recording
from onvif_recorder.engine.receiver_task import public_uri
from onvif_recorder.service.jobs_common import receiver_tokens
from onvif_recorder.service.state import RecorderState
from onvif_recorder.storage.segment_index import StoredTotals

JSON = dict[str, Any]


def iso_utc(posix: float | None) -> str | None:
    if posix is None:
        return None
    moment = datetime.fromtimestamp(posix, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def recordings_view(state: RecorderState, job_states: Mapping[str, str],
                    receiver_state: Callable[[str], ReceiverState],
                    totals: Mapping[str, StoredTotals]) -> list[JSON]:
    """One entry per recording, in creation order."""
    jobs_of: dict[str, list[RecordingJob]] = {}
    for job in state.jobs.values():
        jobs_of.setdefault(job.configuration.recording_token, []).append(job)
    return [_recording(recording, jobs_of.get(recording.token, []), state, job_states,
                       receiver_state, totals.get(recording.token))
            for recording in state.recordings.values()]


def _recording(recording: Recording, jobs: list[RecordingJob], state: RecorderState,
               job_states: Mapping[str, str], receiver_state: Callable[[str], ReceiverState],
               stored: StoredTotals | None) -> JSON:
    source = recording.configuration.source
    receivers = sorted({token for job in jobs for token in receiver_tokens(job)})
    return {
        "token": recording.token,
        "name": source.name,
        "source": source.source_id,
        "location": source.location,
        "tracks": [{"token": t.token, "type": t.configuration.track_type.value}
                   for t in recording.tracks],
        "jobs": [{"token": job.token, "mode": job.configuration.mode.value,
                  "priority": job.configuration.priority,
                  "state": job_states.get(job.token, "Idle")} for job in jobs],
        "receivers": [_receiver(token, state, receiver_state) for token in receivers],
        "segments": stored.segments if stored else 0,
        "bytes": stored.bytes if stored else 0,
        "seconds": round(stored.seconds, 3) if stored else 0.0,
        "last_segment_end": iso_utc(stored.last_end_utc) if stored else None,
    }


def _receiver(token: str, state: RecorderState,
              receiver_state: Callable[[str], ReceiverState]) -> JSON:
    receiver = state.receivers.get(token)
    uri = receiver.configuration.media_uri if receiver else ""
    return {"token": token, "uri": public_uri(uri) if uri else "",
            "mode": receiver.configuration.mode.value if receiver else "",
            "state": receiver_state(token).value if receiver else "Unknown"}
