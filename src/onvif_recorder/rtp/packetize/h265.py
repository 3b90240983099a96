"""H.265 over RTP, RFC 7798: single NAL unit packets and fragmentation units (§4.4.3)."""

from __future__ import annotations

from onvif_recorder.rtp.packetize import Payload, length_prefixed, split

FU = 49


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
