"""tt:SearchScope (Search §5.2.4) and the node tree the searchFilter dialect reads.

IncludedSources and IncludedRecordings are a union (no tokens: every recording); the
RecordingInformationFilter then narrows that set. A source is the receiver (or other
source) a recording job of the recording records from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from onvif_recorder.domain.errors import InvalidSource, InvalidToken
from onvif_recorder.service.search.information import RecordingInformation
from onvif_recorder.service.search.recorded import whole_ms
from onvif_recorder.service.search.xpath import Filter, Node
from onvif_recorder.service.state import RecorderState


@dataclass(frozen=True, slots=True)
class SearchScope:
    sources: tuple[str, ...] = ()
    recordings: tuple[str, ...] = ()
    information_filter: Filter | None = None


def xs_datetime(seconds: float) -> str:
    """xs:dateTime in UTC with 'Z' and milliseconds (Search §5.2.6)."""
    ms = whole_ms(seconds)
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def scoped_tokens(scope: SearchScope, state: RecorderState) -> list[str]:
    """Recording tokens named by the scope, in creation order (before the filter)."""
    unknown = [t for t in scope.recordings if t not in state.recordings]
    if unknown:
        raise InvalidToken(f"no recording {unknown[0][:64]!r}")
    if not scope.sources and not scope.recordings:
        return list(state.recordings)
    by_source: dict[str, set[str]] = {}
    for job in state.jobs.values():
        for source in job.configuration.sources:
            if source.source_token is not None:
                by_source.setdefault(source.source_token.token, set()).add(
                    job.configuration.recording_token)
    missing = [s for s in scope.sources if s not in by_source and s not in state.receivers]
    if missing:
        raise InvalidSource(f"no source {missing[0][:64]!r}")
    wanted = set(scope.recordings)
    for token in scope.sources:
        wanted |= by_source.get(token, set())
    return [token for token in state.recordings if token in wanted]


def information_node(info: RecordingInformation) -> Node:
    """The RecordingInformation structure as the filter sees it (tt: element names)."""
    root = Node("RecordingInformation")
    root.add("RecordingToken", info.token)
    source = root.add("Source")
    for name, value in (("SourceId", info.source.source_id), ("Name", info.source.name),
                        ("Location", info.source.location),
                        ("Description", info.source.description),
                        ("Address", info.source.address)):
        source.add(name, value)
    if info.earliest is not None and info.latest is not None:
        root.add("EarliestRecording", xs_datetime(info.earliest))
        root.add("LatestRecording", xs_datetime(info.latest))
    root.add("Content", info.content)
    for track in info.tracks:
        node = root.add("Track")
        node.add("TrackToken", track.token)
        node.add("TrackType", track.track_type.value)
        node.add("Description", track.description)
        node.add("DataFrom", xs_datetime(track.data_from))
        node.add("DataTo", xs_datetime(track.data_to))
    root.add("RecordingStatus", info.status.value)
    return root
