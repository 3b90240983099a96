"""G.711 over RTP (RFC 3551 §4.5.14 PCMU/PCMA): one byte per sample at 8 kHz; a frame
over the MTU becomes several packets, each stamped with its own first sample."""

from __future__ import annotations

from onvif_recorder.rtp.packetize import Payload


def packetize(sample: bytes, mtu: int) -> list[Payload]:
    return [Payload(sample[i:i + mtu], i) for i in range(0, len(sample), mtu)] or [Payload(b"")]
