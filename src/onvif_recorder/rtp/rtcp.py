"""RTCP packets and compound packets: parse and serialize (RFC 3550 §6.4-§6.6).

Sender and receiver reports, source descriptions and BYE are decoded; any other packet
type (APP, feedback, XR) is kept as ``UnknownRtcp`` so a compound packet always
round-trips. Padding is allowed on the last packet of a compound only (§6.4.1).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from onvif_recorder.rtp.errors import MalformedPacket

SR, RR, SDES, BYE = 200, 201, 202, 203
SDES_CNAME = 1
MAX_REPORT_BLOCKS = 31
_HEADER = struct.Struct("!BBH")
_BLOCK = struct.Struct("!IB3sIIII")
_SENDER_INFO = struct.Struct("!IQIII")


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """A reception report block (RFC 3550 §6.4.1)."""

    ssrc: int
    fraction_lost: int
    cumulative_lost: int
    highest_sequence: int
    jitter: int
    lsr: int
    dlsr: int

    def __bytes__(self) -> bytes:
        lost = (self.cumulative_lost & 0xFFFFFF).to_bytes(3, "big")
        return _BLOCK.pack(self.ssrc, self.fraction_lost, lost, self.highest_sequence,
                           self.jitter, self.lsr, self.dlsr)


@dataclass(frozen=True, slots=True)
class SenderReport:
    """SR (RFC 3550 §6.4.1); ``ntp_timestamp`` is the 64-bit NTP fixed-point value."""

    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""

    def __bytes__(self) -> bytes:
        body = _SENDER_INFO.pack(self.ssrc, self.ntp_timestamp, self.rtp_timestamp,
                                 self.packet_count, self.octet_count)
        body += b"".join(bytes(block) for block in self.reports) + self.extension
        return _packet(SR, len(self.reports), body)


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    """RR (RFC 3550 §6.4.2)."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""

    def __bytes__(self) -> bytes:
        body = struct.pack("!I", self.ssrc) + b"".join(bytes(b) for b in self.reports)
        return _packet(RR, len(self.reports), body + self.extension)


@dataclass(frozen=True, slots=True)
class SdesChunk:
    """One SDES chunk: a source and its (item type, value) pairs (RFC 3550 §6.5)."""

    ssrc: int
    items: tuple[tuple[int, bytes], ...] = ()

    def __bytes__(self) -> bytes:
        out = bytearray(struct.pack("!I", self.ssrc))
        for kind, value in self.items:
            out += bytes([kind, len(value)]) + value
        out += bytes(4 - len(out) % 4)  # null item terminator, padded to a word
        return bytes(out)


@dataclass(frozen=True, slots=True)
class SourceDescription:
    """SDES (RFC 3550 §6.5)."""

    chunks: tuple[SdesChunk, ...]

    def __bytes__(self) -> bytes:
        return _packet(SDES, len(self.chunks), b"".join(bytes(c) for c in self.chunks))


@dataclass(frozen=True, slots=True)
class Bye:
    """BYE (RFC 3550 §6.6)."""

    sources: tuple[int, ...]
    reason: bytes = b""

    def __bytes__(self) -> bytes:
        body = struct.pack(f"!{len(self.sources)}I", *self.sources)
        if self.reason:
            body += bytes([len(self.reason)]) + self.reason
            body += bytes(-len(body) % 4)
        return _packet(BYE, len(self.sources), body)


@dataclass(frozen=True, slots=True)
class UnknownRtcp:
    """Any other RTCP packet, kept verbatim (count field and body)."""

    packet_type: int
    count: int
    body: bytes

    def __bytes__(self) -> bytes:
        return _packet(self.packet_type, self.count, self.body)


RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Bye | UnknownRtcp


def _packet(packet_type: int, count: int, body: bytes) -> bytes:
    if count > MAX_REPORT_BLOCKS or len(body) % 4:
        raise ValueError("RTCP count must be < 32 and the body a whole number of words")
    return _HEADER.pack(0x80 | count, packet_type, len(body) // 4) + body


def serialize_compound(packets: Sequence[RtcpPacket]) -> bytes:
    """Concatenate packets into one compound RTCP packet (RFC 3550 §6.1)."""
    return b"".join(bytes(packet) for packet in packets)


def parse_compound(data: bytes) -> list[RtcpPacket]:
    """Parse a compound RTCP packet into its parts; any inconsistency raises MalformedPacket."""
    packets: list[RtcpPacket] = []
    pos = 0
    while pos < len(data):
        if pos + 4 > len(data):
            raise MalformedPacket("RTCP packet header is truncated")
        first, packet_type, words = _HEADER.unpack_from(data, pos)
        if first >> 6 != 2:
            raise MalformedPacket(f"RTCP packet has version {first >> 6}, not 2")
        end = pos + 4 + 4 * words
        if end > len(data):
            raise MalformedPacket("RTCP packet length exceeds the datagram")
        body = _unpad(data[pos + 4 : end], bool(first & 0x20), end == len(data))
        packets.append(_parse_one(packet_type, first & 0x1F, body))
        pos = end
    if not packets:
        raise MalformedPacket("empty RTCP packet")
    return packets


def _unpad(body: bytes, padded: bool, last: bool) -> bytes:
    if not padded:
        return body
    if not last:
        raise MalformedPacket("RTCP padding on a packet that is not last in the compound")
    if not body or body[-1] == 0 or body[-1] > len(body):
        raise MalformedPacket("RTCP padding length is invalid")
    return body[: -body[-1]]


def _parse_one(packet_type: int, count: int, body: bytes) -> RtcpPacket:
    if packet_type == SR:
        return _parse_sr(count, body)
    if packet_type == RR:
        return _parse_rr(count, body)
    if packet_type == SDES:
        return SourceDescription(_parse_sdes_chunks(count, body))
    if packet_type == BYE:
        return _parse_bye(count, body)
    return UnknownRtcp(packet_type, count, bytes(body))


def _parse_blocks(count: int, body: bytes, pos: int) -> tuple[ReportBlock, ...]:
    if pos + count * _BLOCK.size > len(body):
        raise MalformedPacket("RTCP report blocks are truncated")
    blocks = []
    for i in range(count):
        ssrc, fraction, lost, highest, jitter, lsr, dlsr = _BLOCK.unpack_from(
            body, pos + i * _BLOCK.size)
        cumulative = int.from_bytes(lost, "big", signed=True)
        blocks.append(ReportBlock(ssrc, fraction, cumulative, highest, jitter, lsr, dlsr))
    return tuple(blocks)


def _parse_sr(count: int, body: bytes) -> SenderReport:
    if len(body) < _SENDER_INFO.size:
        raise MalformedPacket("RTCP sender report is truncated")
    ssrc, ntp, rtp_ts, packets, octets = _SENDER_INFO.unpack_from(body)
    blocks = _parse_blocks(count, body, _SENDER_INFO.size)
    extension = bytes(body[_SENDER_INFO.size + count * _BLOCK.size :])
    return SenderReport(ssrc, ntp, rtp_ts, packets, octets, blocks, extension)


def _parse_rr(count: int, body: bytes) -> ReceiverReport:
    if len(body) < 4:
        raise MalformedPacket("RTCP receiver report is truncated")
    (ssrc,) = struct.unpack_from("!I", body)
    blocks = _parse_blocks(count, body, 4)
    return ReceiverReport(ssrc, blocks, bytes(body[4 + count * _BLOCK.size :]))


def _parse_sdes_chunks(count: int, body: bytes) -> tuple[SdesChunk, ...]:
    chunks = []
    pos = 0
    for _ in range(count):
        if pos + 4 > len(body):
            raise MalformedPacket("RTCP SDES chunk is truncated")
        (ssrc,) = struct.unpack_from("!I", body, pos)
        items, pos = _parse_sdes_items(body, pos + 4)
        chunks.append(SdesChunk(ssrc, items))
    return tuple(chunks)


def _parse_sdes_items(body: bytes, pos: int) -> tuple[tuple[tuple[int, bytes], ...], int]:
    items: list[tuple[int, bytes]] = []
    while True:
        if pos >= len(body):
            raise MalformedPacket("RTCP SDES items are not terminated")
        kind = body[pos]
        if kind == 0:
            return tuple(items), (pos + 4) & ~3  # skip the null octets up to the next word
        if pos + 2 > len(body) or pos + 2 + body[pos + 1] > len(body):
            raise MalformedPacket("RTCP SDES item is truncated")
        items.append((kind, bytes(body[pos + 2 : pos + 2 + body[pos + 1]])))
        pos += 2 + body[pos + 1]


def _parse_bye(count: int, body: bytes) -> Bye:
    if 4 * count > len(body):
        raise MalformedPacket("RTCP BYE source list is truncated")
    sources = struct.unpack_from(f"!{count}I", body)
    reason = b""
    if 4 * count < len(body):
        length = body[4 * count]
        if 4 * count + 1 + length > len(body):
            raise MalformedPacket("RTCP BYE reason is truncated")
        reason = bytes(body[4 * count + 1 : 4 * count + 1 + length])
    return Bye(tuple(sources), reason)
