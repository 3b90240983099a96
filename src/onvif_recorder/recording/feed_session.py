"""One feed's current session: which received stream goes to which recorded track (pure).

Built from ``SessionStarted`` and the feed's won tracks with the SourceTag convention of
``track_mapping``; a stream whose encoding differs from what its track already holds is
refused with RC §5.19 "Incompatible Stream".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from onvif_recorder.domain.recording import TrackType
from onvif_recorder.ingest.items import SessionStarted
from onvif_recorder.mp4.model import TrackInfo
from onvif_recorder.recording.parameter_guard import ParameterGuard
from onvif_recorder.recording.plan import Feed
from onvif_recorder.recording.track_mapping import select_stream, stream_fourcc

INCOMPATIBLE = "Incompatible Stream"


@dataclass(slots=True)
class FeedSession:
    session: int
    routes: dict[int, list[str]] = field(default_factory=dict)
    """media index → destination track tokens it feeds."""
    fourcc: dict[str, str] = field(default_factory=dict)
    """destination → sample entry type of its stream."""
    sparse: set[str] = field(default_factory=set)
    """Destinations fed by a metadata stream (may be silent for long)."""
    unmapped: set[str] = field(default_factory=set)
    incompatible: set[str] = field(default_factory=set)
    infos: dict[str, TrackInfo] = field(default_factory=dict)
    """destination → current track description, once parameter sets are known."""
    offered: dict[str, TrackInfo] = field(default_factory=dict)
    """destination → what the stream's latest parameter sets describe (differs from
    ``infos`` while an unstable stream's changes are held back)."""
    guards: dict[str, ParameterGuard] = field(default_factory=dict)
    written: bool = False

    @property
    def mapped(self) -> set[str]:
        return set(self.fourcc)


def map_session(feed: Feed, started: SessionStarted,
                recorded: Mapping[str, str]) -> FeedSession:
    """Route the session's streams to the feed's tracks; ``recorded`` = track → fourcc."""
    mapping = FeedSession(started.session)
    for track in feed.tracks:
        info = select_stream(track.source_tag, started.streams)
        destination = track.destination
        if info is None:
            mapping.unmapped.add(destination)
            continue
        fourcc = stream_fourcc(info)
        if recorded.get(destination, fourcc) != fourcc:
            mapping.incompatible.add(destination)
            continue
        mapping.routes.setdefault(info.media_index, []).append(destination)
        mapping.fourcc[destination] = fourcc
        if info.track_type is TrackType.METADATA:
            mapping.sparse.add(destination)
    return mapping
