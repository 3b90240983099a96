"""H.265 over RTP, RFC 7798: single NAL unit packets and fragmentation units (§4.4.3)."""

from __future__ import annotations

from onvif_recorder.rtp.packetize import Payload, length_prefixed, split

FU = 49
ACCESS_UNIT_DELIMITER = b"\x46\x01\x50"
"""NAL type 35 (layer 0, TemporalId 0) with pic_type 2 (I, P and B slices) and the RBSP
stop bit (§7.3.2.5): an access unit with no picture (see replay/playback.py)."""
END_OF_BITSTREAM = b"\x4a\x01"
"""NAL type 37, EOB_NUT (§7.3.2.7): the last NAL unit of the last access unit."""


def packetize(sample: bytes, mtu: int) -> list[Payload]:
    payloads: list[Payload] = []
    for unit in length_prefixed(sample):
        if len(unit) <= mtu:
            payloads.append(Payload(unit))
            continue
        nal_type = (unit[0] >> 1) & 0x3F
        header = bytes([(unit[0] & 0x81) | FU << 1, unit[1]])
        pieces = split(unit[2:], mtu - 3)
        for index, piece in enumerate(pieces):
            start = 0x80 if index == 0 else 0
            end = 0x40 if index == len(pieces) - 1 else 0
            payloads.append(Payload(header + bytes([start | end | nal_type]) + piece))
    return payloads
