"""RTP timestamp unwrapping and the mapping from RTP time to UTC wall-clock time.

Every sample needs a wall-clock time. The sources, best first:

1. ``RTCP`` - the latest RTCP sender report pairs an NTP wall-clock time with an RTP
   timestamp (RFC 3550 §6.4.1); a sample's time is that NTP time plus the RTP distance
   divided by the clock rate.
2. ``RTSP_RANGE`` - before the first SR, the PLAY response's ``Range: clock=<UTC>-``
   and ``RTP-Info: rtptime=`` give the same pairing (ONVIF Streaming, "RTSP audio and
   video synchronization"), if the server sends them.
3. ``ARRIVAL`` - otherwise the first packet's arrival time stands for its RTP
   timestamp. This is off by the network and encoder delay (typically tens of ms);
   samples carry their ``ClockSource`` so a consumer can tell, and the mapping jumps
   to the RTCP one when the first SR arrives. ``drift`` records how far each new SR
   moved the mapping, which measures sender clock drift against its RTP clock.

Sender reports whose NTP time is zero are ignored: ONVIF replay servers send them when
rate control is off (ONVIF Streaming, "Use of RTCP").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
_TS_MOD = 1 << 32


def ntp_to_unix(ntp: int) -> float:
    """64-bit NTP fixed point (RFC 3550 §4) to POSIX seconds."""
    return (ntp >> 32) - NTP_UNIX_OFFSET + (ntp & 0xFFFFFFFF) / _TS_MOD


def unix_to_ntp(seconds: float) -> int:
    """POSIX seconds to 64-bit NTP fixed point (RFC 3550 §4)."""
    whole = int(seconds // 1)
    fraction = int((seconds - whole) * _TS_MOD) & 0xFFFFFFFF
    return ((whole + NTP_UNIX_OFFSET) & 0xFFFFFFFF) << 32 | fraction


def ntp_short(ntp: int) -> int:
    """The middle 32 bits of an NTP timestamp, as used by LSR (RFC 3550 §6.4.1)."""
    return (ntp >> 16) & 0xFFFFFFFF


class TimestampUnwrapper:
    """Extends 32-bit RTP timestamps to unbounded integers (RFC 3550 §5.1 wrap-around).

    Each value is placed within ±2^31 of the previous one, so timestamps may go
    backwards (B-frames, reordering) without being mistaken for a wrap.
    """

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: int | None = None

    def unwrap(self, timestamp: int) -> int:
        timestamp &= 0xFFFFFFFF
        if self._last is None:
            self._last = timestamp
            return timestamp
        delta = ((timestamp - self._last + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)
        self._last += delta
        return self._last


class ClockSource(Enum):
    """Where a sample's wall-clock time came from (see the module docstring)."""

    RTCP = "rtcp"
    RTSP_RANGE = "rtsp-range"
    ARRIVAL = "arrival"


@dataclass(frozen=True, slots=True)
class _Anchor:
    rtp: int
    utc: float
    source: ClockSource


class WallClock:
    """Maps extended RTP timestamps of one stream to UTC seconds."""

    def __init__(self, clock_rate: int) -> None:
        if clock_rate <= 0:
            raise ValueError("clock rate must be positive")
        self.clock_rate = clock_rate
        self._anchor: _Anchor | None = None
        self.drift: float | None = None
        """Seconds the last SR moved the mapping by (None until two SRs)."""
        self.sender_reports = 0

    @property
    def source(self) -> ClockSource | None:
        return None if self._anchor is None else self._anchor.source

    def anchor_from_play(self, rtp_timestamp: int, utc: float) -> None:
        """Use ``RTP-Info: rtptime`` with ``Range: clock=`` until the first sender report."""
        if self._anchor is None or self._anchor.source is ClockSource.ARRIVAL:
            self._anchor = _Anchor(rtp_timestamp, utc, ClockSource.RTSP_RANGE)

    def on_sender_report(self, rtp_timestamp: int, ntp: int) -> None:
        """Re-anchor on an SR; ``rtp_timestamp`` is already unwrapped on the stream's timeline."""
        if ntp == 0:
            return
        utc = ntp_to_unix(ntp)
        if self._anchor is not None and self._anchor.source is ClockSource.RTCP:
            self.drift = utc - self._utc_from(self._anchor, rtp_timestamp)
        self._anchor = _Anchor(rtp_timestamp, utc, ClockSource.RTCP)
        self.sender_reports += 1

    def utc(self, rtp_timestamp: int, arrival_utc: float) -> tuple[float, ClockSource]:
        """Wall-clock time of an (unwrapped) RTP timestamp that arrived at ``arrival_utc``."""
        if self._anchor is None:
            self._anchor = _Anchor(rtp_timestamp, arrival_utc, ClockSource.ARRIVAL)
        return self._utc_from(self._anchor, rtp_timestamp), self._anchor.source

    def _utc_from(self, anchor: _Anchor, rtp_timestamp: int) -> float:
        return anchor.utc + (rtp_timestamp - anchor.rtp) / self.clock_rate
