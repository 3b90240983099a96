"""The finished local segments of a recording, as ListRecordedSegments and
ExportRecordedSegments see them (RC 26.06 §5.26-5.27, Annex C).

A local segment file is immutable once finished (``storage.local``: renamed from
``.partial`` after its last fragment and ``mfra``), starts with a sync sample, and every
sample is in exactly one of them, so the finished rows of the segment index are Annex
C's stable segments; the one still being written is not finished and never listed.
``media_type`` reads a segment's header once per span and track set (codecs change only
with a new span, RC B.2) and keeps it in a bounded cache.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from onvif_recorder.service.recorded_segments import FinishedSegment
from onvif_recorder.storage.local import layout_for
from onvif_recorder.storage.object_key import KeyLayout, parse_key, segment_key
from onvif_recorder.storage.segment_codecs import media_type, read_header
from onvif_recorder.storage.segment_index import Location, SegmentIndex

_CACHE_SIZE = 1024


class LocalSegments:
    def __init__(self, index: SegmentIndex, media_root: Path) -> None:
        self.index = index
        self.media_root = media_root
        self._types: OrderedDict[tuple[str, str, tuple[str, ...]], str] = OrderedDict()

    def close(self) -> None:
        self.index.close()

    def finished(self, recording: str, start_utc: float,
                 end_utc: float) -> list[FinishedSegment]:
        """Finished local segments of ``recording`` meeting ``[start_utc, end_utc)``."""
        rows = self.index.overlapping(recording, start_utc, end_utc)
        return [FinishedSegment(r.recording, r.key, r.span, r.extension, r.start_utc,
                                r.end_utc, r.tracks)
                for r in rows if r.complete and r.location is Location.LOCAL]

    def path(self, row: FinishedSegment) -> Path:
        return self.media_root / row.key

    def media_type(self, row: FinishedSegment) -> str:
        """RFC 6381 type of the segment; raises OSError/ValueError for an unreadable one."""
        key = (row.span, row.extension, row.tracks)
        found = self._types.get(key)
        if found is None:
            found = media_type(read_header(self.path(row)), row.extension)
            self._types[key] = found
            if len(self._types) > _CACHE_SIZE:
                self._types.popitem(last=False)
        self._types.move_to_end(key)
        return found


def export_key(row: FinishedSegment, layout: KeyLayout) -> str:
    """The B.4 key of a local segment under a target's ``layout``: the same time,
    precision, counter and extension as its local key (which has the recording token as
    prefix), so a segment always exports under one key."""
    parsed = parse_key(row.key, layout_for(row.recording))
    precise = KeyLayout(layout.prefix, layout.postfix, parsed.fraction_digits)
    return segment_key(precise, parsed.time, parsed.counter, parsed.extension)
