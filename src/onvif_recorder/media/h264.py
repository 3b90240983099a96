"""H.264 in the codec table: RTP ``H264`` (RFC 6184) stored as ``avc1`` (ISO/IEC 14496-15).

Samples are the access unit's NAL units with 4-byte lengths (§5.3.2). Parameter sets and
access unit delimiters are left out: the parameter sets are in ``avcC``, and a change of
them starts a new span (RC Annex B.2), so an ``avc1`` entry is always exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from onvif_recorder.cenc.subsamples import NalLayout
from onvif_recorder.codecs import h264, h264_slice
from onvif_recorder.codecs.bits import BitReader, unescape_rbsp
from onvif_recorder.media.spec import CodecSpec, StreamFormat
from onvif_recorder.mp4.boxes import box, u8, u16
from onvif_recorder.mp4.model import TrackKind
from onvif_recorder.mp4.sample_entries import NAL_LENGTH_SIZE, visual_sample_entry
from onvif_recorder.rtp.depacketize import Depacketizer, decode_sprop
from onvif_recorder.rtp.depacketize.base import H264Config
from onvif_recorder.rtp.depacketize.h264 import H264Depacketizer

_EXTENDED_PROFILES = frozenset({100, 110, 122, 144})  # 14496-15 §5.3.3.1.2
_OUT_OF_BAND = frozenset({h264.NalType.SPS, h264.NalType.PPS, h264.NalType.AUD})


@dataclass(frozen=True, slots=True)
class AvcCodec:
    """H.264 parameter sets (NAL units with header byte, no start codes) for ``avcC``."""

    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    info: h264.SpsInfo = field(compare=False)

    kind = TrackKind.VIDEO
    fourcc = "avc1"

    @classmethod
    def from_parameter_sets(cls, sps: Sequence[bytes], pps: Sequence[bytes]) -> AvcCodec:
        if not sps or not pps:
            raise ValueError("avcC needs at least one SPS and one PPS")
        return cls(tuple(sps), tuple(pps), h264.parse_sps(sps[0]))

    @property
    def nal_layout(self) -> NalLayout:
        return NalLayout(NAL_LENGTH_SIZE, 1, h264.is_vcl, self.sps + self.pps,
                         h264_slice.SliceHeaders)

    @property
    def codec_string(self) -> str:
        return self.info.codec_string

    @property
    def size(self) -> tuple[int, int]:
        return self.info.width, self.info.height

    @property
    def sample_rate(self) -> int:
        return 0

    def sample_entry(self) -> bytes:
        """|avc1| → |avcC|"""
        width, height = self.size
        return visual_sample_entry(self.fourcc.encode(), width, height, avcc(self))

    def sample_data(self, units: Sequence[bytes]) -> bytes:
        return avc_sample(units)

    def sample_duration(self, data: bytes) -> int | None:
        return None  # from the next sample's time


def avcc(codec: AvcCodec) -> bytes:
    """AVCDecoderConfigurationRecord (14496-15 §5.3.3.1), 4-byte NAL unit lengths."""
    sps = codec.sps[0]
    profile = sps[1]
    parts = [u8(1), sps[1:4], u8(0xFC | (NAL_LENGTH_SIZE - 1)), u8(0xE0 | len(codec.sps))]
    parts += [u16(len(unit)) + unit for unit in codec.sps]
    parts += [u8(len(codec.pps))] + [u16(len(unit)) + unit for unit in codec.pps]
    if profile in _EXTENDED_PROFILES:
        luma, chroma = _bit_depths(sps)
        parts += [u8(0xFC | codec.info.chroma_format_idc), u8(0xF8 | luma), u8(0xF8 | chroma),
                  u8(0)]  # numOfSequenceParameterSetExt
    return box(b"avcC", *parts)


def _bit_depths(sps: bytes) -> tuple[int, int]:
    """bit_depth_luma_minus8 and bit_depth_chroma_minus8 (H.264 §7.3.2.1.1).

    ``codecs.h264.SpsInfo`` does not carry them; they sit right after
    chroma_format_idc, so reading four fields here avoids a second SPS parser.
    """
    reader = BitReader(unescape_rbsp(sps[4:]))
    reader.read_ue()  # seq_parameter_set_id
    if reader.read_ue() == 3:  # chroma_format_idc
        reader.read_flag()  # separate_colour_plane_flag
    return reader.read_ue() & 7, reader.read_ue() & 7


def avc_sample(nal_units: Sequence[bytes]) -> bytes:
    """H.264 access unit → ``avc1`` sample data."""
    kept = [nal for nal in nal_units if nal and nal[0] & 0x1F not in _OUT_OF_BAND]
    return h264.to_length_prefixed(kept, NAL_LENGTH_SIZE)


def avc_parameter_sets(nal_units: Sequence[bytes]) -> tuple[list[bytes], list[bytes]]:
    """The SPS and PPS NAL units found in an access unit."""
    sps = [nal for nal in nal_units if nal and nal[0] & 0x1F == h264.NalType.SPS]
    pps = [nal for nal in nal_units if nal and nal[0] & 0x1F == h264.NalType.PPS]
    return sps, pps


def _depacketizer(stream: StreamFormat) -> Depacketizer:
    return H264Depacketizer(decode_sprop(stream.fmtp.get("sprop-parameter-sets", "")))


def _track_codec(config: H264Config) -> AvcCodec | None:
    if config.pps is None:
        return None
    return AvcCodec.from_parameter_sets([config.sps], [config.pps])


def _describe(config: H264Config) -> str:
    return "" if config.info is None else f"{config.info.width}x{config.info.height}"


SPEC = CodecSpec(name="H.264", fourccs={"h264": AvcCodec.fourcc}, config_type=H264Config,
                 depacketizer=_depacketizer, track_codec=_track_codec, describe=_describe)
