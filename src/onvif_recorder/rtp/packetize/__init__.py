"""RTP packetizers, one module per payload format (the sending side of
``rtp.depacketize``), sans-IO.

Each ``packetize(sample, mtu)`` returns the payloads of one access unit in sending order
as ``Payload`` records; the RTP marker belongs on the last one, and ``ticks`` is the
payload's offset from the access unit's RTP timestamp (non-zero only for G.711, whose
packets each carry their own first sample).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Payload:
    data: bytes
    ticks: int = 0


def split(data: bytes, size: int) -> list[bytes]:
    """``data`` in pieces of at most ``size`` bytes (one empty piece for empty data)."""
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


def length_prefixed(sample: bytes, length_size: int = 4) -> list[bytes]:
    """The NAL units of an ISO-BMFF video sample (14496-15 §5.3.3: length-prefixed)."""
    units: list[bytes] = []
    pos = 0
    while pos + length_size <= len(sample):
        size = int.from_bytes(sample[pos:pos + length_size], "big")
        pos += length_size
        if size == 0 or pos + size > len(sample):
            break
        units.append(sample[pos:pos + size])
        pos += size
    return units
