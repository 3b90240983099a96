"""Ingest cost: N receivers pulling a pre-encoded H.264 stream, against ffmpeg on the same streams.

Run on demand (never part of the test suite)::

    .venv/bin/python bench/ingest.py [--streams 1,10,50,100] [--transports tcp,udp]

One test camera (tests/camera, GStreamer) serves its ``/file`` mount: a clip made here by
ffmpeg (4 Mbit/s, 1280x720, 25 fps, a key frame a second) looped without re-encoding, one
shared pipeline for every client. For each N and transport, in the same run:

* ours: N ``ReceiverTask``s in this process, each with a subscriber draining its samples
  (as the recording engine would); CPU is this process's ``time.process_time()``; once per
  ingest kernel of ``--kernels`` (``c``: compiled, ``python``: the reference;
  ``onvif_recorder.rtp.kernels``), shown as ``ours-c`` / ``ours-py``;
* ffmpeg: N ``ffmpeg -rtsp_transport T -i URL -c copy -f segment`` processes writing
  10 s MP4 segments to a temporary directory (``--ffmpeg-output null``: ``-f null -``);
  CPU is utime + stime from ``/proc/<pid>/stat`` of each.

Each phase connects every client (one at a time at first: gst-rtsp-server 1.22 can fail a
shared media set up by many clients in the same instant), waits ``--warmup`` seconds and
measures ``--window`` seconds. Printed per phase: CPU milliseconds per stream-second (and,
for ours, the ratio to ffmpeg's of the same N and transport), RTP packets
per second (counted by our receivers), frames per second delivered (samples for ours,
``-progress`` frames for ffmpeg), packets lost (sequence gaps for ours, "RTP: missed" for
ffmpeg), the growth of resident memory per stream (ours), and the camera's and the
machine's load, so a starved camera is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.camera import Camera  # noqa: E402
from tests.integration.ingest_support import RecordedEvents, receiver  # noqa: E402

from onvif_recorder.domain.receiver import ReceiverState  # noqa: E402
from onvif_recorder.engine.receiver_task import IngestConfig, ReceiverTask  # noqa: E402
from onvif_recorder.engine.samples import SampleFanout, SampleQueue  # noqa: E402
from onvif_recorder.ingest.backoff import BackoffPolicy  # noqa: E402
from onvif_recorder.ingest.items import MediaSample  # noqa: E402
from onvif_recorder.rtp import kernels  # noqa: E402
from onvif_recorder.rtp.stream import StreamStats  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
MISSED = re.compile(r"RTP: missed (\d+) packets")


@dataclass
class Phase:
    who: str
    transport: str
    streams: int
    seconds: float
    cpu: float
    packets: int | None
    frames: int
    lost: int
    failures: int
    camera_cpu: float
    machine_busy: float
    rss_per_stream: float | None = None
    """MB of resident memory the N receivers added (ours only)."""

    @property
    def per_stream(self) -> float:
        """CPU milliseconds per stream-second."""
        return self.cpu / (self.streams * self.seconds) * 1000

    def row(self, reference: Phase | None = None) -> str:
        packets = "-" if self.packets is None else f"{self.packets / self.seconds:9.0f}"
        ratio = "-" if reference is None else f"{self.per_stream / reference.per_stream:.2f}"
        rss = "-" if self.rss_per_stream is None else f"{self.rss_per_stream:.1f}"
        return (f"{self.who:7} {self.transport:4} {self.streams:4d} {self.per_stream:9.2f}"
                f" {ratio:>6} {packets:>9} {self.frames / self.seconds / self.streams:8.2f}"
                f" {self.lost:6d} {self.failures:5d} {rss:>7}"
                f" {self.camera_cpu / self.seconds * 100:7.0f}% {self.machine_busy * 100:6.0f}%")


HEADER = (f"{'client':7} {'tr':4} {'N':>4} {'ms cpu/s':>9} {'/ffm':>6} {'pkts/s':>9}"
          f" {'fps/strm':>8} {'lost':>6} {'fail':>5} {'MB/strm':>7} {'camera':>8} {'busy':>7}")


def rss_mb() -> float:
    """Resident memory of this process (VmRSS), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_clip(directory: Path, bitrate: str, size: str) -> Path:
    """A 10 s H.264 clip: key frame every second, no B-frames (what cameras send)."""
    clip = directory / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25",
         "-t", "10", "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "25",
         "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-b:v", bitrate,
         "-maxrate", bitrate, "-bufsize", bitrate, str(clip)], check=True)
    return clip


def process_cpu(pid: int) -> float:
    """utime + stime of ``pid`` in seconds (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Window:
    """CPU of the camera and of the machine between ``start`` and ``stop``."""

    def __init__(self, camera: Camera) -> None:
        assert camera.process is not None
        self.pid = camera.process.pid

    def start(self) -> None:
        self.began, self.camera0, self.machine0 = time.monotonic(), process_cpu(self.pid), \
            machine_times()

    def stop(self) -> tuple[float, float, float]:
        busy, total = machine_times()
        seconds = time.monotonic() - self.began
        share = (busy - self.machine0[0]) / max(1, total - self.machine0[1])
        return seconds, process_cpu(self.pid) - self.camera0, share


# --- ours -------------------------------------------------------------------------------------

async def drain(queue: SampleQueue, counts: list[int]) -> None:
    while batch := await queue.get_batch(1024):
        counts[0] += sum(1 for item in batch if isinstance(item, MediaSample))


class Totals:
    """Packets, losses and failures of a set of receivers, summed over their sessions."""

    def __init__(self, tasks: list[ReceiverTask]) -> None:
        self.tasks = tasks
        self.seen: dict[int, StreamStats] = {}  # held, so that no id is reused
        self.failures0 = sum(task.stats.failures for task in tasks)

    def take(self) -> tuple[int, int, int]:
        for task in self.tasks:
            for stats in task.stats.streams.values():
                self.seen[id(stats)] = stats
        streams = self.seen.values()
        lost = sum(s.sequence.lost + s.malformed + s.dropped for s in streams)
        failures = sum(task.stats.failures for task in self.tasks) - self.failures0
        return sum(s.packets for s in streams), lost, failures


async def connect_all(url: str, n: int, udp: bool) -> tuple[list[ReceiverTask], list[SampleQueue]]:
    events = RecordedEvents()
    config = IngestConfig(backoff=BackoffPolicy(initial=0.2, maximum=2.0))
    tasks, queues = [], []
    for index in range(n):
        fanout = SampleFanout()
        queues.append(fanout.subscribe())
        task = ReceiverTask(f"R{index}", receiver(url, udp), events, fanout, config)
        tasks.append(task)
        task.start()
        if index == 0:  # the first one prepares the shared media alone
            await asyncio.wait_for(events.reach("R0", ReceiverState.CONNECTED), 10)
    for task in tasks:
        await asyncio.wait_for(events.reach(task.token, ReceiverState.CONNECTED), 30)
    return tasks, queues


async def ours(camera: Camera, n: int, transport: str, warmup: float, window: float,
               kernel: str) -> Phase:
    kernels.select(kernel)
    rss0 = rss_mb()
    tasks, queues = await connect_all(camera.url("/file"), n, transport == "udp")
    counts = [0]
    drains = [asyncio.create_task(drain(queue, counts)) for queue in queues]
    await asyncio.sleep(warmup)
    meter, totals = Window(camera), Totals(tasks)
    cpu0, (packets0, lost0, _), frames0 = time.process_time(), totals.take(), counts[0]
    meter.start()
    await sample_totals(totals, window)
    seconds, camera_cpu, busy = meter.stop()
    cpu, (packets, lost, failures), frames = time.process_time(), totals.take(), counts[0]
    rss = (rss_mb() - rss0) / n
    await asyncio.gather(*(task.stop() for task in tasks))
    for queue in queues:
        queue.close()
    await asyncio.gather(*drains)
    who = "ours-c" if kernel == "c" else "ours-py"
    return Phase(who, transport, n, seconds, cpu - cpu0, packets - packets0,
                 frames - frames0, lost - lost0, failures, camera_cpu, busy, rss)


async def sample_totals(totals: Totals, window: float) -> None:
    """Wait ``window`` seconds, looking at the counters every second: a session that ends
    (and is replaced by a new one) must be counted before its statistics go."""
    deadline = time.monotonic() + window
    while (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(1.0, left))
        totals.take()


# --- ffmpeg -----------------------------------------------------------------------------------

class Ffmpeg:
    """One ``ffmpeg -c copy -f segment`` (or ``-f null``) client; progress and warnings go
    to files."""

    def __init__(self, url: str, transport: str, directory: Path, index: int,
                 output: str) -> None:
        self.progress = directory / f"progress{index}.txt"
        self.log = directory / f"stderr{index}.txt"
        sink = ["-f", "null", "-"] if output == "null" else [
            "-f", "segment", "-segment_time", "10", "-segment_format", "mp4",
            "-reset_timestamps", "1", str(directory / f"stream{index}-%05d.mp4")]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "warning",
                 "-rtsp_transport", transport, "-i", url, "-c", "copy",
                 "-progress", str(self.progress), "-stats_period", "0.5", *sink],
                stdout=subprocess.DEVNULL, stderr=log)

    def frames(self) -> int:
        with contextlib.suppress(OSError):
            found = re.findall(r"^frame=(\d+)$", self.progress.read_text(), re.MULTILINE)
            return int(found[-1]) if found else 0
        return 0

    def missed(self, since: int = 0) -> tuple[int, int]:
        """Packets reported missed after byte ``since`` of the log, and the log's size."""
        text = self.log.read_bytes()
        return sum(int(m) for m in MISSED.findall(text[since:].decode(errors="replace"))), \
            len(text)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_until_playing(clients: list[Ffmpeg], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(client.frames() == 0 for client in clients):
        if time.monotonic() > deadline:
            raise RuntimeError("ffmpeg clients did not start playing")
        time.sleep(0.2)


def start_ffmpegs(url: str, n: int, transport: str, directory: Path,
                  output: str) -> list[Ffmpeg]:
    clients = [Ffmpeg(url, transport, directory, 0, output)]
    wait_until_playing(clients, 20)  # the first one prepares the shared media alone
    for index in range(1, n):
        clients.append(Ffmpeg(url, transport, directory, index, output))
        time.sleep(0.02)
    wait_until_playing(clients, 60)
    return clients


def ffmpeg(camera: Camera, n: int, transport: str, warmup: float, window: float,
           output: str) -> Phase:
    with tempfile.TemporaryDirectory(prefix="ffmpeg-bench-") as temporary:
        clients = start_ffmpegs(camera.url("/file"), n, transport, Path(temporary), output)
        try:
            time.sleep(warmup)
            meter = Window(camera)
            cpu0 = sum(process_cpu(c.process.pid) for c in clients)
            frames0, logs0 = sum(c.frames() for c in clients), [c.missed()[1] for c in clients]
            meter.start()
            time.sleep(window)
            seconds, camera_cpu, busy = meter.stop()
            cpu = sum(process_cpu(c.process.pid) for c in clients)
            frames = sum(c.frames() for c in clients)
            exited = sum(1 for c in clients if c.process.poll() is not None)
            lost = sum(c.missed(since)[0] for c, since in zip(clients, logs0, strict=True))
        finally:
            for client in clients:
                client.stop()
    return Phase("ffmpeg", transport, n, seconds, cpu - cpu0, None, frames - frames0, lost,
                 exited, camera_cpu, busy)


# --- main -------------------------------------------------------------------------------------

def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--streams", default="1,10,50,100", help="comma-separated N values")
    parser.add_argument("--transports", default="tcp,udp")
    parser.add_argument("--bitrate", default="4M")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--skip-ffmpeg", action="store_true")
    parser.add_argument("--ffmpeg-output", choices=["segment", "null"], default="segment")
    parser.add_argument("--kernels", default=",".join(reversed(kernels.available())),
                        help="ingest kernels to measure ours with, in order (c, python)")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as temporary:
        clip = make_clip(Path(temporary), args.bitrate, args.size)
        print(f"clip: {args.size} H.264 at {args.bitrate}bit/s, 25 fps, GOP 25; "
              f"{args.warmup:g} s warm-up, {args.window:g} s measured per phase")
        print(HEADER, flush=True)
        with Camera(clip=clip) as camera:
            for n in (int(value) for value in args.streams.split(",")):
                for transport in args.transports.split(","):
                    measure(camera, n, transport, args)


def measure(camera: Camera, n: int, transport: str, args: argparse.Namespace) -> None:
    """ffmpeg first, then ours with each kernel, each row with its ratio to ffmpeg."""
    reference = None
    if not args.skip_ffmpeg:
        reference = ffmpeg(camera, n, transport, args.warmup, args.window, args.ffmpeg_output)
        print(reference.row(), flush=True)
    for kernel in args.kernels.split(","):
        phase = asyncio.run(ours(camera, n, transport, args.warmup, args.window, kernel))
        print(phase.row(reference), flush=True)


if __name__ == "__main__":
    main()
