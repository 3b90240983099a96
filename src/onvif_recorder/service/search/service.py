"""The Search operations (Search 25.12 §5.4-5.15) over configuration and recorded data."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from onvif_recorder.domain.errors import InvalidToken
from onvif_recorder.domain.job import JobState
from onvif_recorder.domain.recording import Recording
from onvif_recorder.service.job_states import current_job_states
from onvif_recorder.service.media_flow import MediaFlow
from onvif_recorder.service.search.history import (
    EventQuery,
    EventResult,
    RecordingHistory,
    find_events,
    within,
)
from onvif_recorder.service.search.information import (
    MediaAttributes,
    RecordingInformation,
    RecordingSummary,
    media_attributes,
    recording_information,
    summary,
)
from onvif_recorder.service.search.ptz import PtzQuery, PtzReader, PtzResult, ptz_matches
from onvif_recorder.service.search.recorded import (
    DocumentReader,
    MetadataFacts,
    NotificationParser,
    RecordedData,
    RecordedRange,
    TrackFacts,
)
from onvif_recorder.service.search.scope import SearchScope, information_node, scoped_tokens
from onvif_recorder.service.search.sessions import Page, SearchKind, SearchSessions, SearchState
from onvif_recorder.service.search.xpath import Filter, Node
from onvif_recorder.service.state import StateHolder
from onvif_recorder.settings import Limits

_RECORDING_STATES = (JobState.ACTIVE, JobState.PARTIALLY_ACTIVE)
R = TypeVar("R", "MetadataResult", "PtzResult")
Found = tuple[RecordingInformation, dict[str, list[RecordedRange]]]


@dataclass(frozen=True, slots=True)
class MetadataResult:
    """tt:FindMetadataResult."""

    recording: str
    track: str
    time: float


@dataclass(frozen=True, slots=True)
class MetadataQuery:
    start: float
    end: float | None
    stream_filter: Filter | None  # MetadataStreamFilter; None accepts every document

    @property
    def backward(self) -> bool:
        return self.end is not None and self.end < self.start

    @property
    def window(self) -> tuple[float, float]:
        end = math.inf if self.end is None else self.end
        return min(self.start, end), max(self.start, end)

    def accepts(self, document: Node | None) -> bool:
        return document is not None and (self.stream_filter is None
                                         or self.stream_filter(document))


class SearchService:
    def __init__(self, holder: StateHolder, media: MediaFlow, data: RecordedData,
                 limits: Limits, notifications: NotificationParser | None = None,
                 documents: DocumentReader | None = None,
                 clock: Callable[[], float] | None = None,
                 ptz: PtzReader | None = None) -> None:
        self.holder = holder
        self.media = media
        self.data = data
        self.notifications: NotificationParser = notifications or (lambda _: [])
        self.documents: DocumentReader = documents or (lambda _: None)
        self.ptz: PtzReader = ptz or (lambda _: [])
        self.clock: Callable[[], float] = clock or (lambda: 0.0)
        self.limits = limits
        self.sessions = SearchSessions(limits.max_search_sessions,
                                       float(limits.max_search_keep_alive_s))

    def _after(self, now: float) -> float:
        """When a session's keep-alive starts: once its matches are computed, which at NVR
        scale may take longer than the KeepAliveTime the client asked for."""
        return max(now, self.clock())

    def _recording_now(self) -> set[str]:
        """Recordings a job is writing to right now (RecordingStatus ``Recording``)."""
        states = current_job_states(self.holder.state, self.media)
        return {s.recording_token for s in states.values() if s.state in _RECORDING_STATES}

    def _recording(self, token: str) -> Recording:
        found = self.holder.state.recordings.get(token)
        if found is None:
            raise InvalidToken(f"no recording {token[:64]!r}")
        return found

    def _with_ranges(self, recordings: Iterable[Recording]) -> list[Found]:
        active = self._recording_now()
        found = []
        for recording in recordings:
            ranges = self.data.ranges(recording.token)
            info = recording_information(recording, ranges, recording.token in active)
            found.append((info, ranges))
        return found

    def _information(self, recordings: Iterable[Recording]) -> list[RecordingInformation]:
        return [info for info, _ in self._with_ranges(recordings)]

    # §5.4-5.6
    def summary(self, now: float) -> RecordingSummary:
        return summary(self._information(self.holder.state.recordings.values()), now)

    def information(self, token: str) -> RecordingInformation:
        return self._information([self._recording(token)])[0]

    def media_attributes(self, tokens: Iterable[str], at: float) -> list[MediaAttributes]:
        recordings = [self._recording(t) for t in tokens] or \
            list(self.holder.state.recordings.values())
        found = [media_attributes(info, ranges, self._facts(info.token, at), at)
                 for info, ranges in self._with_ranges(recordings)
                 if any(r.start <= at <= r.end for spans in ranges.values() for r in spans)]
        return [m for m in found if m.tracks]

    def _facts(self, token: str, at: float) -> dict[str, TrackFacts]:
        """What the tracks recorded at ``at``; a metadata track says CanContainPTZ when
        a document of the segment there carries a PTZ position (§5.6)."""
        facts = self.data.facts(token, at)
        with_ptz = {sample.track for sample in self.data.metadata(token, at, at)
                    if self.ptz(sample)} if any(isinstance(f, MetadataFacts)
                                                 for f in facts.values()) else set()
        return {track: MetadataFacts(can_contain_ptz=True)
                if isinstance(fact, MetadataFacts) and track in with_ptz else fact
                for track, fact in facts.items()}

    # §5.7, 5.8
    def _scoped(self, scope: SearchScope) -> list[Found]:
        state = self.holder.state
        tokens = scoped_tokens(scope, state)
        found = self._with_ranges(state.recordings[t] for t in tokens)
        test = scope.information_filter
        return [(i, r) for i, r in found if test is None or test(information_node(i))]

    def recordings_in_scope(self, scope: SearchScope) -> list[str]:
        """Tokens of the recordings ``scope`` selects (ExportRecordedData, RC §5.21)."""
        return [info.token for info, _ in self._scoped(scope)]

    def _limit(self, max_matches: int | None) -> int:
        cap = self.limits.max_search_results
        return cap if max_matches is None or max_matches <= 0 else min(max_matches, cap)

    def find_recordings(self, scope: SearchScope, max_matches: int | None, keep_alive: float,
                        now: float) -> str:
        matches = [info for info, _ in self._scoped(scope)][:self._limit(max_matches)]
        return self.sessions.start(SearchKind.RECORDINGS, matches, keep_alive,
                                   self._after(now), now)

    def recording_results(self, token: str, now: float, max_results: int | None
                          ) -> Page[RecordingInformation]:
        page = self.sessions.page(token, SearchKind.RECORDINGS, now, max_results)
        return Page(page.state, [r for r in page.results if isinstance(r, RecordingInformation)])

    # §5.9, 5.10
    def find_events(self, query: EventQuery, scope: SearchScope, max_matches: int | None,
                    keep_alive: float, now: float) -> str:
        recordings = self.holder.state.recordings
        scoped = self._scoped(scope)
        histories = [RecordingHistory(i.token, tuple(t.token for t in recordings[i.token].tracks),
                                      ranges, partial(self.data.facts_from, i.token))
                     for i, ranges in scoped]
        limit = self._limit(max_matches)
        results = find_events(histories, query, limit,
                              self._metadata_events([i.token for i, _ in scoped], query))
        endpoint = query.end if query.end is not None else now
        if len(results) == limit and results:
            endpoint = results[-1].time  # stopped at MaxMatches: that is how far it got
        return self.sessions.start(SearchKind.EVENTS, results, keep_alive, self._after(now),
                                   endpoint)

    def _metadata_events(self, tokens: list[str], query: EventQuery) -> list[EventResult]:
        """Events recorded in the metadata tracks of ``tokens`` within the window."""
        low, high = query.window
        return [EventResult(token, sample.track, event.time, event)
                for token in tokens
                for sample in self.data.metadata(token, low, high)
                for event in self.notifications(sample)]

    def event_results(self, token: str, now: float, max_results: int | None
                      ) -> Page[EventResult]:
        page = self.sessions.page(token, SearchKind.EVENTS, now, max_results)
        return Page(page.state, [r for r in page.results if isinstance(r, EventResult)])

    # §5.13, 5.14
    def find_metadata(self, query: MetadataQuery, scope: SearchScope, max_matches: int | None,
                      keep_alive: float, now: float) -> str:
        """Every recorded metadata document in the window the MetadataStreamFilter
        accepts (§5.13), ordered like events (backward when EndPoint < StartPoint)."""
        low, high = query.window
        found = [MetadataResult(token, sample.track, sample.time)
                 for token in (i.token for i, _ in self._scoped(scope))
                 for sample in self.data.metadata(token, low, high)
                 if within(sample.time, low, high) and query.accepts(self.documents(sample))]
        return self._start_sorted(SearchKind.METADATA, found, query.backward, query.end,
                                  max_matches, keep_alive, now)

    def metadata_results(self, token: str, now: float, max_results: int | None
                         ) -> Page[MetadataResult]:
        page = self.sessions.page(token, SearchKind.METADATA, now, max_results)
        return Page(page.state, [r for r in page.results if isinstance(r, MetadataResult)])

    # §5.11, 5.12
    def find_ptz_position(self, query: PtzQuery, scope: SearchScope, max_matches: int | None,
                          keep_alive: float, now: float) -> str:
        """PTZ positions recorded in the metadata tracks of the scope (service.search.ptz)."""
        low, high = query.window
        found = [match for token in (i.token for i, _ in self._scoped(scope))
                 for match in ptz_matches(token, [
                     (sample.track, sample.time, position)
                     for sample in self.data.metadata(token, low, high)
                     if within(sample.time, low, high) for position in self.ptz(sample)], query)]
        return self._start_sorted(SearchKind.PTZ, found, query.backward, query.end,
                                  max_matches, keep_alive, now)

    def _start_sorted(self, kind: SearchKind, found: list[R], backward: bool,
                      end: float | None, max_matches: int | None, keep_alive: float,
                      now: float) -> str:
        """A session of ``found`` in search order, cut at MaxMatches; its Endpoint is how
        far the search got (the last result kept when cut, else EndPoint or now)."""
        found.sort(key=lambda r: r.time, reverse=backward)
        limit = self._limit(max_matches)
        results = found[:limit]
        endpoint = end if end is not None else now
        if len(found) > limit:
            endpoint = results[-1].time
        return self.sessions.start(kind, results, keep_alive, self._after(now), endpoint)

    def ptz_results(self, token: str, now: float, max_results: int | None
                    ) -> Page[PtzResult]:
        page = self.sessions.page(token, SearchKind.PTZ, now, max_results)
        return Page(page.state, [r for r in page.results if isinstance(r, PtzResult)])

    # §5.15 and the WSDL's GetSearchState
    def end_search(self, token: str, now: float) -> float:
        return self.sessions.end(token, now)

    def search_state(self, token: str, now: float) -> SearchState:
        return self.sessions.state(token, now)
