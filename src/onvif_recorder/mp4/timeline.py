"""Track timelines: RTP ticks → the segment timescale, lookahead durations, gap checks.

Theory of operation. A *session* is a stretch of recording with one continuous media
timeline; it ends at a discontinuity (camera reconnect, timestamp jump, clock drift)
or when the recording is closed. Time 0 of a session is the decode time of the sample
that opened it, whose UTC is ``origin_utc``. Each track is placed on that timeline
once, from its first sample's wall clock (so tracks are aligned by the RTCP-derived
UTC the RTP layer supplies), and from then on by its own RTP decode-time deltas,
which are exact where wall-clock readings jitter. A sample's duration is the distance
to the next sample of its track (one-sample lookahead, as MediaMTX does); the last
sample of a span gets its announced duration or the previous one.

``TrackTimeline.place`` reports when the RTP-derived time and the wall clock part by
more than ``max_drift`` seconds, when the decode time steps backwards, or when it
jumps forward by more than ``max_gap``: the segmenter turns these into new spans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from onvif_recorder.mp4.model import TrackInfo, TrackKind, TrackSample

NTP_UNIX_OFFSET = 2_208_988_800
MAX_TIMESCALE = 10_000_000
DEFAULT_TIMESCALE = 90_000
U32_MAX = 0xFFFFFFFF


def common_timescale(clock_rates: list[int]) -> int:
    """One timescale for all tracks of a segment (RC B.9.1): their LCM, if reasonable.

    90 kHz video with 48/16/8 kHz audio gives 720 000 or 360 000 and every duration
    stays exact; if the LCM exceeds ``MAX_TIMESCALE`` the fastest clock is used (or
    90 kHz, whichever is larger) and other tracks are rounded without drift, since
    every time is converted from the track's start, not summed from durations.
    """
    if not clock_rates:
        return DEFAULT_TIMESCALE
    value = 1
    for rate in clock_rates:
        value = math.lcm(value, rate)
    return value if value <= MAX_TIMESCALE else max(DEFAULT_TIMESCALE, *clock_rates)


def rescale(ticks: int, rate: int, timescale: int) -> int:
    """``ticks`` at ``rate`` Hz in ``timescale`` units, rounded half up."""
    if rate == timescale:
        return ticks
    return (ticks * timescale * 2 + rate) // (rate * 2)


def utc_to_ntp(utc: float) -> int:
    """POSIX seconds → 64-bit NTP timestamp (RFC 5905 §6), as ``prft`` stores."""
    seconds = math.floor(utc)
    fraction = min(round((utc - seconds) * 2**32), U32_MAX)
    return ((seconds + NTP_UNIX_OFFSET) & U32_MAX) << 32 | fraction


class Placement(Enum):
    OK = "ok"
    BACKWARDS = "backwards"
    GAP = "gap"
    DRIFT = "drift"


@dataclass(slots=True)
class Timed:
    """A sample placed on the session timeline (times in the segment timescale)."""

    time: int
    duration: int
    sync: bool
    composition_offset: int
    data: bytes


class TrackTimeline:
    """Placement and lookahead state of one track within one session."""

    def __init__(self, track: TrackInfo, timescale: int, origin_utc: float, *,
                 max_gap: float, max_drift: float) -> None:
        self.track = track
        self.timescale = timescale
        self.origin_utc = origin_utc
        self.max_gap = max_gap
        self.max_drift = max_drift
        self.sparse = track.kind is TrackKind.METADATA
        self._anchor: tuple[int, int] | None = None  # (dts ticks, session time)
        self.pending: Timed | None = None
        self.end: int | None = None
        """End of the last sample handed out by ``complete`` or ``flush``."""
        self.last_duration = 0

    def decode_utc(self, sample: TrackSample) -> float:
        return sample.utc - (sample.pts - sample.dts) / self.track.clock_rate

    def place(self, sample: TrackSample) -> tuple[int, Placement]:
        """Session time of ``sample``'s decode time and whether it fits the timeline."""
        rate = self.track.clock_rate
        utc = sample.utc - (sample.pts - sample.dts) / rate  # decode_utc, inlined: per sample
        if self._anchor is None:
            time = round((utc - self.origin_utc) * self.timescale)
            self._anchor = (sample.dts, time)
            return time, Placement.OK
        dts, base = self._anchor
        time = base + rescale(sample.dts - dts, rate, self.timescale)
        pending = self.pending
        previous = pending.time if pending is not None else self.end
        if previous is not None and not self.sparse:
            if time <= previous:
                return time, Placement.BACKWARDS
            if time - previous > self.max_gap * self.timescale:
                return time, Placement.GAP
        drift = self.origin_utc + time / self.timescale - utc
        if abs(drift) > self.max_drift:
            return time, Placement.DRIFT
        return time, Placement.OK

    def reanchor(self) -> None:
        """Forget the RTP anchor: the next sample is placed by its wall clock again."""
        self._anchor = None

    def timed(self, sample: TrackSample, time: int) -> Timed:
        rate, timescale = self.track.clock_rate, self.timescale
        offset = sample.pts - sample.dts
        if offset:
            offset = rescale(offset, rate, timescale)
        duration = sample.duration
        duration = rescale(duration, rate, timescale) if duration else 0
        return Timed(time, duration, sample.sync, offset, sample.data)

    def push(self, timed: Timed) -> Timed | None:
        """Make ``timed`` the pending sample; return the previous one with its duration."""
        done = self.pending
        self.pending = timed
        if done is None:
            return None
        return self._finish(done, timed.time - done.time)

    def flush(self, limit: int | None = None) -> Timed | None:
        """Finish the pending sample without lookahead (clipped to ``limit`` if given)."""
        done, self.pending = self.pending, None
        if done is None:
            return None
        duration = done.duration or self.last_duration or max(1, self.timescale // 25)
        if self.sparse and limit is not None and done.time < limit:
            duration = limit - done.time  # a metadata document holds until the cut
        return self._finish(done, duration)

    def _finish(self, done: Timed, duration: int) -> Timed:
        done.duration = max(1, min(duration, U32_MAX))
        self.last_duration = done.duration
        self.end = done.time + done.duration
        return done
