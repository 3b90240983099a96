"""G.711 in the codec table: RTP ``PCMU``/``PCMA`` (RFC 3551 §4.5.14) stored as
``ulaw``/``alaw`` AudioSampleEntry.

These 4CCs are registered at the MP4 registration authority (mp4ra.org, "codecs") for
ITU-T G.711; FFmpeg's mov/mp4 demuxer maps them to ``pcm_mulaw``/``pcm_alaw`` in any
ISO-BMFF brand. Each sample holds one RTP packet's worth of 8-bit codes, so its duration
is ``bytes / channels`` ticks. Static payload types 0 and 8 need no rtpmap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onvif_recorder.media.spec import CodecSpec, StreamFormat
from onvif_recorder.mp4.model import TrackKind
from onvif_recorder.mp4.sample_entries import audio_sample_entry
from onvif_recorder.rtp.depacketize import Depacketizer
from onvif_recorder.rtp.depacketize.base import G711Config
from onvif_recorder.rtp.depacketize.g711 import G711Depacketizer

FOURCCS = {"PCMU": "ulaw", "PCMA": "alaw"}
"""The G.711 law (rtpmap encoding name) → its sample entry type."""


@dataclass(frozen=True, slots=True)
class G711Codec:
    """G.711 µ-law (``PCMU``) or A-law (``PCMA``)."""

    law: str
    sample_rate: int = 8000
    channels: int = 1

    kind = TrackKind.AUDIO
    size = (0, 0)
    nal_layout = None  # encrypted as whole samples (ISO/IEC 23001-7 §9.5)

    def __post_init__(self) -> None:
        if self.law not in FOURCCS:
            raise ValueError(f"G.711 law must be PCMU or PCMA, not {self.law!r}")
        if not 0 < self.sample_rate < 65536 or not 1 <= self.channels <= 8:
            raise ValueError("G.711 sample rate or channel count out of range")

    @property
    def fourcc(self) -> str:
        return FOURCCS[self.law]

    @property
    def codec_string(self) -> str:
        return self.fourcc

    def sample_entry(self) -> bytes:
        """|ulaw| or |alaw| AudioSampleEntry with no child boxes."""
        return audio_sample_entry(self.fourcc.encode(), self.channels, self.sample_rate)

    def sample_data(self, units: Sequence[bytes]) -> bytes:
        return b"".join(units)

    def sample_duration(self, data: bytes) -> int | None:
        return len(data) // self.channels


def _depacketizer(stream: StreamFormat) -> Depacketizer:
    return G711Depacketizer(stream.encoding, stream.clock_rate or 8000, stream.channels)


def _track_codec(config: G711Config) -> G711Codec:
    return G711Codec(config.encoding.upper(), config.sample_rate, config.channels)


def _describe(config: G711Config) -> str:
    return f"{config.sample_rate} Hz, {config.channels} channel(s)"


SPEC = CodecSpec(name="G.711", fourccs={law.lower(): fourcc for law, fourcc in FOURCCS.items()},
                 static_payload_types={0: "PCMU", 8: "PCMA"}, config_type=G711Config,
                 depacketizer=_depacketizer, track_codec=_track_codec, describe=_describe)
