"""Decode times for streams whose pictures arrive out of presentation order (B-frames).

RTP timestamps are presentation times (RFC 6184 §5.1, RFC 7798 §4.1) while packets come
in decode order, so a stream with B-frames (I0 P3 B1 B2 P6 B4 B5 …) has timestamps that
go back and forth. An ISO-BMFF track needs decode times that only grow, each at or
before its presentation time (14496-12 §8.6.1.1). The rule used here is the one
muxers use when they only have presentation times: with a reorder depth R (how many
pictures may follow one in decode order yet precede it in output order), the n-th
picture in decode order is decoded at the presentation time of the (n-R)-th picture in
presentation order. That value is known when picture n arrives, because no later
picture may go before R+1 earlier ones: a window of R+1 presentation times, the
smallest popped each time, gives it exactly. The first R pictures are decoded one
frame interval apart before the first presentation time.

R comes from the parameter sets (``max_num_reorder_frames``, ``sps_max_num_reorder_pics``).
When they do not say (an H.264 VUI without bitstream_restriction) or declare some, R
grows if the timestamps show more reordering, as FFmpeg's decoder
does ("Increasing reorder buffer"): pictures decoded before the growth keep their
times, so the next decode times advance by a frame interval while the wider window
fills, then by as little as one tick until it catches up; those few samples carry
negative composition offsets (signed ``trun`` offsets, version 1).

A stream declared in order (R = 0: audio, metadata, H.264 POC type 2 or Baseline, a
VUI or H.265 SPS saying 0) keeps decode time = presentation time whatever its
timestamps do, and so does an undeclared one until it reorders: streams without
B-frames record exactly as before.
"""

from __future__ import annotations

import heapq
from collections import deque

MAX_REORDER_DEPTH = 16
"""H.264/H.265 never need more (MaxDpbFrames ≤ 16)."""
_HISTORY = MAX_REORDER_DEPTH + 1
_RESET_AFTER = 5.0
"""Seconds a presentation time may stray from the last decode time before it is a new
timeline (sender restart, timestamp jump), not reordering."""


class DecodeTimes:
    """Decode time of each picture of one stream, from presentation times (see module)."""

    __slots__ = ("_guess", "_last", "_recent", "_reset_ticks", "_window", "depth")

    def __init__(self, clock_rate: int) -> None:
        self.depth = 0
        """Reorder depth in use: the declared one, or more if the stream showed more."""
        self._reset_ticks = int(clock_rate * _RESET_AFTER)
        self._guess = max(1, clock_rate // 30)
        """Frame interval while the window fills: the last one seen, at first 30 fps."""
        self._window: list[int] = []
        self._recent: deque[int] = deque(maxlen=_HISTORY)
        self._last: int | None = None

    def decode_time(self, pts: int, declared_depth: int | None) -> int:
        """The decode time of the next picture (in decode order) presented at ``pts``."""
        if declared_depth == 0 and self.depth == 0:
            return pts  # declared in order (audio, POC type 2, Baseline…): nothing to do
        if self._last is not None and abs(pts - self._last) > self._reset_ticks:
            self._restart()
        self._raise_depth(pts, declared_depth or 0)
        self._recent.append(pts)
        if self.depth == 0:
            self._last = pts
            return pts
        heapq.heappush(self._window, pts)
        if self._last is None:
            dts = pts - self.depth * self._guess  # the first picture of the timeline
        elif len(self._window) > self.depth:
            dts = heapq.heappop(self._window)
            if dts > self._last:
                self._guess = dts - self._last
            dts = max(dts, self._last + 1)
        else:
            dts = self._last + self._guess  # the window is filling: one frame further
        self._last = dts
        return dts

    def _raise_depth(self, pts: int, declared: int) -> None:
        """The declared depth, or the number of earlier pictures presented after this one."""
        observed = sum(1 for earlier in self._recent if earlier > pts)
        self.depth = min(MAX_REORDER_DEPTH, max(self.depth, declared, observed))

    def _restart(self) -> None:
        """The sender's timeline jumped (restart): start over, keeping the depth; the
        segmenter sees the jump in the decode times and starts a new span."""
        self._window.clear()
        self._recent.clear()
        self._last = None
