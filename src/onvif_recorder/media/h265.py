"""H.265 in the codec table: RTP ``H265`` (RFC 7798) stored as ``hvc1`` (ISO/IEC 14496-15).

As for H.264: 4-byte NAL lengths, parameter sets only in ``hvcC`` (arrays marked
complete), VPS/SPS/PPS and AUD left out of the samples (§8.3.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from onvif_recorder.cenc.subsamples import NalLayout
from onvif_recorder.codecs import h264, h265, h265_slice
from onvif_recorder.media.spec import CodecSpec, StreamFormat
from onvif_recorder.mp4.boxes import box, u8, u16, u32
from onvif_recorder.mp4.model import TrackKind
from onvif_recorder.mp4.sample_entries import NAL_LENGTH_SIZE, visual_sample_entry
from onvif_recorder.rtp.depacketize import Depacketizer, decode_sprop
from onvif_recorder.rtp.depacketize.base import H265Config
from onvif_recorder.rtp.depacketize.h265 import H265Depacketizer

_OUT_OF_BAND = frozenset({h265.NalType.VPS, h265.NalType.SPS, h265.NalType.PPS,
                          h265.NalType.AUD})


@dataclass(frozen=True, slots=True)
class HevcCodec:
    """H.265 parameter sets (NAL units with 2-byte header) for ``hvcC``."""

    vps: tuple[bytes, ...]
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    info: h265.SpsInfo = field(compare=False)
    temporal_layers: int = field(default=0, compare=False)
    """From the VPS (``vps_max_sub_layers_minus1 + 1``); 0 = unknown (14496-15 §8.3.2.1.3)."""

    kind = TrackKind.VIDEO
    fourcc = "hvc1"

    @classmethod
    def from_parameter_sets(cls, vps: Sequence[bytes], sps: Sequence[bytes],
                            pps: Sequence[bytes]) -> HevcCodec:
        if not vps or not sps or not pps:
            raise ValueError("hvcC needs a VPS, an SPS and a PPS")
        layers = h265.parse_vps(vps[0]).max_sub_layers
        return cls(tuple(vps), tuple(sps), tuple(pps), h265.parse_sps(sps[0]), layers)

    @property
    def nal_layout(self) -> NalLayout:
        return NalLayout(NAL_LENGTH_SIZE, 2, h265.is_vcl, self.vps + self.sps + self.pps,
                         h265_slice.SliceHeaders)

    @property
    def codec_string(self) -> str:
        return self.info.profile.codec_string

    @property
    def size(self) -> tuple[int, int]:
        return self.info.width, self.info.height

    @property
    def sample_rate(self) -> int:
        return 0

    def sample_entry(self) -> bytes:
        """|hvc1| → |hvcC|"""
        width, height = self.size
        return visual_sample_entry(self.fourcc.encode(), width, height, hvcc(self))

    def sample_data(self, units: Sequence[bytes]) -> bytes:
        return hevc_sample(units)

    def sample_duration(self, data: bytes) -> int | None:
        return None  # from the next sample's time


def hvcc(codec: HevcCodec) -> bytes:
    """HEVCDecoderConfigurationRecord (14496-15 §8.3.3.1), complete VPS/SPS/PPS arrays."""
    info, ptl = codec.info, codec.info.profile
    head = (
        u8(1),
        u8(ptl.profile_space << 6 | ptl.tier << 5 | ptl.profile_idc),
        u32(ptl.compatibility_flags),
        ptl.constraint_flags.to_bytes(6, "big"),
        u8(ptl.level_idc),
        u16(0xF000),  # min_spatial_segmentation_idc = 0
        u8(0xFC),  # parallelismType = 0 (unknown)
        u8(0xFC | info.chroma_format_idc),
        u8(0xF8 | (info.bit_depth_luma - 8)),
        u8(0xF8 | (info.bit_depth_chroma - 8)),
        u16(0),  # avgFrameRate unknown
        # constantFrameRate 0, numTemporalLayers, temporalIdNested 0, lengthSizeMinusOne
        u8((codec.temporal_layers & 7) << 3 | (NAL_LENGTH_SIZE - 1)),
    )
    arrays = [(32, codec.vps), (33, codec.sps), (34, codec.pps)]
    body = [u8(0x80 | nal_type) + u16(len(units)) + b"".join(u16(len(u)) + u for u in units)
            for nal_type, units in arrays]
    return box(b"hvcC", *head, u8(len(arrays)), *body)


def hevc_sample(nal_units: Sequence[bytes]) -> bytes:
    """H.265 access unit → ``hvc1`` sample data."""
    kept = [nal for nal in nal_units
            if len(nal) >= 2 and (nal[0] >> 1) & 0x3F not in _OUT_OF_BAND]
    return h264.to_length_prefixed(kept, NAL_LENGTH_SIZE)


def hevc_parameter_sets(nal_units: Sequence[bytes]) -> tuple[list[bytes], ...]:
    """The VPS, SPS and PPS NAL units found in an access unit."""
    def of(kind: int) -> list[bytes]:
        return [nal for nal in nal_units if len(nal) >= 2 and (nal[0] >> 1) & 0x3F == kind]
    return of(h265.NalType.VPS), of(h265.NalType.SPS), of(h265.NalType.PPS)


def _depacketizer(stream: StreamFormat) -> Depacketizer:
    fmtp = stream.fmtp
    return H265Depacketizer(_first(fmtp, "sprop-vps"), _first(fmtp, "sprop-sps"),
                            _first(fmtp, "sprop-pps"), donl=_donl(fmtp))


def _first(fmtp: Mapping[str, str], key: str) -> bytes | None:
    units = decode_sprop(fmtp.get(key, ""))
    return units[0] if units else None


def _donl(fmtp: Mapping[str, str]) -> bool:
    """RFC 7798 §7.1: a non-zero sprop-max-don-diff means DONL fields are present."""
    don_diff = fmtp.get("sprop-max-don-diff", "0").strip()
    return don_diff.isascii() and don_diff.isdecimal() and don_diff.strip("0") != ""


def _track_codec(config: H265Config) -> HevcCodec | None:
    if config.vps is None or config.pps is None:
        return None
    return HevcCodec.from_parameter_sets([config.vps], [config.sps], [config.pps])


def _describe(config: H265Config) -> str:
    return "" if config.info is None else f"{config.info.width}x{config.info.height}"


SPEC = CodecSpec(name="H.265", fourccs=dict.fromkeys(("h265", "hevc"), HevcCodec.fourcc),
                 config_type=H265Config, depacketizer=_depacketizer,
                 track_codec=_track_codec, describe=_describe)
