"""The ONVIF replay RTP header extension (Streaming §6.3), sans-IO.

Profile-defined field 0xABAC, length 3 words: an NTP timestamp (RFC 1305: 32-bit
seconds since 1900, 32-bit fraction) of the frame's capture time, then one byte of
flags, C (clean point) E (end of contiguous section) D (discontinuity) T (terminal),
MSB first, four bits mbz, then the low byte of the PLAY's CSeq and 16 bits of padding.
"""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.rtp.packet import HeaderExtension

PROFILE = 0xABAC
NTP_UNIX_OFFSET = 2_208_988_800
C, E, D, T = 0x80, 0x40, 0x20, 0x10


@dataclass(frozen=True, slots=True)
class ReplayExtension:
    utc: float
    clean_point: bool = False
    end_of_section: bool = False
    discontinuity: bool = False
    terminal: bool = False
    cseq: int = 0

    def header(self) -> HeaderExtension:
        flags = ((C if self.clean_point else 0) | (E if self.end_of_section else 0)
                 | (D if self.discontinuity else 0) | (T if self.terminal else 0))
        data = (ntp_timestamp(self.utc).to_bytes(8, "big")
                + bytes([flags, self.cseq & 0xFF, 0, 0]))
        return HeaderExtension(PROFILE, data)

    @classmethod
    def parse(cls, extension: HeaderExtension) -> ReplayExtension:
        data = extension.data
        if extension.profile != PROFILE or len(data) < 12:
            raise ValueError("not an ONVIF replay header extension")
        seconds = int.from_bytes(data[0:4], "big") + int.from_bytes(data[4:8], "big") / 2**32
        flags = data[8]
        return cls(seconds - NTP_UNIX_OFFSET, bool(flags & C), bool(flags & E),
                   bool(flags & D), bool(flags & T), data[9])


def ntp_timestamp(utc: float) -> int:
    """POSIX seconds as the 64-bit NTP fixed-point format (RFC 5905 §6), as the
    extension and RTCP sender reports (RFC 3550 §4) carry it."""
    seconds = utc + NTP_UNIX_OFFSET
    whole = int(seconds)
    return whole << 32 | min(int((seconds - whole) * (1 << 32)), 0xFFFFFFFF)
