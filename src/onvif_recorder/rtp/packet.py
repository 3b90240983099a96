"""RTP data packets: parse and serialize (RFC 3550 §5.1, header extension §5.3.1).

``RtpPacket.parse(data)`` checks every length against the buffer and raises
``MalformedPacket`` with a stable message; ``bytes(packet)`` writes it back, so a
packet that parses round-trips to the same bytes (padding included).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from onvif_recorder.rtp.errors import MalformedPacket

RTP_VERSION = 2
HEADER_SIZE = 12
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
        """Parse one RTP packet from a datagram or interleaved frame."""
        if len(data) < HEADER_SIZE:
            raise MalformedPacket("RTP packet length is less than 12 bytes")
        first, second, seq, timestamp, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != RTP_VERSION:
            raise MalformedPacket(f"RTP packet has version {first >> 6}, not 2")
        pos = HEADER_SIZE + 4 * (first & 0x0F)
        if pos > len(data):
            raise MalformedPacket("RTP packet has truncated CSRC")
        csrc = struct.unpack_from(f"!{first & 0x0F}I", data, HEADER_SIZE)
        extension = None
        if first & 0x10:
            extension, pos = _parse_extension(data, pos)
        end, padding = _strip_padding(data, pos, bool(first & 0x20))
        return cls(second & 0x7F, seq, timestamp, ssrc, bytes(data[pos:end]),
                   bool(second & 0x80), csrc, extension, padding)

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


def _parse_extension(data: bytes, pos: int) -> tuple[HeaderExtension, int]:
    if pos + 4 > len(data):
        raise MalformedPacket("RTP packet has truncated extension profile / length")
    profile, words = struct.unpack_from("!HH", data, pos)
    end = pos + 4 + 4 * words
    if end > len(data):
        raise MalformedPacket("RTP packet has truncated extension value")
    return HeaderExtension(profile, bytes(data[pos + 4 : end])), end


def _strip_padding(data: bytes, pos: int, padded: bool) -> tuple[int, int]:
    if not padded:
        return len(data), 0
    if len(data) == pos:
        raise MalformedPacket("RTP packet padding length is missing")
    padding = data[-1]
    if padding == 0 or padding > len(data) - pos:
        raise MalformedPacket(f"RTP packet padding length {padding} is invalid")
    return len(data) - padding, padding


def is_rtcp(data: bytes) -> bool:
    """RTP/RTCP demultiplexing by packet type 192..223 (RFC 5761 §4)."""
    return len(data) >= 2 and 192 <= data[1] <= 223
