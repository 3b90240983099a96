"""The read port onto recorded data: exactly what Search needs to know, nothing more.

Implemented over the segment index by ``storage.search_data``. Times are POSIX seconds
(UTC). A *range* is a stretch of time in which a track holds data without a gap; the
ranges of one track are disjoint and in time order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from onvif_recorder.service.search.xpath import Node


@dataclass(frozen=True, slots=True)
class RecordedRange:
    start: float
    end: float
    open: bool = False
    """Still being written: its end is not a stop (no "data absent" event there)."""
    joined: tuple[float, ...] = ()
    """Where later ranges joined on without a gap began (for a track: the spans the
    recorder started on a codec change or a span duration limit), in time order."""

    @property
    def starts(self) -> tuple[float, ...]:
        """Its start and every joined start."""
        return (self.start, *self.joined)


@dataclass(frozen=True, slots=True)
class VideoFacts:
    encoding: str  # tt:VideoEncoding / MIME subtype name: H264, H265, JPEG
    width: int
    height: int
    framerate: float
    bitrate_kbps: int | None = None


@dataclass(frozen=True, slots=True)
class AudioFacts:
    encoding: str  # AAC, PCMU, PCMA
    samplerate_khz: int
    bitrate_kbps: int | None = None


@dataclass(frozen=True, slots=True)
class MetadataFacts:
    can_contain_ptz: bool = False
    can_contain_analytics: bool = False
    can_contain_notifications: bool = True


TrackFacts = VideoFacts | AudioFacts | MetadataFacts


@dataclass(frozen=True, slots=True)
class MetadataSample:
    """One recorded ONVIF metadata document (a ``tt:MetadataStream``), as bytes."""

    track: str
    time: float  # its decode time, UTC
    payload: bytes


@dataclass(frozen=True, slots=True)
class RecordedNotification:
    """An event recorded in a metadata track (a ``tt:Event`` of a metadata document).

    ``topic`` is the topic path with the ONVIF topic namespace's names plain and others
    as ``{namespace}name``; items are SimpleItems (Name, Value); ``xml`` is the
    wsnt:NotificationMessage exactly as recorded, answered as the result's Event."""

    time: float  # the message's UtcTime
    topic_namespace: str
    topic: tuple[str, ...]
    operation: str | None
    source: tuple[tuple[str, str], ...]
    data: tuple[tuple[str, str], ...]
    xml: bytes


DocumentReader = Callable[[MetadataSample], Node | None]
"""Reads a metadata document as a node tree for the MetadataStreamFilter (injected)."""

NotificationParser = Callable[[MetadataSample], list[RecordedNotification]]
"""Reads the events out of a metadata document (an XML adapter, injected)."""


class RecordedData(Protocol):
    def ranges(self, recording: str) -> dict[str, list[RecordedRange]]:
        """Every track of ``recording`` that holds data, with its ranges."""
        ...

    def facts(self, recording: str, at: float) -> dict[str, TrackFacts]:
        """What each track recorded around ``at`` (the segment holding it, else the
        nearest one): codec, resolution, frame rate, sample rate."""
        ...

    def facts_from(self, recording: str, start: float) -> dict[str, TrackFacts]:
        """What each track recorded in the finished segment beginning at ``start`` (a
        range or span start); empty while that segment is still being written."""
        ...

    def metadata(self, recording: str, low: float, high: float) -> list[MetadataSample]:
        """The metadata documents recorded in segments overlapping [low, high]."""
        ...

    def close(self) -> None: ...


def whole_ms(seconds: float) -> int:
    """Milliseconds, truncated: the precision every time is answered with (§5.2.6), so a
    time a client read back from an answer compares equal to what the answer meant."""
    return math.floor(seconds * 1000 + 1e-6)


def merged(ranges: list[RecordedRange], tolerance: float = 0.0) -> list[RecordedRange]:
    """Ranges sorted and joined where they touch or overlap (within ``tolerance`` s);
    ``joined`` keeps where the later ones began."""
    result: list[RecordedRange] = []
    for current in sorted(ranges, key=lambda r: r.start):
        if result and current.start <= result[-1].end + tolerance:
            last = result[-1]
            starts = tuple(s for s in current.starts if s > last.start)
            end, still_open = (current.end, current.open) if current.end >= last.end \
                else (last.end, last.open)
            result[-1] = RecordedRange(last.start, end, still_open,
                                       tuple(sorted({*last.joined, *starts})))
            continue
        result.append(current)
    return result


def recording_ranges(tracks: dict[str, list[RecordedRange]]) -> list[RecordedRange]:
    """When the recording as a whole was recording: the union of its tracks' ranges."""
    return merged([r for ranges in tracks.values() for r in ranges])
