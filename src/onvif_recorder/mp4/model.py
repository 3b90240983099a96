"""What the muxer is given: track descriptions and timed samples (no I/O, no RTP types).

``Sample`` is deliberately independent of ``rtp.stream.Sample`` so the engine adapts one
to the other (see ``Sample``'s docstring for the mapping). Codec descriptions are built
from parameter sets with the parsers in ``onvif_recorder.codecs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from onvif_recorder.codecs import h264, h265
from onvif_recorder.codecs.aac import AudioSpecificConfig, parse_audio_specific_config

ONVIF_METADATA_NAMESPACE = "http://www.onvif.org/ver10/schema"


class TrackKind(Enum):
    """Media type of a track; the value is the ``hdlr`` handler_type (§8.4.3)."""

    VIDEO = "vide"
    AUDIO = "soun"
    METADATA = "meta"


@dataclass(frozen=True, slots=True)
class AvcCodec:
    """H.264 parameter sets (NAL units with header byte, no start codes) for ``avcC``."""

    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    info: h264.SpsInfo = field(compare=False)

    @classmethod
    def from_parameter_sets(cls, sps: Sequence[bytes], pps: Sequence[bytes]) -> AvcCodec:
        if not sps or not pps:
            raise ValueError("avcC needs at least one SPS and one PPS")
        return cls(tuple(sps), tuple(pps), h264.parse_sps(sps[0]))


@dataclass(frozen=True, slots=True)
class HevcCodec:
    """H.265 parameter sets (NAL units with 2-byte header) for ``hvcC``."""

    vps: tuple[bytes, ...]
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    info: h265.SpsInfo = field(compare=False)
    temporal_layers: int = field(default=0, compare=False)
    """From the VPS (``vps_max_sub_layers_minus1 + 1``); 0 = unknown (14496-15 §8.3.2.1.3)."""

    @classmethod
    def from_parameter_sets(cls, vps: Sequence[bytes], sps: Sequence[bytes],
                            pps: Sequence[bytes]) -> HevcCodec:
        if not vps or not sps or not pps:
            raise ValueError("hvcC needs a VPS, an SPS and a PPS")
        layers = h265.parse_vps(vps[0]).max_sub_layers
        return cls(tuple(vps), tuple(sps), tuple(pps), h265.parse_sps(sps[0]), layers)


@dataclass(frozen=True, slots=True)
class AacCodec:
    """MPEG-4 audio with its AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1)."""

    config: bytes
    info: AudioSpecificConfig = field(compare=False)

    @classmethod
    def from_config(cls, config: bytes) -> AacCodec:
        return cls(bytes(config), parse_audio_specific_config(config))


@dataclass(frozen=True, slots=True)
class G711Codec:
    """G.711 µ-law (``PCMU``) or A-law (``PCMA``); stored as ``ulaw``/``alaw`` entries."""

    law: str
    sample_rate: int = 8000
    channels: int = 1

    def __post_init__(self) -> None:
        if self.law not in ("PCMU", "PCMA"):
            raise ValueError(f"G.711 law must be PCMU or PCMA, not {self.law!r}")
        if not 0 < self.sample_rate < 65536 or not 1 <= self.channels <= 8:
            raise ValueError("G.711 sample rate or channel count out of range")


@dataclass(frozen=True, slots=True)
class MetadataCodec:
    """ONVIF metadata as XML timed metadata (``metx``, Export File Format "Timed metadata")."""

    content_encoding: str = ""
    """Empty means XML (the default); ``gzip`` or ``exi`` as the ONVIF spec allows."""
    namespace: str = ONVIF_METADATA_NAMESPACE
    schema_location: str = ""


Codec = AvcCodec | HevcCodec | AacCodec | G711Codec | MetadataCodec


def kind_of(codec: Codec) -> TrackKind:
    if isinstance(codec, AvcCodec | HevcCodec):
        return TrackKind.VIDEO
    if isinstance(codec, AacCodec | G711Codec):
        return TrackKind.AUDIO
    return TrackKind.METADATA


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
        return kind_of(self.codec)

    @property
    def size(self) -> tuple[int, int]:
        """Picture width and height for video, (0, 0) otherwise."""
        if isinstance(self.codec, AvcCodec | HevcCodec):
            return self.codec.info.width, self.codec.info.height
        return 0, 0


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed sample of one track, as the muxer stores it.

    From ``rtp.stream.Sample``: ``dts``/``pts`` are its unwrapped ticks (its
    ``clock_rate`` is the track's), ``utc`` is its ``utc`` (wall clock of the
    presentation time, POSIX seconds), ``sync`` its ``sync``, and ``data`` its
    ``units`` converted by ``mp4.sample_data`` (length-prefixed NAL units for video,
    the raw frame for AAC and G.711, the XML document for metadata).
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
