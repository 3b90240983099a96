"""Sample entries for ``stsd`` (ISO/IEC 14496-12 §8.5.2, §12.1-§12.3; 14496-15; 14496-14).

* H.264: ``avc1`` + ``avcC`` (14496-15 §5.4.2). Parameter sets live in the entry; the
  muxer strips them from samples (see ``sample_data``), so ``avc1`` is exact.
* H.265: ``hvc1`` + ``hvcC`` (14496-15 §8.4.1), arrays marked complete.
* AAC: ``mp4a`` + ``esds`` (14496-14 §5.6, 14496-1 §7.2.6.5 descriptors).
* G.711: ``ulaw`` / ``alaw`` AudioSampleEntry. These 4CCs are registered at the MP4
  registration authority (mp4ra.org, "codecs") for ITU-T G.711; FFmpeg's mov/mp4
  demuxer maps them to ``pcm_mulaw`` / ``pcm_alaw`` in any ISO-BMFF brand, and each
  MP4 sample holds one RTP packet's worth of 8-bit codes (duration = bytes/channels).
* ONVIF metadata: ``metx`` XMLMetaDataSampleEntry (§12.3.3) with the ONVIF schema
  namespace, per the ONVIF Export File Format "Timed metadata".
"""

from __future__ import annotations

from onvif_recorder.codecs.bits import BitReader, unescape_rbsp
from onvif_recorder.mp4.boxes import (
    box,
    cstring,
    fixed16_16,
    full_box,
    u8,
    u16,
    u32,
)
from onvif_recorder.mp4.model import (
    AacCodec,
    AvcCodec,
    Codec,
    G711Codec,
    HevcCodec,
    MetadataCodec,
)

_AVC_EXTENDED_PROFILES = frozenset({100, 110, 122, 144})  # 14496-15 §5.3.3.1.2
_AAC_CHANNELS = {0: 2, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8}
_NAL_LENGTH_SIZE = 4


def sample_entry(codec: Codec) -> bytes:
    """The one sample entry of a track's ``stsd`` for ``codec``."""
    if isinstance(codec, AvcCodec):
        return avc1(codec)
    if isinstance(codec, HevcCodec):
        return hvc1(codec)
    if isinstance(codec, AacCodec):
        return mp4a(codec)
    if isinstance(codec, G711Codec):
        return g711(codec)
    return metx(codec)


def codec_string(codec: Codec) -> str:
    """RFC 6381 ``codecs`` parameter value of one track."""
    if isinstance(codec, AvcCodec):
        return codec.info.codec_string
    if isinstance(codec, HevcCodec):
        return codec.info.profile.codec_string
    if isinstance(codec, AacCodec):
        return codec.info.codec_string
    if isinstance(codec, G711Codec):
        return "ulaw" if codec.law == "PCMU" else "alaw"
    return "metx"


def _sample_entry_header() -> bytes:
    """SampleEntry (§8.5.2.2): six reserved bytes and data_reference_index = 1."""
    return bytes(6) + u16(1)


def visual_sample_entry(kind: bytes, width: int, height: int, *children: bytes) -> bytes:
    """VisualSampleEntry (§12.1.3.2), 72 dpi, depth 0x18, then codec boxes."""
    fields = (
        _sample_entry_header(),
        bytes(16),  # pre_defined, reserved, pre_defined[3]
        u16(width), u16(height),
        u32(0x00480000), u32(0x00480000),  # horizresolution, vertresolution
        u32(0),  # reserved
        u16(1),  # frame_count
        bytes(32),  # compressorname: empty Pascal string
        u16(0x0018), u16(0xFFFF),  # depth, pre_defined = -1
    )
    return box(kind, *fields, *children)


def audio_sample_entry(kind: bytes, channels: int, rate: int, *children: bytes) -> bytes:
    """AudioSampleEntry v0 (§12.2.3.2); ``samplerate`` is 16.16 (0 above 65535 Hz)."""
    fields = (
        _sample_entry_header(),
        bytes(8),  # reserved
        u16(channels), u16(16),  # channelcount, samplesize
        u16(0), u16(0),  # pre_defined, reserved
        fixed16_16(rate if rate < 65536 else 0),
    )
    return box(kind, *fields, *children)


# --- H.264 ------------------------------------------------------------------------------


def avc1(codec: AvcCodec) -> bytes:
    """|avc1| → |avcC|"""
    return visual_sample_entry(b"avc1", codec.info.width, codec.info.height, avcc(codec))


def avcc(codec: AvcCodec) -> bytes:
    """AVCDecoderConfigurationRecord (14496-15 §5.3.3.1), 4-byte NAL unit lengths."""
    sps = codec.sps[0]
    profile = sps[1]
    parts = [u8(1), sps[1:4], u8(0xFC | (_NAL_LENGTH_SIZE - 1)), u8(0xE0 | len(codec.sps))]
    parts += [u16(len(unit)) + unit for unit in codec.sps]
    parts += [u8(len(codec.pps))] + [u16(len(unit)) + unit for unit in codec.pps]
    if profile in _AVC_EXTENDED_PROFILES:
        luma, chroma = _avc_bit_depths(sps)
        parts += [u8(0xFC | codec.info.chroma_format_idc), u8(0xF8 | luma), u8(0xF8 | chroma),
                  u8(0)]  # numOfSequenceParameterSetExt
    return box(b"avcC", *parts)


def _avc_bit_depths(sps: bytes) -> tuple[int, int]:
    """bit_depth_luma_minus8 and bit_depth_chroma_minus8 (H.264 §7.3.2.1.1).

    ``codecs.h264.SpsInfo`` does not carry them; they sit right after
    chroma_format_idc, so reading four fields here avoids a second SPS parser.
    """
    reader = BitReader(unescape_rbsp(sps[4:]))
    reader.read_ue()  # seq_parameter_set_id
    if reader.read_ue() == 3:  # chroma_format_idc
        reader.read_flag()  # separate_colour_plane_flag
    return reader.read_ue() & 7, reader.read_ue() & 7


# --- H.265 ------------------------------------------------------------------------------


def hvc1(codec: HevcCodec) -> bytes:
    """|hvc1| → |hvcC|"""
    return visual_sample_entry(b"hvc1", codec.info.width, codec.info.height, hvcc(codec))


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
        u8((codec.temporal_layers & 7) << 3 | (_NAL_LENGTH_SIZE - 1)),
    )
    arrays = [(32, codec.vps), (33, codec.sps), (34, codec.pps)]
    body = [u8(0x80 | nal_type) + u16(len(units)) + b"".join(u16(len(u)) + u for u in units)
            for nal_type, units in arrays]
    return box(b"hvcC", *head, u8(len(arrays)), *body)


# --- audio ------------------------------------------------------------------------------


def mp4a(codec: AacCodec) -> bytes:
    """|mp4a| → |esds|"""
    info = codec.info
    channels = _AAC_CHANNELS.get(info.channel_configuration, 2)
    return audio_sample_entry(b"mp4a", channels, info.sampling_frequency, esds(codec.config))


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


def g711(codec: G711Codec) -> bytes:
    """|ulaw| or |alaw| AudioSampleEntry with no child boxes."""
    kind = b"ulaw" if codec.law == "PCMU" else b"alaw"
    return audio_sample_entry(kind, codec.channels, codec.sample_rate)


# --- metadata ---------------------------------------------------------------------------


def metx(codec: MetadataCodec) -> bytes:
    """XMLMetaDataSampleEntry (§12.3.3.2): content_encoding, namespace, schema_location."""
    return box(b"metx", _sample_entry_header(), cstring(codec.content_encoding),
               cstring(codec.namespace), cstring(codec.schema_location))
