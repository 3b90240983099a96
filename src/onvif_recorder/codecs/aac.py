"""AAC AudioSpecificConfig parse and build (ISO/IEC 14496-3 §1.6.2.1).

Only what RTP ingest and MP4 muxing need: audio object type (with the escape to
32+ types), sampling frequency (index or explicit 24-bit value), channel
configuration and the GASpecificConfig frameLengthFlag (1024 or 960 samples).
"""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.codecs.bits import BitReader, BitWriter
from onvif_recorder.codecs.errors import BitstreamError

SAMPLING_FREQUENCIES = (
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050,
    16000, 12000, 11025, 8000, 7350,
)
_EXPLICIT_FREQUENCY = 15
_ESCAPE_OBJECT_TYPE = 31
# Object types whose specific config is a GASpecificConfig (14496-3 §1.6.2.1, Table 1.15).
_GA_OBJECT_TYPES = frozenset({1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23})


@dataclass(frozen=True, slots=True)
class AudioSpecificConfig:
    """AudioSpecificConfig fields; ``object_type`` 2 is AAC-LC."""

    object_type: int
    sampling_frequency: int
    channel_configuration: int
    frame_length: int = 1024
    """Samples per access unit: 960 when GASpecificConfig.frameLengthFlag is set."""

    def __post_init__(self) -> None:
        if not 1 <= self.object_type <= 95:
            raise BitstreamError(f"audio object type {self.object_type} out of range")
        if not 0 < self.sampling_frequency < 1 << 24:
            raise BitstreamError(f"sampling frequency {self.sampling_frequency} out of range")
        if not 0 <= self.channel_configuration <= 15:
            raise BitstreamError(f"channel configuration {self.channel_configuration} > 15")
        if self.frame_length not in (960, 1024):
            raise BitstreamError(f"frame length {self.frame_length} is not 960 or 1024")

    @property
    def codec_string(self) -> str:
        """RFC 6381 ``mp4a.40.<object type>``."""
        return f"mp4a.40.{self.object_type}"


def parse_audio_specific_config(data: bytes) -> AudioSpecificConfig:
    """Parse the head of an AudioSpecificConfig (as in SDP ``config=`` or MP4 ``esds``)."""
    reader = BitReader(data)
    object_type = reader.read_bits(5)
    if object_type == _ESCAPE_OBJECT_TYPE:
        object_type = 32 + reader.read_bits(6)
    if object_type == 0:
        raise BitstreamError("audio object type 0 is not valid")
    frequency_index = reader.read_bits(4)
    if frequency_index == _EXPLICIT_FREQUENCY:
        frequency = reader.read_bits(24)
    elif frequency_index < len(SAMPLING_FREQUENCIES):
        frequency = SAMPLING_FREQUENCIES[frequency_index]
    else:
        raise BitstreamError(f"reserved sampling frequency index {frequency_index}")
    channels = reader.read_bits(4)
    frame_length = 1024
    if object_type in _GA_OBJECT_TYPES and reader.bits_left >= 1:
        frame_length = 960 if reader.read_flag() else 1024
    return AudioSpecificConfig(object_type, frequency, channels, frame_length)


def build_audio_specific_config(config: AudioSpecificConfig) -> bytes:
    """Serialize ``config`` (GASpecificConfig with dependsOnCoreCoder = extension = 0)."""
    writer = BitWriter()
    if config.object_type >= 32:
        writer.write_bits(_ESCAPE_OBJECT_TYPE, 5)
        writer.write_bits(config.object_type - 32, 6)
    else:
        writer.write_bits(config.object_type, 5)
    if config.sampling_frequency in SAMPLING_FREQUENCIES:
        writer.write_bits(SAMPLING_FREQUENCIES.index(config.sampling_frequency), 4)
    else:
        writer.write_bits(_EXPLICIT_FREQUENCY, 4)
        writer.write_bits(config.sampling_frequency, 24)
    writer.write_bits(config.channel_configuration, 4)
    if config.object_type in _GA_OBJECT_TYPES:
        writer.write_flag(config.frame_length == 960)
        writer.write_flag(False)  # dependsOnCoreCoder
        writer.write_flag(False)  # extensionFlag
    return writer.to_bytes()
