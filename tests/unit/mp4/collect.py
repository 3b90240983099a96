"""Assemble segmenter events into segment objects, as a storage target would."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from onvif_recorder.mp4.events import (
    Event,
    FragmentWritten,
    SegmentClosed,
    SegmentOpened,
    SpanClosed,
    SpanOpened,
)


@dataclass
class Segment:
    opened: SegmentOpened
    data: bytearray
    closed: SegmentClosed | None = None


@dataclass
class Span:
    opened: SpanOpened
    segments: list[Segment] = field(default_factory=list)
    closed: SpanClosed | None = None


def collect(events: Iterable[Event]) -> list[Span]:
    """Spans in opening order, each with its finished segments' bytes."""
    spans: dict[int, Span] = {}
    for event in events:
        if isinstance(event, SpanOpened):
            assert event.span_id not in spans
            spans[event.span_id] = Span(event)
            continue
        span = spans[event.span_id]
        assert span.closed is None, "event after SpanClosed"
        if isinstance(event, SegmentOpened):
            assert not span.segments or span.segments[-1].closed is not None
            span.segments.append(Segment(event, bytearray(event.header)))
        elif isinstance(event, FragmentWritten):
            assert span.segments[-1].opened.counter == event.counter
            span.segments[-1].data += event.data
        elif isinstance(event, SegmentClosed):
            segment = span.segments[-1]
            segment.data += event.trailer
            segment.closed = event
            assert event.size == len(segment.data)
        else:
            assert span.segments[-1].closed is not None
            span.closed = event
    return list(spans.values())


@dataclass(frozen=True)
class TrafInfo:
    track_id: int
    decode_time: int
    durations: list[int]
    syncs: list[bool]


def trafs(data: bytes) -> list[TrafInfo]:
    """Every ``traf`` of a segment, decoded through ``tfhd`` defaults and ``trun``."""
    from onvif_recorder.mp4.fields import FieldReader
    from onvif_recorder.mp4.inspect import read_boxes

    out = []
    for moof in (b for b in read_boxes(data) if b.name == "moof"):
        for traf in moof.find_all("traf"):
            tfhd, tfdt, trun = (traf.find(name) for name in ("tfhd", "tfdt", "trun"))
            assert tfhd is not None and tfdt is not None and trun is not None
            reader = FieldReader(tfhd.payload)
            _, flags = reader.full()
            track_id = reader.uint(4)
            default_duration = reader.uint(4) if flags & 0x8 else 0
            default_flags = reader.uint(4) if flags & 0x20 else 0
            reader = FieldReader(tfdt.payload)
            version, _ = reader.full()
            decode_time = reader.uint(8 if version else 4)
            durations, sample_flags = _trun(trun.payload, default_duration, default_flags)
            out.append(TrafInfo(track_id, decode_time, durations,
                                [not f & 0x10000 for f in sample_flags]))
    return out


def _trun(payload: bytes, duration: int, flags: int) -> tuple[list[int], list[int]]:
    from onvif_recorder.mp4.fields import FieldReader

    reader = FieldReader(payload)
    _, trun_flags = reader.full()
    count = reader.uint(4)
    reader.uint(4)
    first = reader.uint(4) if trun_flags & 0x4 else None
    durations, all_flags = [], []
    for index in range(count):
        values = {bit: reader.uint(4) for bit in (0x100, 0x200, 0x400, 0x800)
                  if trun_flags & bit}
        durations.append(values.get(0x100, duration))
        sample_flags = values.get(0x400, flags)
        all_flags.append(first if index == 0 and first is not None else sample_flags)
    return durations, all_flags
