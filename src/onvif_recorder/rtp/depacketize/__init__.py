"""Depacketizers: RTP packets of one stream in, access units out.

One module per RTP payload format. Which one reads a stream is the codec table's
decision (``onvif_recorder.media.table.create_depacketizer``), from the SDP's rtpmap and
fmtp values, so the RTP layer depends neither on the SDP parser nor on the table.
"""

from __future__ import annotations

import base64
import binascii

from onvif_recorder.rtp.depacketize.base import AccessUnit, CodecConfig, Depacketizer
from onvif_recorder.rtp.errors import DepacketizeError

__all__ = [
    "AccessUnit",
    "CodecConfig",
    "Depacketizer",
    "UnsupportedCodec",
    "decode_sprop",
]


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
