"""Depacketizers: RTP packets of one stream in, access units out.

``create_depacketizer`` picks one from an SDP media description's rtpmap and fmtp
values (keys lower-cased), so the RTP layer does not depend on the SDP parser.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from onvif_recorder.rtp.depacketize.aac import AacDepacketizer, AuHeaderLayout
from onvif_recorder.rtp.depacketize.base import AccessUnit, CodecConfig, Depacketizer
from onvif_recorder.rtp.depacketize.g711 import STATIC_PAYLOAD_TYPES, G711Depacketizer
from onvif_recorder.rtp.depacketize.h264 import H264Depacketizer
from onvif_recorder.rtp.depacketize.h265 import H265Depacketizer
from onvif_recorder.rtp.depacketize.metadata import MetadataDepacketizer
from onvif_recorder.rtp.errors import DepacketizeError

__all__ = [
    "AccessUnit",
    "CodecConfig",
    "Depacketizer",
    "UnsupportedCodec",
    "create_depacketizer",
    "decode_sprop",
]

METADATA_ENCODINGS = ("vnd.onvif.metadata", "vnd.onvif.metadata+gzip",
                      "vnd.onvif.metadata.exi.ext", "vnd.onvif.metadata.exi.onvif")


class UnsupportedCodec(DepacketizeError):
    """The SDP names a payload format we cannot depacketize."""


def decode_sprop(value: str) -> list[bytes]:
    """Comma-separated base64 NAL units (RFC 6184 §8.1, RFC 7798 §7.1); bad items skipped."""
    units = []
    for item in value.split(","):
        try:
            unit = base64.b64decode(item.strip() + "=" * (-len(item.strip()) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        if unit:
            units.append(unit)
    return units


def create_depacketizer(encoding: str, clock_rate: int, fmtp: Mapping[str, str], *,
                        channels: int = 1, payload_type: int | None = None,
                        wait_for_sync: bool = True) -> Depacketizer:
    """A depacketizer for rtpmap ``encoding/clock_rate/channels`` with ``fmtp`` parameters."""
    name = encoding.lower()
    if not name and payload_type in STATIC_PAYLOAD_TYPES:
        name = STATIC_PAYLOAD_TYPES[payload_type].lower()
    if name == "h264":
        return H264Depacketizer(decode_sprop(fmtp.get("sprop-parameter-sets", "")),
                                wait_for_sync=wait_for_sync)
    if name in ("h265", "hevc"):
        return _h265(fmtp, wait_for_sync)
    if name == "mpeg4-generic":
        return _aac(fmtp)
    if name in ("pcmu", "pcma"):
        return G711Depacketizer(name.upper(), clock_rate or 8000, channels)
    if name in METADATA_ENCODINGS:
        return MetadataDepacketizer(name)
    raise UnsupportedCodec(f"no depacketizer for {encoding or payload_type}/{clock_rate}")


def _h265(fmtp: Mapping[str, str], wait_for_sync: bool) -> H265Depacketizer:
    def first(key: str) -> bytes | None:
        units = decode_sprop(fmtp.get(key, ""))
        return units[0] if units else None
    don_diff = fmtp.get("sprop-max-don-diff", "0").strip()
    donl = don_diff.isascii() and don_diff.isdecimal() and don_diff.strip("0") != ""
    return H265Depacketizer(first("sprop-vps"), first("sprop-sps"), first("sprop-pps"),
                            donl=donl, wait_for_sync=wait_for_sync)


def _aac(fmtp: Mapping[str, str]) -> AacDepacketizer:
    mode = fmtp.get("mode", "").lower()
    if mode not in ("aac-hbr", "aac-lbr"):
        raise UnsupportedCodec(f"mpeg4-generic mode {mode or '(none)'} is not supported")
    try:
        config = bytes.fromhex(fmtp.get("config", ""))
    except ValueError as exc:
        raise UnsupportedCodec("mpeg4-generic config is not hexadecimal") from exc
    return AacDepacketizer(config, AuHeaderLayout.from_fmtp(fmtp))
