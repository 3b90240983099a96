"""RTP/RTCP interleaved in the RTSP connection (RFC 2326 §10.12, RFC 7826 §14).

Each frame is ``$``, a one-byte channel, a 16-bit big-endian length, then the
packet. By convention (and in the ``interleaved=`` transport parameter) even channels
carry RTP and the next odd channel its RTCP.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = 0x24  # "$"
HEADER_SIZE = 4
MAX_PAYLOAD = 0xFFFF
_HEADER = struct.Struct("!BBH")


@dataclass(frozen=True, slots=True)
class InterleavedFrame:
    """One ``$`` frame received on the RTSP connection."""

    channel: int
    payload: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.channel <= 255:
            raise ValueError(f"interleaved channel {self.channel} is not 0..255")
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(f"interleaved payload of {len(self.payload)} bytes > 65535")

    def __bytes__(self) -> bytes:
        return _HEADER.pack(MAGIC, self.channel, len(self.payload)) + self.payload


def parse_header(header: bytes | bytearray) -> tuple[int, int]:
    """``(channel, payload length)`` of the 4-byte header that starts with ``$``."""
    magic, channel, length = _HEADER.unpack(bytes(header[:HEADER_SIZE]))
    if magic != MAGIC:
        raise ValueError("interleaved frame does not start with '$'")
    return channel, length
