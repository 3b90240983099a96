"""The recorded timeline a player draws (``timeline.json`` of ``web.playback``), sans-IO:
the index's spans joined where they overlap and cut to the window asked for; gaps are
what lies between."""

from __future__ import annotations

from collections.abc import Iterable

Range = tuple[float, float]


def merge_ranges(ranges: Iterable[Range]) -> list[Range]:
    """Overlapping or touching ranges joined, in time order (a CMAF recording has one
    span per track type: its video and audio spans overlap)."""
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip_ranges(ranges: Iterable[Range], low: float, high: float) -> list[Range]:
    """The parts of ``ranges`` inside ``[low, high]``."""
    return [(max(a, low), min(b, high)) for a, b in ranges if b > low and a < high]
