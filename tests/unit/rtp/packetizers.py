"""Reference packetizers written from the RFCs, used to test depacketizers by round trip.

They are deliberately simple and independent of the code under test.
"""

from __future__ import annotations

import struct

from onvif_recorder.rtp.packet import RtpPacket


class Stream:
    """Hands out consecutive sequence numbers for one SSRC and payload type."""

    def __init__(self, payload_type: int = 96, ssrc: int = 0x1234ABCD, seq: int = 65530) -> None:
        self.payload_type = payload_type
        self.ssrc = ssrc
        self.seq = seq

    def packet(self, payload: bytes, timestamp: int, marker: bool = False) -> RtpPacket:
        packet = RtpPacket(self.payload_type, self.seq, timestamp & 0xFFFFFFFF, self.ssrc,
                           payload, marker)
        self.seq = (self.seq + 1) & 0xFFFF
        return packet


def h264_payloads(nal_units: list[bytes], mtu: int) -> list[bytes]:
    """RFC 6184 non-interleaved mode: STAP-A for small units, FU-A for big ones."""
    payloads: list[bytes] = []
    pending: list[bytes] = []

    def flush() -> None:
        if len(pending) == 1:
            payloads.append(pending[0])
        elif pending:
            nri = max(nal[0] & 0x60 for nal in pending)
            payloads.append(bytes([nri | 24]) + b"".join(
                struct.pack("!H", len(nal)) + nal for nal in pending))
        pending.clear()

    for nal in nal_units:
        if len(nal) > mtu:
            flush()
            payloads += _fu_a(nal, mtu)
            continue
        if 1 + sum(2 + len(n) for n in pending) + 2 + len(nal) > mtu:
            flush()
        pending.append(nal)
    flush()
    return payloads


def _fu_a(nal: bytes, mtu: int) -> list[bytes]:
    indicator = (nal[0] & 0xE0) | 28
    body = nal[1:]
    chunks = [body[i : i + mtu - 2] for i in range(0, len(body), mtu - 2)]
    out = []
    for i, chunk in enumerate(chunks):
        header = (nal[0] & 0x1F) | (0x80 if i == 0 else 0) | (0x40 if i == len(chunks) - 1 else 0)
        out.append(bytes([indicator, header]) + chunk)
    return out


def h265_payloads(nal_units: list[bytes], mtu: int) -> list[bytes]:
    """RFC 7798 without DONL: AP for small units, FU for big ones."""
    payloads: list[bytes] = []
    pending: list[bytes] = []

    def flush() -> None:
        if len(pending) == 1:
            payloads.append(pending[0])
        elif pending:
            header = bytes([48 << 1, 1])
            payloads.append(header + b"".join(struct.pack("!H", len(n)) + n for n in pending))
        pending.clear()

    for nal in nal_units:
        if len(nal) > mtu:
            flush()
            payloads += _h265_fu(nal, mtu)
            continue
        if 2 + sum(2 + len(n) for n in pending) + 2 + len(nal) > mtu:
            flush()
        pending.append(nal)
    flush()
    return payloads


def _h265_fu(nal: bytes, mtu: int) -> list[bytes]:
    kind = (nal[0] >> 1) & 0x3F
    header = bytes([(nal[0] & 0x81) | (49 << 1), nal[1]])
    body = nal[2:]
    chunks = [body[i : i + mtu - 3] for i in range(0, len(body), mtu - 3)]
    out = []
    for i, chunk in enumerate(chunks):
        fu = kind | (0x80 if i == 0 else 0) | (0x40 if i == len(chunks) - 1 else 0)
        out.append(header + bytes([fu]) + chunk)
    return out


def aac_hbr_payloads(frames: list[bytes], mtu: int) -> list[tuple[bytes, int, bool]]:
    """RFC 3640 AAC-hbr: (payload, index of first frame, marker); big frames fragmented."""
    out: list[tuple[bytes, int, bool]] = []
    group: list[bytes] = []
    first = 0

    def flush() -> None:
        if group:
            headers = b"".join(struct.pack("!H", len(frame) << 3) for frame in group)
            out.append((struct.pack("!H", 16 * len(group)) + headers + b"".join(group), first,
                        True))
            group.clear()

    for index, frame in enumerate(frames):
        if 4 + len(frame) > mtu:
            flush()
            header = struct.pack("!HH", 16, len(frame) << 3)
            chunks = [frame[i : i + mtu - 4] for i in range(0, len(frame), mtu - 4)]
            out += [(header + c, index, i == len(chunks) - 1) for i, c in enumerate(chunks)]
            continue
        if 2 + 2 * (len(group) + 1) + sum(map(len, group)) + len(frame) > mtu:
            flush()
        if not group:
            first = index
        group.append(frame)
    flush()
    return out
