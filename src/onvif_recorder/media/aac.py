"""AAC in the codec table: RTP ``mpeg4-generic`` (RFC 3640, AAC-hbr/lbr) stored as
``mp4a`` + ``esds`` (ISO/IEC 14496-14 §5.6, 14496-1 §7.2.6.5 descriptors).

Each sample is one raw access unit (no ADTS) of ``frame_length`` samples (1024, or 960
with GASpecificConfig.frameLengthFlag), so its duration is known up front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from onvif_recorder.codecs.aac import AudioSpecificConfig, parse_audio_specific_config
from onvif_recorder.media.spec import CodecSpec, StreamFormat
from onvif_recorder.mp4.boxes import full_box, u8, u16, u32
from onvif_recorder.mp4.model import TrackKind
from onvif_recorder.mp4.sample_entries import audio_sample_entry
from onvif_recorder.rtp.depacketize import Depacketizer, UnsupportedCodec
from onvif_recorder.rtp.depacketize.aac import AacDepacketizer, AuHeaderLayout
from onvif_recorder.rtp.depacketize.base import AacConfig

_CHANNELS = {0: 2, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8}  # 14496-3 Table 1.19


@dataclass(frozen=True, slots=True)
class AacCodec:
    """MPEG-4 audio with its AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1)."""

    config: bytes
    info: AudioSpecificConfig = field(compare=False)

    kind = TrackKind.AUDIO
    fourcc = "mp4a"
    size = (0, 0)
    nal_layout = None  # encrypted as whole samples (ISO/IEC 23001-7 §9.5)

    @classmethod
    def from_config(cls, config: bytes) -> AacCodec:
        return cls(bytes(config), parse_audio_specific_config(config))

    @property
    def codec_string(self) -> str:
        return self.info.codec_string

    @property
    def sample_rate(self) -> int:
        return self.info.sampling_frequency

    def sample_entry(self) -> bytes:
        """|mp4a| → |esds|"""
        channels = _CHANNELS.get(self.info.channel_configuration, 2)
        return audio_sample_entry(self.fourcc.encode(), channels, self.info.sampling_frequency,
                                  esds(self.config))

    def sample_data(self, units: Sequence[bytes]) -> bytes:
        return b"".join(units)

    def sample_duration(self, data: bytes) -> int | None:
        return self.info.frame_length


def esds(audio_specific_config: bytes) -> bytes:
    """ES_Descriptor → DecoderConfigDescriptor (MPEG-4 audio) → DecoderSpecificInfo, SL."""
    decoder_specific = _descriptor(0x05, audio_specific_config)
    decoder_config = _descriptor(
        0x04,
        u8(0x40),  # objectTypeIndication: ISO/IEC 14496-3 audio
        u8(0x05 << 2 | 1),  # streamType AudioStream, upStream 0, reserved 1
        bytes(3), u32(0), u32(0),  # bufferSizeDB, maxBitrate, avgBitrate: unknown
        decoder_specific,
    )
    sl_config = _descriptor(0x06, u8(0x02))  # predefined: reserved for MP4 files
    return full_box(b"esds", 0, 0, _descriptor(0x03, u16(0), u8(0), decoder_config, sl_config))


def _descriptor(tag: int, *payload: bytes) -> bytes:
    """A 14496-1 §8.3.3 descriptor: tag, size in 7-bit groups, payload."""
    body = b"".join(payload)
    size, groups = len(body), [len(body) & 0x7F]
    size >>= 7
    while size:
        groups.append(0x80 | (size & 0x7F))
        size >>= 7
    return u8(tag) + bytes(reversed(groups)) + body


def _depacketizer(stream: StreamFormat) -> Depacketizer:
    mode = stream.fmtp.get("mode", "").lower()
    if mode not in ("aac-hbr", "aac-lbr"):
        raise UnsupportedCodec(f"mpeg4-generic mode {mode or '(none)'} is not supported")
    try:
        config = bytes.fromhex(stream.fmtp.get("config", ""))
    except ValueError as exc:
        raise UnsupportedCodec("mpeg4-generic config is not hexadecimal") from exc
    return AacDepacketizer(config, AuHeaderLayout.from_fmtp(stream.fmtp))


def _describe(config: AacConfig) -> str:
    info = config.info
    return f"{info.sampling_frequency} Hz, {info.channel_configuration} channel(s)"


SPEC = CodecSpec(name="AAC", fourccs={"mpeg4-generic": AacCodec.fourcc}, config_type=AacConfig,
                 depacketizer=_depacketizer,
                 track_codec=lambda config: AacCodec.from_config(config.config),
                 describe=_describe)
