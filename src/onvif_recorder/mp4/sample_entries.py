"""The parts every sample entry shares (ISO/IEC 14496-12 §8.5.2, §12.1.3, §12.2.3).

``protected_sample_entry`` turns any of them into its encrypted form (ISO/IEC 23001-7).
Each codec's own entry (``avc1`` + ``avcC``, ``hvc1`` + ``hvcC``, ``mp4a`` + ``esds``,
``ulaw``/``alaw``, ``metx``) is written by its definition in the codec table
(``onvif_recorder.media``) on top of these.
"""

from __future__ import annotations

from onvif_recorder.mp4.boxes import HEADER_SIZE, box, fixed16_16, u16, u32
from onvif_recorder.mp4.model import TrackKind

NAL_LENGTH_SIZE = 4
"""Bytes of each NAL unit length in H.264/H.265 samples (``lengthSizeMinusOne`` = 3)."""


def sample_entry_header() -> bytes:
    """SampleEntry (§8.5.2.2): six reserved bytes and data_reference_index = 1."""
    return bytes(6) + u16(1)


def visual_sample_entry(kind: bytes, width: int, height: int, *children: bytes) -> bytes:
    """VisualSampleEntry (§12.1.3.2), 72 dpi, depth 0x18, then codec boxes."""
    fields = (
        sample_entry_header(),
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
        sample_entry_header(),
        bytes(8),  # reserved
        u16(channels), u16(16),  # channelcount, samplesize
        u16(0), u16(0),  # pre_defined, reserved
        fixed16_16(rate if rate < 65536 else 0),
    )
    return box(kind, *fields, *children)


PROTECTED_FOURCCS = {
    TrackKind.VIDEO: b"encv", TrackKind.AUDIO: b"enca", TrackKind.METADATA: b"encm"}
"""14496-12 §8.12: the sample entry type of a protected track, by media type."""


def protected_sample_entry(entry: bytes, kind: TrackKind, sinf: bytes) -> bytes:
    """``entry`` under its protected 4CC with ``sinf`` (which names the original 4CC in
    ``frma``) appended after the codec's own boxes (14496-12 §8.12.1)."""
    return box(PROTECTED_FOURCCS[kind], entry[HEADER_SIZE:], sinf)


def esds_config(payload: bytes) -> bytes | None:
    """The DecoderSpecificInfo (AudioSpecificConfig) of an ``esds`` box's payload (version
    and flags first, 14496-1 §7.2.6); None when it has none. The ES_Descriptor's flags
    (3 bytes) and the DecoderConfigDescriptor's fixed fields (13) are skipped;
    ``media.aac.esds`` writes the same layout."""
    pos = 4
    while pos + 2 <= len(payload):
        tag, size = payload[pos], 0
        pos += 1
        for _ in range(4):
            if pos >= len(payload):
                return None
            byte = payload[pos]
            pos += 1
            size = size << 7 | byte & 0x7F
            if not byte & 0x80:
                break
        if tag == 0x05:
            return payload[pos:pos + size]
        pos += {0x03: 3, 0x04: 13}.get(tag, size)
    return None
