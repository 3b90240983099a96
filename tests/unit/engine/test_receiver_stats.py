"""Receiver counters for metrics stay monotonic across reconnections."""

from __future__ import annotations

from onvif_recorder.engine.receiver_task import ReceiverStats
from onvif_recorder.rtp.sequencer import SequenceStats
from onvif_recorder.rtp.stream import StreamStats


def stream(packets: int, samples: int, lost: int) -> StreamStats:
    return StreamStats(packets=packets, samples=samples, sequence=SequenceStats(lost=lost))


def test_totals_add_the_sessions_before_the_current_one() -> None:
    stats = ReceiverStats()
    first = {0: stream(100, 30, 1), 1: stream(50, 50, 0)}
    stats.new_session(first)
    first[0].packets += 10  # still counting while it plays
    assert (stats.totals().packets, stats.totals().samples, stats.totals().lost) == (160, 80, 1)
    stats.new_session({0: stream(5, 2, 3)})
    assert (stats.totals().packets, stats.totals().samples, stats.totals().lost) == (165, 82, 4)
    assert stats.streams[0].packets == 5  # the current session's own counters are kept
