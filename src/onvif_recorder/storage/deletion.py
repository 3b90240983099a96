"""Which recorded data the configuration no longer wants (RC §5.5, §5.10). Pure.

The recorded data follows the configuration: a recording that is gone (DeleteRecording)
loses its media and index rows, a track that is gone (DeleteTrack) loses its data.
``TrackSnapshot`` turns successive configuration states into ``DataDeletion``s, in
commit order, so a track token deleted and created again at once (tokens are reused:
``service.recordings``) still has its old data deleted. ``leftovers`` finds, at
start-up, what a crash or an older recorder left: index rows or media directories of
recordings that no longer exist, and rows that still hold deleted tracks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from onvif_recorder.domain.recording import Recording

Tracks = Mapping[str, frozenset[str]]
"""Recording token → its track tokens."""


@dataclass(frozen=True, slots=True)
class DataDeletion:
    recording: str
    tracks: frozenset[str] | None = None
    """Tracks whose data goes; None: the whole recording (it was deleted)."""


def recording_tracks(recordings: Mapping[str, Recording]) -> dict[str, frozenset[str]]:
    return {token: frozenset(t.token for t in recording.tracks)
            for token, recording in recordings.items()}


def changes(before: Tracks, after: Tracks) -> list[DataDeletion]:
    """What went between two configuration states."""
    found = [DataDeletion(token) for token in before if token not in after]
    for token, tracks in before.items():
        gone = tracks - after.get(token, tracks)
        if gone:
            found.append(DataDeletion(token, frozenset(gone)))
    return found


class TrackSnapshot:
    """The track set last seen; ``observe`` returns what each new state removed."""

    def __init__(self, recordings: Mapping[str, Recording]) -> None:
        self.tracks = recording_tracks(recordings)

    def observe(self, recordings: Mapping[str, Recording]) -> list[DataDeletion]:
        current = recording_tracks(recordings)
        found = changes(self.tracks, current)
        self.tracks = current
        return found


def leftovers(wanted: Tracks, recorded: Mapping[str, Iterable[str]],
              directories: Iterable[str] = ()) -> list[DataDeletion]:
    """Start-up: ``recorded`` maps each recording with index rows to the track tokens
    the rows hold; ``directories`` are the recordings local storage has files of."""
    found = [DataDeletion(token) for token in sorted(set(recorded) | set(directories))
             if token not in wanted]
    for token, tracks in sorted(recorded.items()):
        gone = frozenset(tracks) - wanted.get(token, frozenset(tracks))
        if token in wanted and gone:
            found.append(DataDeletion(token, gone))
    return found
