"""H.264 over RTP, RFC 6184 non-interleaved mode: single NAL unit packets, FU-A (§5.8)
for NAL units over the MTU."""

from __future__ import annotations

from onvif_recorder.rtp.packetize import Payload, length_prefixed, split

FU_A = 28
ACCESS_UNIT_DELIMITER = b"\x09\xf0"
"""NAL type 9 with primary_pic_type 7 (any slice type) and the RBSP stop bit (§7.3.2.4):
an access unit with no picture, which decoders skip (see replay/playback.py for its use)."""
END_OF_STREAM = b"\x0b"
"""NAL type 11 (§7.3.2.6): the last NAL unit of the last access unit of a stream."""


def packetize(sample: bytes, mtu: int) -> list[Payload]:
    payloads: list[Payload] = []
    for unit in length_prefixed(sample):
        if len(unit) <= mtu:
            payloads.append(Payload(unit))
            continue
        header = unit[0]
        indicator = (header & 0xE0) | FU_A
        pieces = split(unit[1:], mtu - 2)
        for index, piece in enumerate(pieces):
            start = 0x80 if index == 0 else 0
            end = 0x40 if index == len(pieces) - 1 else 0
            payloads.append(Payload(bytes([indicator, start | end | header & 0x1F]) + piece))
    return payloads
