"""HLS media playlists of recorded segments (RFC 8216), sans-IO: parts in, playlist text out.

A VOD playlist (``EXT-X-PLAYLIST-TYPE:VOD``, version 7 for fMP4 with ``EXT-X-MAP``,
RFC 8216 §4.3.2.5, §7) with one media segment ("part") per stored segment, each carrying
its ``EXT-X-PROGRAM-DATE-TIME`` (§4.3.2.6) so a player maps its position to wall-clock
time. ``EXT-X-DISCONTINUITY`` (§4.3.2.3) precedes a part whose initialization segment
differs from the previous one's or that does not follow it in time (a gap in the
recording): the part's media timestamps jump there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

GAP_TOLERANCE = 0.5
"""Seconds between one part's end and the next one's start still counted as contiguous
(segment ends are the last sample's end, not the next segment's first sample)."""


@dataclass(frozen=True, slots=True)
class HlsPart:
    part_id: int
    init_id: int
    """Which initialization segment (``init/{init_id}.mp4``) the part needs."""
    start_utc: float
    end_utc: float


def iso_utc(moment: float) -> str:
    """``2026-12-05T00:13:55.250Z``: ISO 8601 UTC with milliseconds."""
    text = datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z"


def media_playlist(parts: Sequence[HlsPart]) -> str:
    """The playlist of ``parts`` (in time order); URIs are relative to the playlist."""
    duration = max((p.end_utc - p.start_utc for p in parts), default=1.0)
    lines = ["#EXTM3U", "#EXT-X-VERSION:7",
             f"#EXT-X-TARGETDURATION:{max(1, math.ceil(duration))}",
             "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD",
             "#EXT-X-INDEPENDENT-SEGMENTS"]
    previous: HlsPart | None = None
    for part in parts:
        if previous is None or part.init_id != previous.init_id:
            if previous is not None:
                lines.append("#EXT-X-DISCONTINUITY")
            lines.append(f'#EXT-X-MAP:URI="init/{part.init_id}.mp4"')
        elif part.start_utc - previous.end_utc > GAP_TOLERANCE:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [f"#EXT-X-PROGRAM-DATE-TIME:{iso_utc(part.start_utc)}",
                  f"#EXTINF:{max(part.end_utc - part.start_utc, 0.001):.3f},",
                  f"part/{part.part_id}.m4s"]
        previous = part
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
