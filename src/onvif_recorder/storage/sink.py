"""Segmenter events → local storage calls, for one recording (no asyncio).

``SpanOpened`` remembers the span's tracks, ``SegmentOpened`` creates the ``.partial``
file with the header, ``FragmentWritten`` appends (one ``writev`` per fragment),
``SegmentClosed`` appends the ``mfra``, fsyncs and renames (its index row is completed
at the end of the batch, see ``handle``), ``SpanClosed`` writes the ``_end`` object.
``abort`` closes open files after a writer failure; the next start-up (or
``LocalStorage.recover``) repairs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from onvif_recorder.mp4.events import (
    Event,
    FragmentWritten,
    SegmentClosed,
    SegmentOpened,
    SpanClosed,
    SpanOpened,
)
from onvif_recorder.mp4.model import TrackInfo
from onvif_recorder.storage.local import LocalStorage, OpenSegment
from onvif_recorder.storage.segment_index import SegmentRow


def track_codecs(track_tokens: Mapping[int, str], tracks: Iterable[TrackInfo]) -> dict[str, str]:
    """Track token → sample entry type: the ``codecs`` of a segment index row."""
    return {track_tokens.get(t.track_id, str(t.track_id)): t.codec.fourcc for t in tracks}


@dataclass(slots=True)
class _SpanState:
    tracks: tuple[TrackInfo, ...]
    first_key: str | None = None
    segment: OpenSegment | None = None


@dataclass(slots=True)
class LocalSink:
    storage: LocalStorage
    recording: str
    track_tokens: Mapping[int, str]
    """ISO-BMFF track_ID → the recording's track token."""
    _spans: dict[int, _SpanState] = field(default_factory=dict)

    def handle(self, events: Iterable[Event]) -> list[SegmentRow]:
        """Act on events in order; returns the rows of the segments they finished.

        Their index rows are completed once the whole batch is handled, so after the
        row of the segment a cut opened next: the index never shows a span that goes
        on without an open segment (Search would find a stop there, and call the
        recording Stopped while it is still being written)."""
        done: list[SegmentRow] = []
        try:
            for event in events:
                if isinstance(event, SpanOpened):
                    self._spans[event.span_id] = _SpanState(event.tracks)
                elif isinstance(event, SegmentOpened):
                    self._open(event)
                elif isinstance(event, FragmentWritten):
                    segment = self._spans[event.span_id].segment
                    assert segment is not None
                    self.storage.append(segment, event.parts)
                elif isinstance(event, SegmentClosed):
                    done.append(self._close(event))
                else:
                    self._end_span(event)
        finally:
            for row in done:  # durable files, even if a later event failed
                self.storage.complete(row)
        return done

    def codecs(self, tracks: Iterable[TrackInfo]) -> dict[str, str]:
        return track_codecs(self.track_tokens, tracks)

    def _open(self, event: SegmentOpened) -> None:
        span = self._spans[event.span_id]
        span.segment = self.storage.open_segment(
            self.recording, span.first_key, event.start_utc, event.counter, event.extension,
            event.header, self.codecs(span.tracks))
        span.first_key = span.first_key or span.segment.row.key

    def _close(self, event: SegmentClosed) -> SegmentRow:
        span = self._spans[event.span_id]
        segment = span.segment
        assert segment is not None
        span.segment = None
        return self.storage.finish(segment, event.trailer, event.end_utc)

    def _end_span(self, event: SpanClosed) -> None:
        self._spans.pop(event.span_id, None)
        self.storage.span_end(self.recording, event.end_utc, event.end_counter, event.extension)

    def abort(self) -> None:
        """Close every open file without finishing it (writer failure)."""
        for span in self._spans.values():
            if span.segment is not None:
                self.storage.abandon(span.segment)
        self._spans.clear()
