"""Decode times from presentation times and the reorder depth (rtp.decode_time)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.rtp.decode_time import DecodeTimes

F = 3000  # 30 fps at 90 kHz

# (name, declared reorder depth, presentation times in decode order in frames,
#  expected decode times in frames). x264 writes the depth it uses in the VUI:
#  1 for bframes=2 without pyramid, 2 with b-pyramid.
CASES = [
    ("no B-frames: I P P P", 0, [0, 1, 2, 3], [0, 1, 2, 3]),
    ("I P B B P B B, depth 1", 1, [0, 3, 1, 2, 6, 4, 5, 9, 7, 8],
     [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
    ("I P B b B with b-pyramid, depth 2", 2, [0, 4, 2, 1, 3, 8, 6, 5, 7],
     [-2, -1, 0, 1, 2, 3, 4, 5, 6]),
    ("depth declared but no reordering", 1, [0, 1, 2, 3], [-1, 0, 1, 2]),
    ("two GOPs, IDR every 7 frames", 1, [0, 3, 1, 2, 6, 4, 5, 7, 10, 8, 9],
     [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
]


@pytest.mark.parametrize(("name", "depth", "pts", "dts"), CASES, ids=[c[0] for c in CASES])
def test_decode_times(name: str, depth: int, pts: list[int], dts: list[int]) -> None:
    times = DecodeTimes(90000)
    got = [times.decode_time(p * F, depth) for p in pts]
    assert got == [d * F for d in dts]
    assert all(d <= p * F for d, p in zip(got, pts, strict=True))


@pytest.mark.parametrize("pts", [
    [0, 3, 1, 2, 6, 4, 5, 9, 7, 8, 12, 10, 11],
    [0, 4, 2, 1, 3, 8, 6, 5, 7, 12, 10, 9, 11],
])
def test_undeclared_depth_is_learned_and_decode_times_still_grow(pts: list[int]) -> None:
    """An H.264 VUI without bitstream_restriction: depth grows when the timestamps go
    back; decode times never do, and once caught up they trail presentation again."""
    times = DecodeTimes(90000)
    got = [times.decode_time(p * F, None) for p in pts]
    assert all(b > a for a, b in itertools.pairwise(got))
    assert times.depth == (1 if pts[2] == 1 else 2)
    tail = slice(-4, None)
    assert all(d <= p * F for d, p in zip(got[tail], pts[tail], strict=True))


def test_declared_in_order_stream_is_left_alone() -> None:
    """Audio, POC type 2: decode time is presentation time, even if a timestamp repeats."""
    times = DecodeTimes(8000)
    assert [times.decode_time(p, 0) for p in (0, 160, 160, 320, 100)] == [0, 160, 160, 320, 100]


@pytest.mark.parametrize("restart_at", [0, 5000])
def test_a_timestamp_jump_restarts_the_timeline(restart_at: int) -> None:
    """A sender restart: no picture after it is decoded at a time from before it."""
    times = DecodeTimes(90000)
    first = [times.decode_time(p * F, 1) for p in (1000, 1003, 1001, 1002)]
    again = [times.decode_time((restart_at + p) * F, 1) for p in (0, 3, 1, 2)]
    assert first == [d * F for d in (999, 1000, 1001, 1002)]
    assert again == [(restart_at + d) * F for d in (-1, 0, 1, 2)]


@given(st.lists(st.integers(0, 3), min_size=1, max_size=40))
def test_any_b_frame_pattern_gives_growing_decode_times_before_presentation(
        groups: list[int]) -> None:
    """Each group is a reference picture sent before the 0-3 B-pictures shown before it
    (no pyramid: depth 1). Decode times grow, never pass presentation times, and from
    the second picture on they are the presentation times in order."""
    pts: list[int] = [0]
    shown = 1
    for b_frames in groups:
        pts += [shown + b_frames, *range(shown, shown + b_frames)]
        shown += b_frames + 1
    times = DecodeTimes(90000)
    dts = [times.decode_time(p * F, 1) for p in pts]
    assert all(b > a for a, b in itertools.pairwise(dts))
    assert all(d <= p * F for d, p in zip(dts, pts, strict=True))
    assert dts[1:] == [p * F for p in sorted(pts)[:-1]]
