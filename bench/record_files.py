"""Segments read back for bench/record.py: file bytes against media bytes (container
overhead), samples, and gaps in each file's timeline (lost samples seen in the output)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

GAP_FACTOR = 1.5  # a step over 1.5 sample durations means samples are missing


@dataclass(frozen=True)
class FileStats:
    files: int
    file_bytes: int
    media_bytes: int
    samples: int
    gaps: int
    """Samples missing inside files, from steps in their decoding timestamps."""

    @property
    def overhead(self) -> float:
        return self.file_bytes / self.media_bytes - 1 if self.media_bytes else 0.0


def missing(times: list[int], duration: int) -> int:
    """Samples missing from a stream's decoding times (units of its time base)."""
    if duration <= 0:
        return 0
    return sum(round(step / duration) - 1 for step in
               (b - a for a, b in itertools.pairwise(times))
               if step > GAP_FACTOR * duration)


def scan_file(path: Path) -> tuple[int, int, int]:
    """(media bytes, samples, missing samples) of one mp4 file, demuxed by PyAV."""
    times: dict[int, list[int]] = {}
    durations: dict[int, int] = {}
    media = 0
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size == 0 or packet.dts is None:
                continue
            media += packet.size
            times.setdefault(packet.stream.index, []).append(packet.dts)
            durations.setdefault(packet.stream.index, _nominal(packet.stream))
    samples = sum(len(t) for t in times.values())
    gaps = sum(missing(t, durations[index]) for index, t in times.items())
    return media, samples, gaps


def _nominal(stream: av.stream.Stream) -> int:
    """One sample's duration in the stream's time base: 1/fps video, 1024 audio ticks."""
    base = stream.time_base or Fraction(1, 90000)
    if isinstance(stream, av.AudioStream):
        return round(Fraction(1024, stream.rate or 48000) / base)
    if isinstance(stream, av.VideoStream):
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        return round(1 / (Fraction(rate) * base))
    return 0


def scan_files(root: Path) -> FileStats:
    paths = sorted(root.rglob("*.mp4"))
    media = samples = gaps = 0
    for path in paths:
        file_media, file_samples, file_gaps = scan_file(path)
        media, samples, gaps = media + file_media, samples + file_samples, gaps + file_gaps
    size = sum(p.stat().st_size for p in paths)
    return FileStats(len(paths), size, media, samples, gaps)
