"""Recording cost: N concurrent jobs recording a pre-encoded 4 Mbit/s H.264 + AAC stream to
local disk, side by side with ``ffmpeg -c copy -f segment`` on the same streams.

Run on demand (never part of the test suite)::

    .venv/bin/python bench/record.py [--streams 1,10,50] [--duration 20] [--warmup 5]

One test camera (tests/camera/clipcam.py: the clip's H.264 access units and AAC frames
looped without re-encoding, one shared pipeline) serves every stream over RTSP/TCP. For
each N, first the recording engine (ingest + recording tasks + local storage, no SOAP
server) runs in a child process with N recordings, each with an Active job on its own
receiver; then N ``ffmpeg -rtsp_transport tcp -i URL -c copy -f segment -segment_time S
-reset_timestamps 1 out%03d.mp4`` processes run for the same time. CPU and RSS are
sampled from /proc (utime + stime, VmRSS) over the measured window after ``--warmup``;
segments are read back with PyAV afterwards. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import multiprocessing
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from record_engine import EngineReport, run_engine
from record_files import FileStats, scan_files

CLIPCAM = Path(__file__).resolve().parents[1] / "tests" / "camera" / "clipcam.py"
TICKS = os.sysconf("SC_CLK_TCK")
CLIP_COMMAND = (
    "ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=25 -f lavfi "
    "-i sine=frequency=440:sample_rate=48000 -t 10 -vf noise=alls=12:allf=t -c:v libx264 "
    "-preset veryfast -bf 0 -g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p -b:v 4M "
    "-maxrate 4M -bufsize 4M -c:a aac -b:a 128k -ac 1"
)


@dataclass(frozen=True)
class Options:
    streams: tuple[int, ...]
    duration: float
    warmup: float
    segment: float
    fsync_interval: float
    clip: Path | None
    work: Path | None


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float  # in the measured window
    rss_bytes: int  # per stream


@dataclass(frozen=True)
class Row:
    name: str
    streams: int
    seconds: float
    usage: Usage
    files: FileStats
    lost: int


def make_clip(directory: Path) -> Path:
    clip = directory / "clip-4mbit.mp4"
    if not clip.exists():
        subprocess.run([*CLIP_COMMAND.split(), str(clip)], check=True)
    return clip


@contextlib.contextmanager
def clip_camera(clip: Path) -> Iterator[str]:
    """The test camera run as clipcam.py (fakecam + AAC looped on /file); yields its URL."""
    command = ["/usr/bin/python3", str(CLIPCAM), "--port", "0", "--clip", str(clip)]
    camera = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert camera.stdout is not None
        ready = camera.stdout.readline()
        if not ready.startswith("READY "):
            raise RuntimeError(f"the camera did not start: {ready!r}")
        yield ready.split()[1] + "/file"
    finally:
        camera.terminate()
        camera.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# --------------------------------------------------------------------------- ours


def bench_engine(options: Options, url: str, streams: int, work: Path) -> Row:
    data = work / f"engine-{streams}"
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=engine_child, args=(
        child, data, url, streams, options.segment, options.fsync_interval))
    process.start()
    assert process.pid is not None
    parent.recv()  # populated, baseline RSS taken: the engine starts now
    baseline = parent.recv()
    time.sleep(options.warmup)
    cpu = cpu_seconds(process.pid)
    time.sleep(options.duration)
    cpu = cpu_seconds(process.pid) - cpu
    rss = rss_bytes(process.pid)
    parent.send("stop")
    report: EngineReport = parent.recv()
    process.join()
    usage = Usage(cpu, (rss - baseline) // streams)
    files = scan_files(data / "media")
    return Row("onvif-recorder", streams, options.duration, usage, files, report.lost(files))


def engine_child(conn: Connection, data: Path, url: str, streams: int, segment: float,
                 fsync_interval: float) -> None:
    profile = os.environ.get("BENCH_PROFILE")  # a file for cProfile stats of the engine
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    report = asyncio.run(run_engine(conn, data, url, streams, segment, fsync_interval))
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(profile))
    conn.send(report)


# --------------------------------------------------------------------------- ffmpeg


def ffmpeg_command(url: str, segment: float) -> list[str]:
    return ["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-c",
            "copy", "-f", "segment", "-segment_time", f"{segment:g}", "-reset_timestamps",
            "1", "out%03d.mp4"]


def bench_ffmpeg(options: Options, url: str, streams: int, work: Path) -> Row:
    root = work / f"ffmpeg-{streams}"
    processes = []
    for number in range(streams):
        directory = root / f"stream{number:03d}"
        directory.mkdir(parents=True)
        processes.append(subprocess.Popen(ffmpeg_command(url, options.segment),
                                          cwd=directory, stderr=subprocess.PIPE))
    time.sleep(options.warmup)
    cpu = sum(cpu_seconds(p.pid) for p in processes)
    time.sleep(options.duration)
    cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu
    rss = sum(rss_bytes(p.pid) for p in processes) // streams
    warnings = 0
    for process in processes:
        process.send_signal(signal.SIGINT)  # ffmpeg finishes the current segment
        _, errors = process.communicate(timeout=30)
        warnings += errors.decode(errors="replace").count("missed")
    files = scan_files(root)
    return Row("ffmpeg -c copy", streams, options.duration, Usage(cpu, rss), files,
               files.gaps + warnings)


# --------------------------------------------------------------------------- report


def print_rows(ours: Row, theirs: Row) -> None:
    print(f"\n{ours.streams} stream(s), {ours.seconds:g} s measured")
    print(f"{'':16}{'CPU s/stream-s':>15}{'RSS MB/stream':>15}{'overhead %':>12}"
          f"{'samples':>10}{'lost':>7}")
    for row in (ours, theirs):
        per_stream_second = row.usage.cpu_seconds / (row.streams * row.seconds)
        print(f"{row.name:16}{per_stream_second:>15.4f}{row.usage.rss_bytes / 2**20:>15.1f}"
              f"{100 * row.files.overhead:>12.2f}{row.files.samples:>10}{row.lost:>7}")
    ratio = ours.usage.cpu_seconds / theirs.usage.cpu_seconds if theirs.usage.cpu_seconds else 0
    print(f"CPU ratio onvif-recorder / ffmpeg: {ratio:.2f}", flush=True)


def run(options: Options, work: Path) -> None:
    clip = options.clip or make_clip(work)
    with clip_camera(clip) as url:
        for streams in options.streams:
            ours = bench_engine(options, url, streams, work)
            theirs = bench_ffmpeg(options, url, streams, work)
            print_rows(ours, theirs)
            shutil.rmtree(work / f"engine-{streams}")
            shutil.rmtree(work / f"ffmpeg-{streams}")


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", default="1,10", help="comma-separated N values")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument("--segment", type=float, default=10.0, help="segment duration, s")
    parser.add_argument("--fsync-interval", type=float, default=5.0,
                        help="storage fsync_interval of the engine, s")
    parser.add_argument("--clip", type=Path, help="H.264 + AAC mp4 (default: encoded once)")
    parser.add_argument("--work", type=Path, help="directory for segments (default: temp)")
    args = parser.parse_args()
    streams = tuple(int(n) for n in args.streams.split(","))
    if min(streams) < 1 or max(streams) > 100 or not 0 < args.duration <= 300:
        parser.error("streams must be 1..100 and duration 0..300 s")
    return Options(streams, args.duration, args.warmup, args.segment, args.fsync_interval,
                   args.clip, args.work)


def main() -> None:
    options = parse_options()
    if options.work is not None:
        options.work.mkdir(parents=True, exist_ok=True)
        run(options, options.work)
        return
    with tempfile.TemporaryDirectory(prefix="bench-record-") as work:
        run(options, Path(work))


if __name__ == "__main__":
    main()
