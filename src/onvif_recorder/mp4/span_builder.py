"""The span/segment life cycle of one span type (RC Annex B.2, B.3): a pure state machine.

Theory of operation. States are ``WAITING`` (no span open) and ``OPEN``. A span opens
on a sample of the *primary* track (video if the span has video, else its first
track) that may start a segment: a video sync sample, or any sample of audio or
metadata. Every later primary sample is a possible cut at its decode time ``F``:

* a sync sample (any sample without video) cuts a fragment, and also the segment once
  it lasted ``segment_duration`` (so segments run ± one GOP over, B.3), and the span
  once it lasted ``span_duration`` or after a configuration change;
* a non-sync sample cuts a fragment (a CMAF chunk) once ``fragment_duration`` passed,
  so a crash loses at most one fragment even with long GOPs.

Cuts are queued and carried out when every other live track has a sample at or past
``F`` (so audio that arrives a little after the video still lands in the right
segment), or when a track lags the leader by more than ``max_lag``. Segments cut
this way are contiguous: one ends exactly where the next begins. Timeline trouble on
the primary track (backwards, gap, drift: ``timeline.Placement``) and ``hard_cut``
close the span at once with the samples received, and the next span waits for a
new opening sample.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

from onvif_recorder.mp4.events import (
    Event,
    FragmentWritten,
    SegmentClosed,
    SegmentOpened,
    SpanClosed,
    SpanEndReason,
    SpanOpened,
)
from onvif_recorder.mp4.fragment import ProducerReference, TrackRun
from onvif_recorder.mp4.model import TrackInfo, TrackKind, TrackSample
from onvif_recorder.mp4.segment import SegmentAssembler, SegmentHeader
from onvif_recorder.mp4.timeline import (
    Placement,
    Timed,
    TrackTimeline,
    common_timescale,
    utc_to_ntp,
)
from onvif_recorder.mp4.user_data import SegmentInfo

HeaderFactory = Callable[[Sequence[TrackInfo], SegmentInfo], SegmentHeader]
"""Makes a segment header for the tracks, carrying the segment's recovery box."""


class State(Enum):
    WAITING = "waiting"
    OPEN = "open"


class CutKind(Enum):
    FRAGMENT = 1
    SEGMENT = 2
    SPAN = 3


@dataclass(frozen=True, slots=True)
class Cut:
    time: int
    kind: CutKind
    reason: SpanEndReason = SpanEndReason.SPAN_DURATION
    tracks: tuple[TrackInfo, ...] | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """Durations in seconds, see ``segmenter.SegmenterConfig``."""

    segment_duration: float
    span_duration: float | None
    fragment_duration: float
    max_gap: float
    max_drift: float
    max_lag: float
    producer_reference: bool
    write_mfra: bool


@dataclass(slots=True)
class Counters:
    skipped_before_sync: int = 0
    late_dropped: int = 0
    unknown_track: int = 0
    spans: int = 0
    segments: int = 0


@dataclass(slots=True)
class _Span:
    span_id: int
    start: int
    counter: int
    tracks: tuple[TrackInfo, ...]
    segment: SegmentAssembler
    segment_start: int


class SpanBuilder:
    """Samples of the tracks of one span type in, ``Event``s out (see module docstring)."""

    def __init__(self, extension: str, tracks: Sequence[TrackInfo], limits: Limits,
                 header: HeaderFactory, span_ids: Iterator[int]) -> None:
        self.extension = extension
        self.tracks: dict[int, TrackInfo] = {}
        self.primary = 0
        """The track whose samples open spans and place cuts (module docstring)."""
        self._primary_video = False
        self._set_tracks(tracks)
        self.limits = limits
        self._header = header
        self._span_ids = span_ids
        self.counters = Counters()
        self.state = State.WAITING
        self._reset_session()

    def _reset_session(self) -> None:
        self.state = State.WAITING
        self._origin = 0.0
        self._timelines: dict[int, TrackTimeline] = {}
        self._ready: dict[int, list[Timed]] = {tid: [] for tid in self.tracks}
        self._cuts: list[Cut] = []
        self._span: _Span | None = None
        self._scheduled = {kind: 0 for kind in CutKind}
        self._span_request: SpanEndReason | None = None
        self._segment_request = False
        self._next_tracks: tuple[TrackInfo, ...] | None = None

    def _set_tracks(self, tracks: Sequence[TrackInfo]) -> None:
        """Set the tracks, and what follows from them (kept, not derived per sample)."""
        self.tracks = {track.track_id: track for track in tracks}
        video = next((t.track_id for t in tracks if t.kind is TrackKind.VIDEO), None)
        self.primary = video if video is not None else tracks[0].track_id
        self._primary_video = video is not None
        self.timescale = common_timescale([t.clock_rate for t in tracks])

    def _seconds(self, value: float) -> int:
        return round(value * self.timescale)

    # --- inputs ---------------------------------------------------------------------

    def push(self, sample: TrackSample) -> list[Event]:
        events: list[Event] = []
        track_id = sample.track_id
        if track_id not in self.tracks:
            self.counters.unknown_track += 1
            return events
        if self.state is State.WAITING:
            if not self._opens(sample):
                self.counters.skipped_before_sync += 1
                return events
            self._open_session(sample, events)
        primary = track_id == self.primary
        if primary and self._next_tracks and not sample.sync:
            self.hard_cut(SpanEndReason.CONFIGURATION, events)
            return events + self.push(sample)
        timeline = self._timelines[track_id]
        time, placement = timeline.place(sample)
        if placement is not Placement.OK:
            if primary:
                self.hard_cut(SpanEndReason.DISCONTINUITY, events)
                return events + self.push(sample)
            timeline.reanchor()
            time, _ = timeline.place(sample)
        admitted = self._admit(timeline, time)
        if admitted is None:
            self.counters.late_dropped += 1
            return events
        done = timeline.push(timeline.timed(sample, admitted))
        if done is not None:
            self._ready[track_id].append(done)
        if primary:
            self._schedule(admitted, sample.sync)
        if self._cuts:
            self._run_cuts(events, force=False)
        return events

    def _opens(self, sample: TrackSample) -> bool:
        return sample.track_id == self.primary and (
            sample.sync or self.tracks[sample.track_id].kind is not TrackKind.VIDEO)

    def _admit(self, timeline: TrackTimeline, time: int) -> int | None:
        """The time a sample may take: not before its track's end or the span start."""
        floor = self._span.start if self._span else 0
        previous = timeline.pending.time + 1 if timeline.pending else timeline.end
        if previous is not None:
            floor = max(floor, previous)
        if time >= floor:
            return time
        return floor if timeline.sparse else None

    def update_track(self, track: TrackInfo) -> list[Event]:
        """New codec parameters for a track: the ``moov`` changes, so the span does (B.2)."""
        events: list[Event] = []
        old = self.tracks.get(track.track_id)
        if old == track:
            return events
        tracks = tuple(track if t.track_id == track.track_id else t
                       for t in self.tracks.values()) + (() if old else (track,))
        same_clock = old is not None and old.clock_rate == track.clock_rate
        if self.state is State.OPEN and track.track_id == self.primary and same_clock:
            self._next_tracks = tracks  # cut at the next sync sample, contiguously
            return events
        self.hard_cut(SpanEndReason.CONFIGURATION, events)
        self._replace_tracks(tracks)
        return events

    def _replace_tracks(self, tracks: tuple[TrackInfo, ...]) -> None:
        self._set_tracks(tracks)
        self._ready = {tid: self._ready.get(tid, []) for tid in self.tracks}
        for timeline in self._timelines.values():
            timeline.track = self.tracks[timeline.track.track_id]

    def request_span_cut(self, reason: SpanEndReason) -> None:
        if self.state is State.OPEN:
            self._span_request = reason

    def request_segment_cut(self) -> None:
        if self.state is State.OPEN:
            self._segment_request = True

    # --- scheduling -----------------------------------------------------------------

    def _schedule(self, time: int, sync: bool) -> None:
        """Queue the cut, if any, that the primary sample at ``time`` makes (B.3)."""
        scheduled, limits = self._scheduled, self.limits
        if time <= scheduled[CutKind.FRAGMENT]:
            return
        video = self._primary_video
        if sync or not video:
            if self._next_tracks is not None:
                self._queue(Cut(time, CutKind.SPAN, SpanEndReason.CONFIGURATION,
                                self._next_tracks))
                self._replace_tracks(self._next_tracks)
                self._next_tracks = None
                return
            span_due = limits.span_duration is not None and (
                time - scheduled[CutKind.SPAN] >= self._seconds(limits.span_duration))
            if span_due or self._span_request:
                reason = self._span_request or SpanEndReason.SPAN_DURATION
                self._queue(Cut(time, CutKind.SPAN, reason))
                return
            if self._segment_request or (
                    time - scheduled[CutKind.SEGMENT] >= self._seconds(limits.segment_duration)):
                self._queue(Cut(time, CutKind.SEGMENT))
                return
        if (sync and video) or time - scheduled[CutKind.FRAGMENT] >= self._seconds(
                limits.fragment_duration):
            self._queue(Cut(time, CutKind.FRAGMENT))

    def _queue(self, cut: Cut) -> None:
        for kind in CutKind:
            if kind.value <= cut.kind.value:
                self._scheduled[kind] = cut.time
        if cut.kind is CutKind.SPAN:
            self._span_request = None
        if cut.kind is not CutKind.FRAGMENT:
            self._segment_request = False
        self._cuts.append(cut)

    def _run_cuts(self, events: list[Event], *, force: bool) -> None:
        while self._cuts and (force or self._can_cut(self._cuts[0].time)):
            self._execute(self._cuts.pop(0), events)

    def _can_cut(self, time: int) -> bool:
        """Every live continuous track has reached ``time`` or lags beyond ``max_lag``."""
        pending = [t.pending.time for t in self._timelines.values()
                   if t.pending is not None and not t.sparse]
        if not pending:
            return True
        horizon = max(pending) - self._seconds(self.limits.max_lag)
        return all(p >= time or p < horizon for p in pending)

    # --- carrying out cuts ----------------------------------------------------------

    def _execute(self, cut: Cut, events: list[Event]) -> None:
        self._emit_fragment(self._take(cut.time), events)
        if cut.kind is CutKind.FRAGMENT:
            return
        self._close_segment(cut.time, events)
        if cut.kind is CutKind.SPAN:
            self._close_span(cut.time, cut.reason, events)
            self._open_span(cut.time, cut.tracks, events)
        self._open_segment(cut.time, events)

    def _take(self, limit: int | None) -> list[TrackRun]:
        """Ready samples before ``limit`` (all if None) as one run per track."""
        assert self._span is not None
        runs: list[TrackRun] = []
        for track_id in self.tracks:
            self._flush_pending(track_id, limit)
            ready = self._ready[track_id]
            count = len(ready) if limit is None else sum(1 for s in ready if s.time < limit)
            taken, self._ready[track_id] = ready[:count], ready[count:]
            if taken:  # a ``Timed`` is what ``trun`` needs: no copy per sample
                runs.append(TrackRun(track_id, taken[0].time - self._span.start, taken))
        return runs

    def _flush_pending(self, track_id: int, limit: int | None) -> None:
        """End a pending sample early: all at a hard cut, else those before the cut.

        A cut runs only once every live track reached it, so a continuous track still
        before it has lagged past ``max_lag``: its last sample takes its nominal
        duration rather than wait and land in a later segment. A sparse (metadata)
        sample simply lasts until the cut.
        """
        timeline = self._timelines.get(track_id)
        pending = timeline.pending if timeline is not None else None
        if timeline is None or pending is None:
            return
        if limit is None or pending.time < limit:
            done = timeline.flush(limit)
            if done is not None:
                self._ready[track_id].append(done)

    def _emit_fragment(self, runs: list[TrackRun], events: list[Event]) -> None:
        span = self._span
        if span is None or not runs:
            return
        reference = None
        if self.limits.producer_reference:
            run = next((r for r in runs if r.track_id == self.primary), runs[0])
            utc = self._utc(span.start + run.decode_time)
            reference = ProducerReference(run.track_id, utc_to_ntp(utc), run.decode_time)
        parts = span.segment.add(runs, reference)
        events.append(FragmentWritten(span.span_id, self.extension, span.counter, parts))

    def hard_cut(self, reason: SpanEndReason, events: list[Event]) -> None:
        """Close the open span now with every sample received (deactivation, breaks)."""
        if self.state is State.WAITING:
            return
        self._run_cuts(events, force=True)
        self._emit_fragment(self._take(None), events)
        ends = [t.end for t in self._timelines.values() if t.end is not None]
        primary = self._timelines.get(self.primary)
        end = primary.end if primary is not None and primary.end is not None else max(ends)
        self._close_segment(end, events)
        self._close_span(max(ends), reason, events)
        if self._next_tracks is not None:
            self._replace_tracks(self._next_tracks)
        self._reset_session()

    # --- opening and closing --------------------------------------------------------

    def _open_session(self, sample: TrackSample, events: list[Event]) -> None:
        self.state = State.OPEN
        self._origin = sample.utc - (sample.pts - sample.dts) / self.tracks[
            sample.track_id].clock_rate
        self._timelines = {
            tid: TrackTimeline(track, self.timescale, self._origin,
                               max_gap=self.limits.max_gap, max_drift=self.limits.max_drift)
            for tid, track in self.tracks.items()}
        self._open_span(0, None, events)
        self._open_segment(0, events)

    def _utc(self, time: int) -> float:
        return self._origin + time / self.timescale

    def _open_span(self, time: int, tracks: tuple[TrackInfo, ...] | None,
                   events: list[Event]) -> None:
        tracks = tracks or tuple(self.tracks.values())
        span_id = next(self._span_ids)
        self._span = _Span(span_id, time, 0, tracks, SegmentAssembler(b"", []), time)
        self.counters.spans += 1
        events.append(SpanOpened(span_id, self.extension, tracks, self.timescale,
                                 self._utc(time)))

    def _open_segment(self, time: int, events: list[Event]) -> None:
        span = self._span
        assert span is not None
        info = SegmentInfo(span=span.span_id, segment=span.counter, extension=self.extension,
                           timescale=self.timescale, start_utc=self._utc(time),
                           span_start_utc=self._utc(span.start))
        header = self._header(span.tracks, info)
        span.segment = SegmentAssembler(header.data, [t.track_id for t in span.tracks],
                                        header.protection)
        span.segment_start = time
        self.counters.segments += 1
        events.append(SegmentOpened(span.span_id, self.extension, span.counter,
                                    self._utc(time), header.data))

    def _close_segment(self, end: int, events: list[Event]) -> None:
        span = self._span
        assert span is not None
        segment = span.segment
        trailer = segment.trailer(self.limits.write_mfra)
        events.append(SegmentClosed(
            span.span_id, self.extension, span.counter, self._utc(span.segment_start),
            self._utc(end), end - span.segment_start, self.timescale, trailer, segment.size,
            span.tracks, dict(segment.stats), segment.random_access()))
        span.counter += 1

    def _close_span(self, end: int, reason: SpanEndReason, events: list[Event]) -> None:
        span = self._span
        assert span is not None
        events.append(SpanClosed(span.span_id, self.extension, self._utc(end), span.counter,
                                 reason))
