"""Segments read back: for bench/record.py file bytes against media bytes (container
overhead), samples, and gaps in each file's timeline (lost samples seen in the output);
for bench/record_serve.py whether each segment is whole and decodable."""

from __future__ import annotations

import itertools
from concurrent.futures import Executor
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


def check_segments(media: Path, pool: Executor) -> tuple[int, list[str]]:
    """Every mp4 under ``media`` demuxed to its end and its first video frame decoded."""
    paths = sorted(str(p) for p in media.rglob("*.mp4"))
    failures = [problem for problem in pool.map(check_segment, paths, chunksize=8) if problem]
    return len(paths), failures


def check_segment(path: str) -> str:
    """'' when the file's top-level boxes fill it exactly, it demuxes to its end and its
    first video frame decodes; else why (PyAV alone stops quietly at a torn fragment)."""
    torn = torn_box(Path(path))
    if torn:
        return f"{path}: {torn}"
    try:
        with av.open(path) as container:
            video = container.streams.video[0]
            decoded = False
            for packet in container.demux(video):
                if not decoded and packet.size:
                    decoded = bool(packet.decode())
            if not decoded:
                return f"{path}: no video frame decoded"
    except (av.FFmpegError, IndexError) as error:
        return f"{path}: {error}"
    return ""


def torn_box(path: Path) -> str:
    """'' when the ISO BMFF top-level boxes end exactly at the end of the file."""
    size, offset = path.stat().st_size, 0
    with path.open("rb") as file:
        while offset < size:
            file.seek(offset)
            header = file.read(16)
            if len(header) < 8:
                return f"a box header cut at byte {offset}"
            length = int.from_bytes(header[:4], "big")
            if length == 1 and len(header) == 16:
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:
                length = size - offset
            if length < 8 or offset + length > size:
                return f"box {header[4:8]!r} at byte {offset} runs past the end ({size})"
            offset += length
    return ""
