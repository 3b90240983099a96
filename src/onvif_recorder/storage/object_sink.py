"""Segmenter events → the upload spool, for one recording with an object-storage target.

The counterpart of ``LocalSink`` for RC Annex B targets: ``SegmentOpened`` creates the
spool file with the header and journals it as being built (B.4 key with the target
Prefix and Postfix, B.6/B.7 content type, the attributes known already), so a crash
can be repaired; ``FragmentWritten`` appends, ``SegmentClosed`` appends the ``mfra``,
fsyncs and renames, then (at the end of the batch, ``handle``) completes the row with the
B.9 attributes; ``SpanClosed`` journals
the empty B.5 span-end object. The drainer (``engine.uploads``) uploads them in order per span.
Memory stays bounded by one fragment: the segment grows on disk, not in RAM.

Each segment is also indexed (``storage.segment_index``, location ``object`` with the
storage token; not under StorageStrategy Both, ``storage.both_sink``, where the local
copy's row is the index's): a row when it opens, completed when its spooled file is final (before
its journal row becomes ready, so the index never lags an upload). So what a recording
holds in object storage is known after a restart: "Incompatible Stream" (RC §5.19)
compares with it, and Search/Replay can list it. ``reconcile_object_rows`` settles the
rows a crash left open, after the spool's start-up repair.
"""

from __future__ import annotations

import uuid
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
from onvif_recorder.storage.object_key import KeyLayout, segment_key
from onvif_recorder.storage.search_summary import summarize
from onvif_recorder.storage.segment_index import Location, SegmentIndex, SegmentRow
from onvif_recorder.storage.segment_scan import scan_segment
from onvif_recorder.storage.sink import track_codecs
from onvif_recorder.storage.spans import (
    ATTRIBUTES_VERSION,
    ObjectIntent,
    content_type,
    full_content_type,
    segment_object,
    span_end_object,
)
from onvif_recorder.storage.upload_queue import FinishedFile, SpoolFile, UploadSpool


@dataclass(slots=True)
class _Span:
    span: str
    tracks: tuple[TrackInfo, ...]
    timescale: int
    file: SpoolFile | None = None
    row: int = 0
    key: str = ""


@dataclass(frozen=True, slots=True)
class _Finished:
    """A segment file made durable, still to be indexed and journalled as ready."""

    key: str
    end_utc: float
    journal_row: int
    file: FinishedFile
    intent: ObjectIntent


@dataclass(slots=True)
class ObjectSink:
    spool: UploadSpool
    recording: str
    storage: str
    """Token of the storage configuration the objects go to."""
    layout: KeyLayout
    track_tokens: Mapping[int, str]
    source: str | None = None
    """B.9 ``Source`` attribute: the recording's SourceId."""
    index: SegmentIndex | None = None
    """Where the segments are indexed (the recorder's segment index)."""
    event_topic: str | None = None
    """B.9 ``EventTopic``: the topic of the event that triggered the recording job."""
    _spans: dict[int, _Span] = field(default_factory=dict)
    _tracks: dict[int, TrackInfo] = field(default_factory=dict)

    def handle(self, events: Iterable[Event]) -> list[SegmentRow]:
        """Act on events in order; returns no rows (retention leaves uploads alone).

        As ``LocalSink.handle``: the index rows of the segments finished are completed
        once the batch is handled, after the row of the segment a cut opened next."""
        done: list[_Finished] = []
        try:
            for event in events:
                if isinstance(event, SpanOpened):
                    self._spans[event.span_id] = _Span(f"{self.recording}/{uuid.uuid4().hex}",
                                                       event.tracks, event.timescale)
                    self._tracks.update((t.track_id, t) for t in event.tracks)
                elif isinstance(event, SegmentOpened):
                    self._open(event)
                elif isinstance(event, FragmentWritten):
                    file = self._spans[event.span_id].file
                    assert file is not None
                    self.spool.append(file, event.parts)
                elif isinstance(event, SegmentClosed):
                    done.append(self._close(event))
                else:
                    self._end_span(event)
        finally:
            for finished in done:
                self._complete(finished)
        return []

    def _open(self, event: SegmentOpened) -> None:
        key = segment_key(self.layout, event.start_utc, event.counter, event.extension)
        span = self._spans[event.span_id]
        span.key = key
        if self.index is not None:
            codecs = track_codecs(self.track_tokens, span.tracks)
            self.index.put(SegmentRow(
                self.recording, key, span.span, event.extension, event.start_utc,
                event.start_utc, 0, tuple(codecs), codecs, False, Location.OBJECT, self.storage))
        span.file = self.spool.open_file(self.recording, key)
        attributes = {"Version": ATTRIBUTES_VERSION, "Timescale": str(span.timescale),
                      "FullContentType": full_content_type(self._tracks.values())}
        if self.source:
            attributes["Source"] = self.source
        if self.event_topic:
            attributes["EventTopic"] = self.event_topic
        span.row = self.spool.begin(
            self.storage, self.recording, span.span, key, span.file,
            content_type(event.extension, span.tracks), attributes, event.start_utc,
            (self.layout.prefix, self.layout.postfix))
        self.spool.append(span.file, event.header)

    def _close(self, event: SegmentClosed) -> _Finished:
        span = self._spans[event.span_id]
        file, span.file = span.file, None
        assert file is not None
        self.spool.append(file, event.trailer)
        intent = segment_object(self.layout, event, self._tracks.values(), source=self.source,
                                event_topic=self.event_topic)
        return _Finished(span.key, event.end_utc, span.row, self.spool.finish_file(file),
                         intent)

    def _complete(self, done: _Finished) -> None:
        """Index the finished segment (its search summary first, so a row Search sees
        complete has it), then make it ready for upload."""
        if self.index is not None:
            self._keep_search_summary(done.key, done.file)
            self.index.complete(done.key, done.end_utc, done.file.size, self.storage)
        self.spool.complete(done.journal_row, done.file, done.intent.content_type,
                            done.intent.attributes)

    def _keep_search_summary(self, key: str, finished: FinishedFile) -> None:
        """Search reads it after the object has left the spool (storage.search_summary)."""
        assert self.index is not None
        try:
            summary = summarize((self.spool.root / finished.relative).read_bytes())
        except (OSError, ValueError):
            return  # a segment Search cannot read anyway: its attributes stay unknown
        self.index.set_search_summary(key, self.storage, summary)

    def _end_span(self, event: SpanClosed) -> None:
        span = self._spans.pop(event.span_id, None)
        if span is None:
            return
        intent = span_end_object(self.layout, event)
        self.spool.enqueue(self.storage, self.recording, span.span, intent.key, None,
                           intent.content_type, {}, event.end_utc)

    def abort(self) -> None:
        """Writer failure: the segments being built are given up (spans end unmarked)."""
        for span in self._spans.values():
            if span.file is not None:
                self.spool.discard_file(span.file)
                self.spool.abandon(span.row)
                if self.index is not None:
                    self.index.delete([span.key], self.storage)
        self._spans.clear()


def reconcile_object_rows(index: SegmentIndex, spool: UploadSpool) -> None:
    """Start-up, after ``spool.sweep()`` and before any upload: a row left open by a
    crash is completed from its repaired spool file, or forgotten if the spool dropped it
    (no complete fragment: nothing was recorded there)."""
    for row in index.segments(location=Location.OBJECT):
        if row.complete:
            continue
        entry = spool.entry(row.storage, row.key)
        try:
            body = spool.read_body(entry) if entry is not None else b""
            facts, summary = scan_segment(body), summarize(body)
        except (OSError, ValueError):
            facts = None
        if entry is None or facts is None:
            index.delete([row.key], row.storage)
        else:
            index.complete(row.key, facts.end_utc, entry.size, row.storage)
            index.set_search_summary(row.key, row.storage, summary)
