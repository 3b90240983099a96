"""ONVIF metadata over RTP (Streaming §5.1.2.1.1, ``vnd.onvif.metadata``): one XML
document per access unit, cut at the MTU, the marker bit on its last packet."""

from __future__ import annotations

from onvif_recorder.rtp.packetize import Payload, split


def packetize(sample: bytes, mtu: int) -> list[Payload]:
    return [Payload(piece) for piece in split(sample, mtu)]
