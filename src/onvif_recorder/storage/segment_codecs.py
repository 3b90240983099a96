"""The RFC 6381 MediaType of a stored segment, read back from its header (pure but for
``read_header``).

RC 26.06 §5.26 lists segments with ``MediaType`` "as defined in RFC 6381 including
section 3 Codecs": the span type's content type (B.6/B.7, ``storage.spans``) with the
``codecs`` of its tracks in track order. The codec strings are the codec table's own
(``codecs.h264``/``h265``/``aac`` from the parameter sets in ``avcC``/``hvcC``/``esds``), so a
listed segment says exactly what its upload's Content-Type says. An encrypted track
(``encv``/``enca``/``encm``) names its original format.
"""

from __future__ import annotations

from pathlib import Path

from onvif_recorder.codecs import aac, h264, h265
from onvif_recorder.mp4.inspect import ParsedBox, read_boxes
from onvif_recorder.mp4.sample_entries import esds_config
from onvif_recorder.storage.segment_scan import original_format
from onvif_recorder.storage.spans import BASE_CONTENT_TYPES

_HEADER_BOXES = (b"ftyp", b"moov", b"uuid", b"free")
_MAX_HEADER = 4 * 1024 * 1024


def read_header(path: Path) -> bytes:
    """The file's leading ``ftyp``/``moov`` boxes (not its media)."""
    parts: list[bytes] = []
    with path.open("rb") as file:
        while sum(map(len, parts)) < _MAX_HEADER:
            head = file.read(8)
            if len(head) < 8 or head[4:8] not in _HEADER_BOXES:
                break
            size = int.from_bytes(head[:4], "big")
            if size < 8:
                break
            parts.append(head + file.read(size - 8))
    return b"".join(parts)


def media_type(header: bytes, extension: str) -> str:
    """``video/mp4; codecs="avc1.64001F,mp4a.40.2"`` for a segment of span type
    ``extension``; ValueError if the header has no ``moov``."""
    moov = next((box for box in read_boxes(header) if box.kind == b"moov"), None)
    if moov is None:
        raise ValueError("segment header without moov")
    codecs: list[str] = []
    for stsd in moov.find_all("trak/mdia/minf/stbl/stsd"):
        for entry in stsd.children[:1]:
            text = codec_string(entry)
            if text not in codecs:
                codecs.append(text)
    base = BASE_CONTENT_TYPES[extension]
    return f'{base}; codecs="{",".join(codecs)}"' if codecs else base


def codec_string(entry: ParsedBox) -> str:
    """RFC 6381 §3.3 codec string of one sample entry."""
    fourcc = original_format(entry)
    children = {child.name: child.payload for child in entry.children}
    if fourcc in ("avc1", "avc3") and "avcC" in children:
        return h264.parse_sps(_avcc_sps(children["avcC"])).codec_string
    if fourcc in ("hvc1", "hev1") and "hvcC" in children:
        return h265.parse_sps(_hvcc_sps(children["hvcC"])).profile.codec_string
    if fourcc == "mp4a" and "esds" in children:
        return aac.parse_audio_specific_config(_esds_config(children["esds"])).codec_string
    return fourcc


def _avcc_sps(payload: bytes) -> bytes:
    """The first SPS of an AVCDecoderConfigurationRecord (14496-15 §5.3.3.1)."""
    if len(payload) < 8 or not payload[5] & 0x1F:
        raise ValueError("avcC without SPS")
    size = int.from_bytes(payload[6:8], "big")
    return payload[8:8 + size]


def _hvcc_sps(payload: bytes) -> bytes:
    """The first SPS (NAL type 33) of an HEVCDecoderConfigurationRecord (§8.3.3.1)."""
    pos = 23
    for _ in range(payload[22] if len(payload) > 22 else 0):
        nal_type, count = payload[pos] & 0x3F, int.from_bytes(payload[pos + 1:pos + 3], "big")
        pos += 3
        for _ in range(count):
            size = int.from_bytes(payload[pos:pos + 2], "big")
            if nal_type == 33:
                return payload[pos + 2:pos + 2 + size]
            pos += 2 + size
    raise ValueError("hvcC without SPS")


def _esds_config(payload: bytes) -> bytes:
    config = esds_config(payload)
    if config is None:
        raise ValueError("esds without AudioSpecificConfig")
    return config
