"""What the segmenter emits (RC Annex B spans and segments), in the order to act on.

For one span: ``SpanOpened``, then per segment ``SegmentOpened`` (its header bytes),
``FragmentWritten``* (bytes to append, in parts, each a complete ``[prft] moof mdat``),
``SegmentClosed`` (trailer bytes, usually ``mfra``, and the facts B.9 attributes need),
and finally ``SpanClosed``. Concatenating header, fragments and trailer gives the
segment object; a consumer writing files flushes after every ``FragmentWritten``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from onvif_recorder.mp4.mfra import RandomAccessEntry
from onvif_recorder.mp4.model import TrackInfo


class SpanEndReason(Enum):
    SPAN_DURATION = "span-duration"
    CONFIGURATION = "configuration"
    """The ``moov`` had to change: new SPS, resolution, codec parameters (B.2)."""
    DISCONTINUITY = "discontinuity"
    REQUESTED = "requested"
    """Closed because another span of the same recording closed (B.2, CMAF)."""
    CLOSED = "closed"
    """The recording was deactivated."""


@dataclass(frozen=True, slots=True)
class SpanOpened:
    span_id: int
    extension: str
    """``mp4``, or ``m4v``/``m4a``/``m4m`` for CMAF (B.6, B.7)."""
    tracks: tuple[TrackInfo, ...]
    timescale: int
    start_utc: float


@dataclass(frozen=True, slots=True)
class SegmentOpened:
    span_id: int
    extension: str
    counter: int
    start_utc: float
    """UTC of the first sample's decode time: the B.4 key time."""
    header: bytes


@dataclass(frozen=True, slots=True)
class FragmentWritten:
    span_id: int
    extension: str
    counter: int
    parts: tuple[bytes, ...]
    """The fragment's bytes in order, in pieces a file writer passes to one ``writev``
    (joining them would copy the media once more)."""

    @property
    def data(self) -> bytes:
        return b"".join(self.parts)

    @property
    def size(self) -> int:
        return sum(map(len, self.parts))


@dataclass(frozen=True, slots=True)
class TrackStats:
    samples: int = 0
    bytes: int = 0
    duration: int = 0
    """Sum of sample durations, in the segment timescale."""


@dataclass(frozen=True, slots=True)
class SegmentClosed:
    span_id: int
    extension: str
    counter: int
    start_utc: float
    end_utc: float
    duration: int
    """Primary (video if present) track duration in ``timescale`` units (B.9 Duration)."""
    timescale: int
    trailer: bytes
    size: int
    """Bytes of the whole segment: header, fragments and trailer."""
    tracks: tuple[TrackInfo, ...]
    stats: dict[int, TrackStats] = field(default_factory=dict)
    random_access: dict[int, tuple[RandomAccessEntry, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SpanClosed:
    span_id: int
    extension: str
    end_utc: float
    """End of the last sample of the span (B.5 key time)."""
    end_counter: int
    """Counter of the last segment + 1 (B.5)."""
    reason: SpanEndReason


Event = SpanOpened | SegmentOpened | FragmentWritten | SegmentClosed | SpanClosed
