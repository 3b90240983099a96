"""AAC over RTP, RFC 3640 mpeg4-generic AAC-hbr (§3.3.6): one access unit per packet,
a 13-bit size and 3-bit index in its AU header; an AU over the MTU is fragmented, every
fragment carrying the whole AU's size (§3.2.3.1)."""

from __future__ import annotations

from onvif_recorder.rtp.packetize import Payload, split

FMTP = "streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;" \
       "indexdeltalength=3"
MAX_AU = (1 << 13) - 1


def packetize(sample: bytes, mtu: int) -> list[Payload]:
    if len(sample) > MAX_AU:
        raise ValueError(f"an AAC frame of {len(sample)} bytes does not fit AAC-hbr")
    header = (16).to_bytes(2, "big") + (len(sample) << 3).to_bytes(2, "big")
    return [Payload(header + piece) for piece in split(sample, mtu - 4)]
