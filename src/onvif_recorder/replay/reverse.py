"""Reverse playback, sans-IO (Streaming §6.6): the GOPs of a segment, latest first, each
GOP's frames in forward order. Audio is not sent in reverse (§6.6: "should normally not");
video and metadata are. A track without sync samples (metadata only) makes every frame a
GOP. E is set on the last frame of the GOP that starts a contiguous section (the last one
sent before playback jumps back over a gap), T there too when nothing earlier exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from onvif_recorder.mp4.fragment_reader import StoredSegment
from onvif_recorder.replay.playback import Frame


@dataclass(frozen=True, slots=True)
class Gop:
    frames: list[Frame]  # forward order; D belongs on the first one

    @property
    def start(self) -> float:
        return self.frames[0].decode_utc


def reverse_gops(segment: StoredSegment, streams: Mapping[str, int], upper: float,
                 lower: float | None, *, section_starts: bool, first_of_all: bool
                 ) -> list[Gop]:
    """GOPs of ``segment`` with frames at or before ``upper``, down to the GOP holding
    ``lower``, latest first."""
    has_video = any(t.handler == "vide" for t in segment.tracks.values())
    groups: list[list[Frame]] = []
    for sample in sorted(segment.samples, key=lambda s: (s.decode_time, s.track_id)):
        track = segment.tracks[sample.track_id]
        token = segment.info.token_of(sample.track_id) if segment.info else ""
        if track.handler == "soun" or token not in streams:
            continue
        decode_utc = segment.utc(sample.track_id, sample.decode_time)
        if decode_utc > upper:
            break
        frame = Frame(streams[token], decode_utc,
                      segment.utc(sample.track_id, sample.presentation_time), sample.sync,
                      sample.data)
        starts = (track.handler == "vide" and sample.sync) or not has_video
        if starts or not groups:
            groups.append([])
        groups[-1].append(frame)
    gops = [Gop(g) for g in groups if lower is None or g[-1].decode_utc >= lower]
    if gops and section_starts and (lower is None or gops[0].start >= lower):
        gops[0] = Gop(_mark_last(gops[0].frames, first_of_all))
    return list(reversed(gops))


def _mark_last(frames: list[Frame], terminal: bool) -> list[Frame]:
    marked, seen = list(frames), set()
    for index in range(len(marked) - 1, -1, -1):
        if marked[index].stream not in seen:
            seen.add(marked[index].stream)
            marked[index] = replace(marked[index], end_of_section=True, terminal=terminal)
    return marked
