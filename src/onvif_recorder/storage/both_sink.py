"""StorageStrategy ``Both`` (RC 26.06 Annex C.2): every segmenter event goes to local
storage and to the upload spool, in that order (no asyncio).

Both sinks receive the same header, fragment and trailer bytes, so each uploaded object
is byte for byte the local file, and the same object an ExportRecordedSegments of that
segment uploads (same B.4 key, same bytes). Only the local segment is indexed: the
spool's copy is the same segment, and a second row would make Search and the segment
listing count it twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from onvif_recorder.mp4.events import Event
from onvif_recorder.storage.object_sink import ObjectSink
from onvif_recorder.storage.segment_index import SegmentRow
from onvif_recorder.storage.sink import LocalSink


@dataclass(slots=True)
class BothSink:
    local: LocalSink
    upload: ObjectSink
    """Built without an index (``index=None``)."""

    @property
    def track_tokens(self) -> Mapping[int, str]:
        return self.local.track_tokens

    @track_tokens.setter
    def track_tokens(self, tokens: Mapping[int, str]) -> None:
        self.local.track_tokens = tokens
        self.upload.track_tokens = tokens

    def handle(self, events: Iterable[Event]) -> list[SegmentRow]:
        """Local first: a segment is uploaded only once it is also durable locally."""
        batch = list(events)
        done = self.local.handle(batch)
        self.upload.handle(batch)
        return done

    def abort(self) -> None:
        self.local.abort()
        self.upload.abort()
