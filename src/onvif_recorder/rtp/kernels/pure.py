"""The ingest kernels in Python: the reference the compiled ``_native`` must equal.

Three stateless functions that the per-packet path spends its time in; everything that
keeps state (sequencer, depacketizer, statistics) stays in the ordinary classes, which
call these through ``kernels.active``:

* ``split_frames(buf, pos)``: every complete RTSP interleaved frame (RFC 2326 §10.12:
  ``$``, channel, 16-bit length, packet) from ``buf[pos:]``, skipping the blank lines
  ``MessageParser`` skips between messages; stops at anything else (an RTSP message) or
  an incomplete frame. Returns the ``(channel, payload)`` pairs and where it stopped.
* ``parse_rtp(data)``: the fields of one RTP packet (RFC 3550 §5.1, header extension
  §5.3.1) for ``RtpPacket``, or ``MalformedPacket`` with a stable message.
* ``fragment_run(packets, start, codec, payload_type, ssrc, timestamp, seq, room)``: how
  many packets from ``packets[start]`` on continue an open FU-A (RFC 6184 §5.8, ``codec``
  0) or H.265 FU (RFC 7798 §4.4.3, ``codec`` 1) fragment: RTP version 2 without padding,
  extension or CSRC, the payload type (any if negative), SSRC and timestamp given,
  consecutive sequence numbers from ``seq``, no start bit, a fragment type the RFCs
  allow, and no more than ``room`` bytes of fragment data in all; the run ends with the
  first packet with the end bit (taken: it completes the NAL unit), and a packet with
  the marker bit but no end bit is not taken. Returns that count, their bytes on the
  wire, their fragment data joined, and how the run ended: ``END_NONE`` (no end bit
  taken), ``END_FRAGMENT`` (the last packet has the end bit), ``END_MARKER`` (the end
  bit and the marker bit). Packets before the end change nothing but counters and the
  fragment, so ``RtpStream.receive_rtp_batch`` takes a run of them in one step, and
  finishes the NAL unit (and with the marker, the access unit) once for the end. A
  negative ``timestamp`` asks for a run that opens the fragment: ``packets[start]`` must
  then be a start fragment (start bit, neither end nor marker bit, any timestamp) and
  the run goes on with its timestamp; it is counted and in the octets, but its fragment
  data is not in the data (the caller reads that packet itself), nor counted in ``room``.
"""

from __future__ import annotations

import struct

from onvif_recorder.rtp.errors import MalformedPacket

RTP_VERSION = 2
HEADER_SIZE = 12
_HEADER = struct.Struct("!BBHII")
_FRAME_HEADER = struct.Struct("!BBH")
_BLANK = b"\r\n"
CODEC_H264 = 0
CODEC_H265 = 1
END_NONE, END_FRAGMENT, END_MARKER = 0, 1, 2
_NOT_TAKEN = -1

RtpFields = tuple[int, int, int, int, bytes, bool, tuple[int, ...], tuple[int, bytes] | None,
                  int]
"""payload type, sequence number, timestamp, SSRC, payload, marker, CSRCs, header extension
(profile, data) or None, padding octets."""


def split_frames(buf: bytes | bytearray, pos: int) -> tuple[list[tuple[int, bytes]], int]:
    frames: list[tuple[int, bytes]] = []
    length = len(buf)
    pos = max(pos, 0)
    while pos < length:
        at = pos
        while at < length and buf[at] in _BLANK:
            at += 1
        if at + 4 > length or buf[at] != 0x24:
            break
        _, channel, size = _FRAME_HEADER.unpack_from(buf, at)
        end = at + 4 + size
        if end > length:
            break
        frames.append((channel, bytes(buf[at + 4 : end])))
        pos = end
    return frames, pos


def parse_rtp(data: bytes | bytearray) -> RtpFields:
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
    return (second & 0x7F, seq, timestamp, ssrc, bytes(data[pos:end]), bool(second & 0x80),
            csrc, extension, padding)


def _parse_extension(data: bytes | bytearray, pos: int) -> tuple[tuple[int, bytes], int]:
    if pos + 4 > len(data):
        raise MalformedPacket("RTP packet has truncated extension profile / length")
    profile, words = struct.unpack_from("!HH", data, pos)
    end = pos + 4 + 4 * words
    if end > len(data):
        raise MalformedPacket("RTP packet has truncated extension value")
    return (profile, bytes(data[pos + 4 : end])), end


def _strip_padding(data: bytes | bytearray, pos: int, padded: bool) -> tuple[int, int]:
    if not padded:
        return len(data), 0
    if len(data) == pos:
        raise MalformedPacket("RTP packet padding length is missing")
    padding = data[-1]
    if padding == 0 or padding > len(data) - pos:
        raise MalformedPacket(f"RTP packet padding length {padding} is invalid")
    return len(data) - padding, padding


def fragment_run(packets: list[bytes], start: int, codec: int, payload_type: int, ssrc: int,
                 timestamp: int, seq: int, room: int) -> tuple[int, int, bytes, int]:
    if codec not in (CODEC_H264, CODEC_H265):
        raise ValueError(f"unknown fragment codec {codec}")
    start = max(start, 0)
    offset = 14 if codec == CODEC_H264 else 15
    parts: list[bytes] = []
    total = octets = opened = 0
    end = END_NONE
    seq &= 0xFFFF
    if timestamp < 0:
        first = packets[start] if start < len(packets) else None
        if type(first) is not bytes or not _starts(first, codec, payload_type, seq, ssrc):
            return 0, 0, b"", END_NONE
        timestamp = _HEADER.unpack_from(first)[3]
        opened, octets, seq, start = 1, len(first), (seq + 1) & 0xFFFF, start + 1
    for packet in packets[start:]:
        if type(packet) is not bytes:
            break
        end = _continues(packet, codec, payload_type, seq, timestamp, ssrc)
        if end == _NOT_TAKEN or total + len(packet) - offset > room:
            end = END_NONE
            break
        parts.append(packet[offset:])
        total += len(packet) - offset
        octets += len(packet)
        seq = (seq + 1) & 0xFFFF
        if end != END_NONE:
            break
    return opened + len(parts), octets, b"".join(parts), end


def _fu_header(packet: bytes, codec: int, payload_type: int, seq: int, ssrc: int) -> int:
    """The FU header of an FU-A / H.265 FU packet with a fragment type the RFCs allow, RTP
    version 2 without padding, extension or CSRC, that payload type, number and SSRC; or
    -1 for anything else."""
    if len(packet) < 15 or packet[0] != 0x80:
        return -1
    if payload_type >= 0 and packet[1] & 0x7F != payload_type:
        return -1
    _, _, number, _, source = _HEADER.unpack_from(packet)
    if number != seq or source != ssrc & 0xFFFFFFFF or packet[12] & 0x80:
        return -1
    indicator = packet[12]
    if codec == CODEC_H264:
        kind = packet[13] & 0x1F
        if indicator & 0x1F != 28 or kind == 0 or 24 <= kind <= 29:
            return -1
        return packet[13]
    if (indicator >> 1) & 0x3F != 49 or packet[14] & 0x3F >= 48:
        return -1
    return packet[14]


def _continues(packet: bytes, codec: int, payload_type: int, seq: int, timestamp: int,
               ssrc: int) -> int:
    """``END_NONE`` for a plain continuation, ``END_FRAGMENT``/``END_MARKER`` for the end
    fragment, ``_NOT_TAKEN`` for anything else."""
    fu_header = _fu_header(packet, codec, payload_type, seq, ssrc)
    if fu_header < 0 or fu_header & 0x80:  # not a fragment, or a start fragment
        return _NOT_TAKEN
    if _HEADER.unpack_from(packet)[3] != timestamp & 0xFFFFFFFF:
        return _NOT_TAKEN
    marker = packet[1] & 0x80
    if not fu_header & 0x40:
        return _NOT_TAKEN if marker else END_NONE  # a marker before the end
    return END_MARKER if marker else END_FRAGMENT


def _starts(packet: bytes, codec: int, payload_type: int, seq: int, ssrc: int) -> bool:
    """A start fragment without the end and the marker bit."""
    fu_header = _fu_header(packet, codec, payload_type, seq, ssrc)
    return fu_header >= 0 and fu_header & 0xC0 == 0x80 and not packet[1] & 0x80
