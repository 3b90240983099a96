"""What the muxer is given: track descriptions and timed samples (no I/O, no RTP types).

``TrackSample`` is deliberately independent of ``rtp.stream.ReceivedSample`` so the
recording side adapts one to the other (see ``TrackSample``'s docstring for the mapping).
A track's ``Codec`` is one of the codec table's descriptions (``onvif_recorder.media``):
the muxer asks it for its sample entry and never tells codecs apart itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from onvif_recorder.cenc.subsamples import NalLayout


class TrackKind(Enum):
    """Media type of a track; the value is the ``hdlr`` handler_type (§8.4.3)."""

    VIDEO = "vide"
    AUDIO = "soun"
    METADATA = "meta"


class Codec(Protocol):
    """What the muxer and storage need of a track's codec (one class per codec in ``media``).

    Implementations are frozen dataclasses: two descriptions are equal when they would
    write the same sample entry, which is how a change of parameters is noticed.
    """

    @property
    def kind(self) -> TrackKind: ...

    @property
    def fourcc(self) -> str:
        """Sample entry type in ``stsd``; what RC §5.19 "Incompatible Stream" compares."""
        ...

    @property
    def codec_string(self) -> str:
        """RFC 6381 ``codecs`` parameter value, e.g. ``avc1.64001F`` or ``mp4a.40.2``."""
        ...

    @property
    def size(self) -> tuple[int, int]:
        """Picture width and height for video, (0, 0) otherwise."""
        ...

    @property
    def sample_rate(self) -> int:
        """Audio sampling frequency in Hz, 0 for video and metadata."""
        ...

    @property
    def nal_layout(self) -> NalLayout | None:
        """Samples' NAL unit structure (video), which subsample encryption follows."""
        ...

    def sample_entry(self) -> bytes:
        """The one sample entry of the track's ``stsd`` (ISO/IEC 14496-12 §8.5.2)."""
        ...

    def sample_data(self, units: Sequence[bytes]) -> bytes:
        """One access unit as a depacketizer delivers it → the sample's bytes in ``mdat``."""
        ...

    def sample_duration(self, data: bytes) -> int | None:
        """Duration in track ticks that the sample itself fixes (audio), else None."""
        ...


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """One track: ISO-BMFF ``track_ID`` (≥ 1), codec, and the clock of its timestamps."""

    track_id: int
    codec: Codec
    clock_rate: int

    def __post_init__(self) -> None:
        if not 1 <= self.track_id <= 0xFFFFFFFF:
            raise ValueError(f"track_ID {self.track_id} out of range")
        if self.clock_rate <= 0:
            raise ValueError("clock rate must be positive")

    @property
    def kind(self) -> TrackKind:
        return self.codec.kind

    @property
    def size(self) -> tuple[int, int]:
        """Picture width and height for video, (0, 0) otherwise."""
        return self.codec.size


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackSample:
    """One timed sample of one track, as the muxer stores it.

    From ``rtp.stream.ReceivedSample``: ``dts``/``pts`` are its unwrapped ticks (its
    ``clock_rate`` is the track's), ``utc`` is its ``utc`` (wall clock of the
    presentation time, POSIX seconds), ``sync`` its ``sync``, and ``data`` its
    ``units`` converted by the track's ``Codec.sample_data`` (length-prefixed NAL units
    for video, the raw frame for AAC and G.711, the XML document for metadata).
    """

    track_id: int
    dts: int
    pts: int
    sync: bool
    data: bytes
    utc: float
    duration: int | None = None
    """Duration in track ticks if known up front (audio); else found by lookahead."""

    @property
    def composition_offset(self) -> int:
        return self.pts - self.dts
