"""Random-access index: ``mfra`` with ``tfra`` per track and ``mfro`` (14496-12 §8.8.9-11).

Box tree of ``encode_mfra()``::

    |mfra|
    |    |tfra|     one per track, in track order; entries point at ``moof`` offsets
    |    |mfro|     size of the whole ``mfra``, so a reader can find it from the file end

RC Annex B.6 requires it as the last box of an MP4-format segment, referencing every
track. ``condense()`` builds the at most 20-entry copy that B.9.2's ``SeekTable``
attribute carries (base64 of an ``mfra``, ``mfro`` allowed to be left out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from onvif_recorder.mp4.boxes import (
    FULL_HEADER_SIZE,
    HEADER_SIZE,
    box,
    full_box,
    u32,
    uint,
    version_for,
)

MFRO_SIZE = FULL_HEADER_SIZE + 4
SEEK_TABLE_MAX_ENTRIES = 20


@dataclass(frozen=True, slots=True)
class RandomAccessEntry:
    """One ``tfra`` entry: a sync sample's decode time and where its ``moof`` starts."""

    time: int
    moof_offset: int
    traf_number: int = 1
    trun_number: int = 1
    sample_number: int = 1


def encode_mfra(entries: Mapping[int, Sequence[RandomAccessEntry]], *,
                with_mfro: bool = True) -> bytes:
    """``mfra`` for track_ID → entries; a track with no entry still gets a ``tfra``."""
    tfras = [tfra(track_id, entries[track_id]) for track_id in sorted(entries)]
    if not with_mfro:
        return box(b"mfra", *tfras)
    size = HEADER_SIZE + sum(len(t) for t in tfras) + MFRO_SIZE
    return box(b"mfra", *tfras, full_box(b"mfro", 0, 0, u32(size)))


def tfra(track_id: int, entries: Sequence[RandomAccessEntry]) -> bytes:
    """TrackFragmentRandomAccessBox (§8.8.10): field widths follow the largest value."""
    version = version_for(*(v for e in entries for v in (e.time, e.moof_offset)))
    widths = [_width(max((getattr(e, name) for e in entries), default=1))
              for name in ("traf_number", "trun_number", "sample_number")]
    sizes = (widths[0] - 1) << 4 | (widths[1] - 1) << 2 | (widths[2] - 1)
    rows = [uint(e.time, version) + uint(e.moof_offset, version)
            + b"".join(n.to_bytes(w, "big") for n, w in zip(
                (e.traf_number, e.trun_number, e.sample_number), widths, strict=True))
            for e in entries]
    return full_box(b"tfra", version, 0, u32(track_id), u32(sizes), u32(len(entries)), *rows)


def _width(value: int) -> int:
    """Bytes (1-4) needed for ``value``: length_size_of_* + 1."""
    if not 1 <= value <= 0xFFFFFFFF:
        raise ValueError(f"tfra number {value} out of range")
    return 1 if value < 1 << 8 else 2 if value < 1 << 16 else 3 if value < 1 << 24 else 4


def condense(entries: Mapping[int, Sequence[RandomAccessEntry]],
             max_entries: int = SEEK_TABLE_MAX_ENTRIES) -> dict[int, list[RandomAccessEntry]]:
    """At most ``max_entries`` entries, evenly spread, keeping each track's first (B.9.2)."""
    tracks = [track for track in sorted(entries) if entries[track]]
    if len(tracks) > max_entries:
        raise ValueError(f"{len(tracks)} tracks do not fit a {max_entries}-entry seek table")
    budget = {track: max_entries // max(1, len(tracks)) for track in tracks}
    for track in tracks[: max_entries - sum(budget.values())]:
        budget[track] += 1
    result: dict[int, list[RandomAccessEntry]] = {track: [] for track in entries}
    for track in tracks:
        rows, keep = entries[track], budget[track]
        if len(rows) <= keep:
            result[track] = list(rows)
            continue
        picks = sorted({round(i * (len(rows) - 1) / max(1, keep - 1)) for i in range(keep)})
        result[track] = [rows[i] for i in picks]
    return result
