"""Recording through ``onvif-recorder serve`` (front end + worker processes) against N
``ffmpeg -c copy -f segment`` on the same camera streams, with SOAP latency under that load.

Run on demand (never part of the test suite)::

    .venv/bin/python bench/record_serve.py [--streams 1,10,50,100,200] [--transports tcp,udp]
    .venv/bin/python bench/record_serve.py --streams 10 --transports tcp --window 10

One test camera (tests/camera, GStreamer) serves its ``/file`` mount: the clip of
bench/ingest.py (4 Mbit/s H.264, 1280x720, 25 fps, GOP 25) looped without re-encoding.
For each N and transport, in the same run:

* ours: one ``onvif-recorder serve`` subprocess (``--config`` with ``[limits]`` raised to
  N and ``[recording] workers``), N recordings each with a receiver and an Active job,
  created over SOAP (WS-UsernameToken). After every job is Active and ``--warmup``,
  ``--window`` seconds are measured: CPU of the recorder's whole process tree (front end,
  workers) from /proc, frames written and lost from /metrics, resident memory of the
  tree, the camera's CPU, and GetRecordings latency at ``--rate`` req/s (HTTP Digest) from
  a separate client process. Then the recorder stops (SIGINT) and every segment it wrote
  is demuxed to its end and its first frame decoded (PyAV).
* ffmpeg: N ``ffmpeg -rtsp_transport T -i URL -c copy -f segment`` (bench/ingest.py).

See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ (as bench/ingest.py)

from tests.camera import Camera
from tests.integration.recorder_process import RecorderProcess

from events import post
from ingest import Phase, Window, ffmpeg, make_clip, process_cpu
from record_files import check_segments
from soap_latency import timed_requests
from soap_throughput import PASSWORD, USER

TRC = "http://www.onvif.org/ver10/recording/wsdl"
TRV = "http://www.onvif.org/ver10/receiver/wsdl"
TT = "http://www.onvif.org/ver10/schema"
NAMESPACES = f'xmlns:trc="{TRC}" xmlns:trv="{TRV}" xmlns:tt="{TT}"'
SETUP_TIMEOUT = ClientTimeout(total=60)
SETUP_CONCURRENCY = 4  # SOAP requests in flight while creating the recordings
STOP_TIMEOUT = 180.0
METRIC = re.compile(r"^(onvif_recorder_\w+)(\{[^}]*\})? (\S+)$", re.MULTILINE)


# --- the recorder's process tree --------------------------------------------------------------

def process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it (parents read from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, ()))
    return tree


def tree_cpu(root: int) -> dict[int, float]:
    return {pid: process_cpu(pid) for pid in process_tree(root)}


def tree_rss_mb(root: int) -> float:
    total = 0
    for pid in process_tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE)
        total += int(found[1]) if found else 0
    return total / 1024


def write_config(path: Path, streams: int, workers: int) -> Path:
    path.write_text(
        "[limits]\n"
        f"max_recordings = {max(64, streams)}\n"
        f"max_recording_jobs = {max(128, streams)}\n"
        f"max_receivers = {max(128, streams)}\n"
        "[recording]\n"
        f"workers = {workers}\n"
        "segment_duration = 10.0\n")
    return path


def stop(recorder: RecorderProcess) -> float:
    """SIGINT (a clean shutdown: segments finished), wait; seconds it took."""
    process = recorder.process
    assert process is not None
    began = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"the recorder did not stop within {STOP_TIMEOUT:g} s after SIGINT: killed")
    recorder.kill9()  # reaps (and kills only if it is still there)
    return time.monotonic() - began


# --- SOAP: populate, metrics ------------------------------------------------------------------

def receiver_body(url: str, transport: str) -> str:
    protocol = "RTSP" if transport == "tcp" else "UDP"
    return (f"<trv:CreateReceiver {NAMESPACES}><trv:Configuration><tt:Mode>AutoConnect"
            f"</tt:Mode><tt:MediaUri>{url}</tt:MediaUri><tt:StreamSetup>"
            "<tt:Stream>RTP-Unicast</tt:Stream><tt:Transport>"
            f"<tt:Protocol>{protocol}</tt:Protocol></tt:Transport></tt:StreamSetup>"
            "</trv:Configuration></trv:CreateReceiver>")


def recording_body(number: int) -> str:
    return (f"<trc:CreateRecording {NAMESPACES}><trc:RecordingConfiguration><tt:Source>"
            f"<tt:SourceId>urn:uuid:00000000-0000-4000-8000-{number:012d}</tt:SourceId>"
            f"<tt:Name>Camera {number}</tt:Name><tt:Location/>"
            "<tt:Description>Benchmark camera</tt:Description><tt:Address/></tt:Source>"
            "<tt:Content/><tt:MaximumRetentionTime>PT0S</tt:MaximumRetentionTime>"
            "</trc:RecordingConfiguration></trc:CreateRecording>")


def job_body(recording: str, receiver: str) -> str:
    return (f"<trc:CreateRecordingJob {NAMESPACES}><trc:JobConfiguration>"
            f"<tt:RecordingToken>{recording}</tt:RecordingToken><tt:Mode>Active</tt:Mode>"
            "<tt:Priority>1</tt:Priority><tt:Source>"
            f'<tt:SourceToken Type="{TT}/Receiver"><tt:Token>{receiver}</tt:Token>'
            "</tt:SourceToken></tt:Source></trc:JobConfiguration></trc:CreateRecordingJob>")


async def create_one(session: ClientSession, base: str, camera: str, transport: str,
                     number: int) -> None:
    """A receiver, a recording and an Active job reading it."""
    answer = await post(session, f"{base}/onvif/receiver_service",
                        receiver_body(camera, transport))
    receiver = answer.findtext(f".//{{{TRV}}}Receiver/{{{TT}}}Token")
    answer = await post(session, f"{base}/onvif/recording_service", recording_body(number))
    recording = answer.findtext(f".//{{{TRC}}}RecordingToken")
    assert receiver and recording, "CreateReceiver or CreateRecording answered no token"
    await post(session, f"{base}/onvif/recording_service", job_body(recording, receiver))


async def populate(base: str, camera: str, transport: str, streams: int) -> None:
    """The first job alone until it records (gst-rtsp-server 1.22 can fail a shared media
    set up by many clients in the same instant), then the others, a few at a time."""
    async with ClientSession(timeout=SETUP_TIMEOUT) as session:
        await create_one(session, base, camera, transport, 0)
        await wait_active(session, base, 1, 20)
        gate = asyncio.Semaphore(SETUP_CONCURRENCY)

        async def gated(number: int) -> None:
            async with gate:
                await create_one(session, base, camera, transport, number)

        await asyncio.gather(*(gated(number) for number in range(1, streams)))
        await wait_active(session, base, streams, 30 + streams * 0.5)


async def metrics(session: ClientSession, base: str) -> dict[str, float]:
    """Every onvif_recorder_* sample of /metrics, summed over labels except ``state``."""
    async with session.get(f"{base}/metrics") as response:
        text = await response.text()
    totals: dict[str, float] = {}
    for name, labels, value in METRIC.findall(text):
        state = re.search(r'state="(\w+)"', labels or "")
        key = f"{name}:{state[1]}" if state and name.endswith(("_jobs", "_receivers")) else name
        totals[key] = totals.get(key, 0.0) + float(value)
    return totals


async def wait_active(session: ClientSession, base: str, streams: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (active := (await metrics(session, base)).get("onvif_recorder_jobs:Active", 0)) \
            < streams:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {active:.0f} of {streams} jobs Active after {seconds:g} s")
        await asyncio.sleep(1)


async def read_metrics(base: str) -> dict[str, float]:
    async with ClientSession(timeout=SETUP_TIMEOUT) as session:
        return await metrics(session, base)


# --- measuring --------------------------------------------------------------------------------

def soap_load(url: str, rate: float, duration: float) -> list[float]:
    """GetRecordings latencies (s) at ``rate`` for ``duration``: runs in a client process."""
    return asyncio.run(timed_requests("recording", url, rate, duration)).latencies


@dataclass
class Ours:
    transport: str
    streams: int
    seconds: float
    cpu: float
    worker_cpu: float
    frames: float
    lost_packets: float
    unwritten: float
    rss_total: float
    rss_growth: float
    latencies: list[float]
    camera_cpu: float
    busy: float
    segments: int = 0
    undecodable: int = 0
    stop_seconds: float = 0.0
    active_after: float = 0.0
    log_problems: int = 0
    """WARNING, ERROR and CRITICAL lines in the recorder's log."""

    def ms_per_stream_second(self) -> float:
        return self.cpu / (self.streams * self.seconds) * 1000

    def soap_ms(self, percent: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[percent - 1] * 1000


def delta(after: dict[str, float], before: dict[str, float], name: str) -> float:
    key = f"onvif_recorder_{name}"
    return after.get(key, 0.0) - before.get(key, 0.0)


def measure_window(recorder: RecorderProcess, camera: Camera, clients: ProcessPoolExecutor,
                   args: argparse.Namespace, transport: str, streams: int,
                   idle_rss: float) -> Ours:
    assert recorder.process is not None
    root = recorder.process.pid
    load = clients.submit(soap_load, recorder.service_url("recording"), args.rate, args.window)
    meter = Window(camera)
    before, cpu0 = asyncio.run(read_metrics(recorder.url)), tree_cpu(root)
    meter.start()
    time.sleep(args.window)
    seconds, camera_cpu, busy = meter.stop()
    cpu1, after = tree_cpu(root), asyncio.run(read_metrics(recorder.url))
    used = {pid: cpu - cpu0.get(pid, 0.0) for pid, cpu in cpu1.items()}
    rss = tree_rss_mb(root)
    latencies = load.result(timeout=args.window + 60)
    unwritten = (delta(after, before, "receiver_samples_received_total")
                 - delta(after, before, "recording_samples_written_total"))
    return Ours(transport, streams, seconds, sum(used.values()),
                sum(cpu for pid, cpu in used.items() if pid != root),
                delta(after, before, "recording_samples_written_total"),
                delta(after, before, "receiver_rtp_packets_lost_total"), unwritten,
                rss, (rss - idle_rss) / streams, latencies, camera_cpu, busy,
                active_after=after.get("onvif_recorder_jobs:Active", 0.0))


def ours(camera: Camera, pool: ProcessPoolExecutor, args: argparse.Namespace, work: Path,
         transport: str, streams: int) -> Ours:
    data = work / f"serve-{transport}-{streams}"
    config = write_config(work / f"config-{transport}-{streams}.toml", streams, args.workers)
    recorder = RecorderProcess(data, admin_user=USER, admin_password=PASSWORD,
                               startup_timeout=60, extra_args=("--config", str(config)))
    recorder.start()
    try:
        assert recorder.process is not None
        time.sleep(2)  # the worker processes start
        idle_rss = tree_rss_mb(recorder.process.pid)
        asyncio.run(populate(recorder.url, camera.url("/file"), transport, streams))
        time.sleep(args.warmup)
        result = measure_window(recorder, camera, pool, args, transport, streams, idle_rss)
    finally:
        result_stop = stop(recorder)
    result.stop_seconds = result_stop
    result.segments, failures = check_segments(data / "media", pool)
    result.undecodable = len(failures)
    result.log_problems = log_problems(recorder.log_path)
    for failure in failures[:10]:
        print(f"  undecodable: {failure}")
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    return result


def log_problems(log: Path) -> int:
    text = log.read_text(errors="replace") if log.exists() else ""
    problems = re.findall(r"^.*\b(?:WARNING|ERROR|CRITICAL)\b.*$", text, re.MULTILINE)
    for line in problems[:5]:
        print(f"  recorder log: {line[:200]}")
    return len(problems)


# --- report -----------------------------------------------------------------------------------

HEADER = (f"{'tr':4} {'N':>4} {'ours ms/s':>9} {'ffm ms/s':>9} {'ratio':>6} {'lost o/f':>11}"
          f" {'fps o/f':>11} {'MB/strm':>8} {'soap p50/p99 ms':>16} {'camera %':>9}"
          f" {'busy %':>7} {'segs bad':>9}")


def row(mine: Ours, theirs: Phase | None) -> str:
    ms = mine.ms_per_stream_second()
    lost = mine.lost_packets + max(0.0, mine.unwritten)
    fps = mine.frames / mine.seconds / mine.streams
    if theirs is None:
        ffm = ratio = "-"
        lost_text, fps_text = f"{lost:.0f}/-", f"{fps:.1f}/-"
    else:
        ffm, ratio = f"{theirs.per_stream:.2f}", f"{ms / theirs.per_stream:.2f}"
        lost_text = f"{lost:.0f}/{theirs.lost}"
        fps_text = f"{fps:.1f}/{theirs.frames / theirs.seconds / theirs.streams:.1f}"
    soap = f"{mine.soap_ms(50):.1f}/{mine.soap_ms(99):.1f}"
    camera = f"{mine.camera_cpu / mine.seconds * 100:.0f}"
    if theirs is not None:
        camera += f"/{theirs.camera_cpu / theirs.seconds * 100:.0f}"
    return (f"{mine.transport:4} {mine.streams:4d} {ms:9.2f} {ffm:>9} {ratio:>6}"
            f" {lost_text:>11} {fps_text:>11} {mine.rss_growth:8.2f} {soap:>16} {camera:>9}"
            f" {mine.busy * 100:7.0f} {mine.segments:>5d} {mine.undecodable:>3d}")


def details(mine: Ours) -> str:
    return (f"  ours: {mine.cpu:.2f} CPU s in {mine.seconds:.1f} s ({mine.worker_cpu:.2f} in "
            f"workers), {mine.active_after:.0f} jobs Active at the end, RTP lost "
            f"{mine.lost_packets:.0f}, received-not-written {mine.unwritten:.0f}, tree RSS "
            f"{mine.rss_total:.0f} MB ({mine.rss_total / mine.streams:.1f} per stream), "
            f"{len(mine.latencies)} GetRecordings, stop took {mine.stop_seconds:.1f} s, "
            f"{mine.log_problems} warnings in its log; "
            f"load average {os.getloadavg()[0]:.1f}")


# --- main -------------------------------------------------------------------------------------

def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--streams", default="1,10,50,100,200", help="comma-separated N values")
    parser.add_argument("--transports", default="tcp,udp")
    parser.add_argument("--workers", type=int, default=0, help="[recording] workers (0: per core)")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=5.0, help="GetRecordings per second")
    parser.add_argument("--skip-ffmpeg", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the recorders' data dirs")
    parser.add_argument("--work", type=Path, help="directory for data (default: temporary)")
    args = parser.parse_args()
    if not (0 < args.window <= 120 and 0 < args.rate <= 50 and args.rate * args.window >= 2):
        parser.error("window 0..120 s, rate ≤ 50/s, at least 2 requests")
    return args


def run(args: argparse.Namespace, work: Path) -> None:
    clip = make_clip(work, "4M", "1280x720")
    print(f"clip: 1280x720 H.264 at 4 Mbit/s, 25 fps, GOP 25; {args.warmup:g} s warm-up, "
          f"{args.window:g} s measured; workers {args.workers or os.cpu_count()}; "
          f"GetRecordings at {args.rate:g}/s; load average {os.getloadavg()[0]:.1f}")
    print(HEADER, flush=True)
    with Camera(clip=clip) as camera, \
            ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        list(pool.map(time.sleep, [0.5, 0.5]))  # both client processes started and imported
        for n in (int(value) for value in args.streams.split(",")):
            for transport in args.transports.split(","):
                mine = ours(camera, pool, args, work, transport, n)
                theirs = None if args.skip_ffmpeg else ffmpeg(
                    camera, n, transport, args.warmup, args.window, "segment")
                print(row(mine, theirs), flush=True)
                print(details(mine), flush=True)


def main() -> None:
    args = arguments()
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
        run(args, args.work)
        return
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as work:
        run(args, Path(work))


if __name__ == "__main__":
    main()
