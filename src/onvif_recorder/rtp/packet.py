"""RTP data packets: parse and serialize (RFC 3550 §5.1, header extension §5.3.1).

``RtpPacket.parse(data)`` checks every length against the buffer and raises
``MalformedPacket`` with a stable message (the work is ``kernels.active.parse_rtp``:
compiled, or its Python reference ``kernels.pure``); ``bytes(packet)`` writes it back, so a
packet that parses round-trips to the same bytes (padding included).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from onvif_recorder.rtp import kernels
from onvif_recorder.rtp.kernels.pure import RTP_VERSION

_HEADER = struct.Struct("!BBHII")


@dataclass(frozen=True, slots=True)
class HeaderExtension:
    """The one RFC 3550 §5.3.1 header extension: 16-bit profile value and 32-bit words."""

    profile: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if len(self.data) % 4:
            raise ValueError("header extension data must be a whole number of 32-bit words")


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet (RFC 3550 §5.1)."""

    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrc: tuple[int, ...] = ()
    extension: HeaderExtension | None = None
    padding: int = 0
    """Number of padding octets, including the final count octet (0 = no padding)."""

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        """Parse one RTP packet from a datagram or interleaved frame (``kernels.active``)."""
        pt, seq, timestamp, ssrc, payload, marker, csrc, ext, padding = \
            kernels.active.parse_rtp(data)
        extension = None if ext is None else HeaderExtension(*ext)
        return cls(pt, seq, timestamp, ssrc, payload, marker, csrc, extension, padding)

    def __bytes__(self) -> bytes:
        first = RTP_VERSION << 6 | len(self.csrc)
        first |= 0x20 if self.padding else 0
        first |= 0x10 if self.extension is not None else 0
        second = self.payload_type | (0x80 if self.marker else 0)
        out = bytearray(_HEADER.pack(first, second, self.sequence_number, self.timestamp,
                                     self.ssrc))
        out += struct.pack(f"!{len(self.csrc)}I", *self.csrc)
        if self.extension is not None:
            ext = self.extension
            out += struct.pack("!HH", ext.profile, len(ext.data) // 4) + ext.data
        out += self.payload
        if self.padding:
            out += bytes(self.padding - 1) + bytes([self.padding])
        return bytes(out)


def is_rtcp(data: bytes) -> bool:
    """RTP/RTCP demultiplexing by packet type 192..223 (RFC 5761 §4)."""
    return len(data) >= 2 and 192 <= data[1] <= 223
