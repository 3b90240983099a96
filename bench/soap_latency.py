"""SOAP latency under recording load: authenticated GetRecordings at a fixed request rate
while N streams record to local disk with a small fsync interval, against the same
requests to the same recorder while it records nothing (the same-run baseline).

Run on demand (never part of the test suite)::

    .venv/bin/python bench/soap_latency.py [--streams 30] [--rate 5] [--duration 40]
    BENCH_SLOW_CALLBACK=0.05 .venv/bin/python bench/soap_latency.py   # log loop stalls

The recorder (SOAP server and the production engine: ingest, recording tasks, local
storage, retention) runs in a child process with N recordings, each with a job on its own
receiver of the clip camera (tests/camera/clipcam.py, as bench/record.py feeds its
streams). Phase 1: the jobs are Idle and GetRecordings is timed (baseline). Then every
job is set Active (the first alone: gst-rtsp-server can fail a shared media that many
clients set up in the same instant); after ``--warmup`` the same requests are timed
again. A 10 ms ticker in
the recorder's event loop records how late each tick wakes up (event-loop lag). See
bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from aiohttp import ClientSession, web

from onvif_recorder.app import Services, build_app, build_services
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import (
    RECEIVER_SOURCE_TYPE,
    JobMode,
    JobSource,
    JobState,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.domain.receiver import (
    ReceiverConfiguration,
    ReceiverMode,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.domain.recording import RecordingConfiguration, RecordingSource
from onvif_recorder.engine.runtime import engine_context, engine_media_flow
from onvif_recorder.settings import Limits, RecorderSettings
from record import clip_camera, make_clip
from soap_throughput import (
    HOST,
    PASSWORD,
    REQUEST,
    REQUEST_TIMEOUT,
    SOAP_TYPE,
    USER,
    DigestSigner,
    challenges,
)

TICK = 0.010  # seconds between the recorder's event-loop lag probes
SIGNERS = 4  # Digest nonces, one request at a time each: requests may overlap when slow


@dataclass(frozen=True)
class Options:
    streams: int
    rate: float
    duration: float
    warmup: float
    segment: float
    fsync_interval: float
    clip: Path | None


@dataclass(frozen=True)
class Phase:
    name: str
    start: float  # time.monotonic() of the first scheduled request
    end: float
    latencies: list[float]  # seconds, from each request's scheduled send time

    def percentile_ms(self, percent: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[percent - 1] * 1000

    def max_ms(self) -> float:
        return max(self.latencies) * 1000


@dataclass(frozen=True)
class Lag:
    p99_ms: float
    max_ms: float

    @classmethod
    def over(cls, ticks: list[tuple[float, float]], start: float, end: float) -> Lag:
        lags = [lag for at, lag in ticks if start <= at < end]
        p99 = statistics.quantiles(lags, n=100, method="inclusive")[98]
        return cls(p99 * 1000, max(lags) * 1000)


# --------------------------------------------------------------------------- recorder (child)


def populate(services: Services, camera: str, streams: int) -> list[str]:
    """N recordings, each with an Idle job on its own AutoConnect receiver; job tokens."""
    jobs = []
    for number in range(streams):
        source = RecordingSource(f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
                                 f"Camera {number}", "", "Benchmark camera", camera)
        recording = services.recordings.create_recording(
            RecordingConfiguration(source, "", XsDuration.parse("PT0S")))
        receiver = services.receivers.create_receiver(ReceiverConfiguration(
            ReceiverMode.AUTO_CONNECT, camera, StreamType.RTP_UNICAST,
            Transport(TransportProtocol.RTSP)))
        reference = SourceReference(receiver.token, RECEIVER_SOURCE_TYPE)
        jobs.append(services.jobs.create_job(RecordingJobConfiguration(
            recording.token, JobMode.IDLE, 1, (JobSource(reference),))).token)
    return jobs


async def ticker(ticks: list[tuple[float, float]]) -> None:
    """Event-loop lag: how much later than asked each 10 ms sleep returns."""
    while True:
        before = time.monotonic()
        await asyncio.sleep(TICK)
        ticks.append((before, time.monotonic() - before - TICK))


async def activate(services: Services, jobs: list[str]) -> None:
    """Every job Active: the first alone until it records (at most 10 s), then the rest."""
    services.jobs.set_job_mode(jobs[0], JobMode.ACTIVE)
    for _ in range(100):
        if services.jobs.job_state(jobs[0]).state is JobState.ACTIVE:
            break
        await asyncio.sleep(0.1)
    for job in jobs[1:]:
        services.jobs.set_job_mode(job, JobMode.ACTIVE)


def debug_slow_callbacks() -> None:
    """BENCH_SLOW_CALLBACK=seconds: asyncio debug mode logs every callback that held the
    loop longer (what stalls it; debug mode costs CPU, so not for the figures)."""
    threshold = os.environ.get("BENCH_SLOW_CALLBACK")
    if threshold:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = float(threshold)


async def serve_recorder(conn: Connection, data: Path, camera: str, options: Options) -> None:
    debug_slow_callbacks()
    limits = Limits(max_recordings=max(64, options.streams),
                    max_recording_jobs=max(128, options.streams),
                    max_receivers=max(128, options.streams))
    settings = RecorderSettings(data_dir=data, limits=limits, segment_duration=options.segment,
                                fsync_interval=options.fsync_interval)
    media = engine_media_flow()
    services = build_services(settings, media)
    services.users.ensure_initial_administrator(USER, PASSWORD)
    jobs = populate(services, camera, options.streams)
    app = build_app(settings, services)
    app.cleanup_ctx.append(engine_context(settings, services.holder, services.events,
                                          services.engine, media))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    ticks: list[tuple[float, float]] = []
    probe = asyncio.create_task(ticker(ticks))
    conn.send(f"http://{HOST}:{runner.addresses[0][1]}/onvif/recording_service")
    loop = asyncio.get_running_loop()
    while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
        if command == "record":
            await activate(services, jobs)
        elif command == "active":
            conn.send(sum(services.jobs.job_state(job).state is JobState.ACTIVE
                          for job in jobs))
    probe.cancel()
    await runner.cleanup()  # the engine stops first: spans closed
    conn.send(ticks)


def recorder_child(conn: Connection, data: Path, camera: str, options: Options) -> None:
    asyncio.run(serve_recorder(conn, data, camera, options))


# --------------------------------------------------------------------------- load (parent)


async def timed_requests(name: str, url: str, rate: float, duration: float) -> Phase:
    """``rate`` x ``duration`` GetRecordings, each sent at its scheduled time (open loop)."""
    signers: asyncio.Queue[DigestSigner] = asyncio.Queue()
    for challenge in await challenges(url, SIGNERS):
        signers.put_nowait(DigestSigner(challenge))
    async with ClientSession(timeout=REQUEST_TIMEOUT) as session:
        start = time.monotonic() + 0.1
        requests = []
        for number in range(round(rate * duration)):
            at = start + number / rate
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            requests.append(asyncio.create_task(one_request(session, url, signers, at)))
        latencies = await asyncio.gather(*requests)
    return Phase(name, start, start + duration, list(latencies))


async def one_request(session: ClientSession, url: str, signers: asyncio.Queue[DigestSigner],
                      scheduled: float) -> float:
    signer = await signers.get()
    try:
        headers = {"Content-Type": SOAP_TYPE, "Authorization": signer.next()}
        async with session.post(url, data=REQUEST, headers=headers) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"{url} answered HTTP {response.status}")
        return time.monotonic() - scheduled
    finally:
        signers.put_nowait(signer)


def media_bytes(data: Path) -> tuple[int, int]:
    """Bytes and number of finished segment files under the recorder's media directory."""
    files = [p for p in (data / "media").rglob("*.mp4") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def run(options: Options, work: Path) -> None:
    clip = options.clip or make_clip(work)
    with clip_camera(clip) as camera:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        data = work / "recorder"
        process = context.Process(target=recorder_child, args=(child, data, camera, options))
        process.start()
        url = parent.recv()
        idle = asyncio.run(timed_requests("idle (baseline)", url, options.rate,
                                          options.duration))
        parent.send("record")
        began = time.monotonic()
        time.sleep(options.warmup)
        parent.send("active")
        active = parent.recv()
        busy = asyncio.run(timed_requests("recording", url, options.rate, options.duration))
        written = media_bytes(data)
        seconds = time.monotonic() - began
        parent.send("stop")
        ticks = parent.recv()
        process.join()
    report(options, [idle, busy], ticks, active, written, seconds)


def report(options: Options, phases: list[Phase], ticks: list[tuple[float, float]],
           active: int, written: tuple[int, int], seconds: float) -> None:
    fsync = ("every fragment" if options.fsync_interval <= 0
             else f"every {options.fsync_interval:g} s")
    print(f"{options.streams} streams (4 Mbit/s H.264 + AAC each), {options.segment:g} s "
          f"segments, fsync {fsync}; GetRecordings at {options.rate:g} req/s, "
          f"{options.duration:g} s per phase, loopback")
    print(f"{'':18}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'requests':>10}"
          f"{'loop lag p99 ms':>17}{'lag max ms':>12}")
    rows = []
    for phase in phases:
        lag = Lag.over(ticks, phase.start, phase.end)
        row = (phase.percentile_ms(50), phase.percentile_ms(99), phase.max_ms())
        rows.append(row)
        print(f"{phase.name:18}{row[0]:9.2f}{row[1]:9.2f}{row[2]:9.2f}"
              f"{len(phase.latencies):10d}{lag.p99_ms:17.2f}{lag.max_ms:12.2f}")
    idle, busy = rows
    print(f"{'ratio rec / idle':18}" + "".join(f"{b / i:9.2f}" for i, b in zip(idle, busy,
                                                                                strict=True)))
    size, files = written
    print(f"jobs Active when measuring: {active} of {options.streams}; written: "
          f"{size / 2**20:.0f} MB in {files} segments ({size / 2**20 / seconds:.1f} MB/s)",
          flush=True)
    if active < options.streams:
        print("NOT VALID: not every job was recording (camera or machine overloaded)")


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=30, help="recordings (1..100)")
    parser.add_argument("--rate", type=float, default=5.0, help="GetRecordings per second")
    parser.add_argument("--duration", type=float, default=40.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds of recording before measuring")
    parser.add_argument("--segment", type=float, default=2.0, help="segment duration, s")
    parser.add_argument("--fsync-interval", type=float, default=0.0,
                        help="storage fsync_interval, s (0: after every fragment)")
    parser.add_argument("--clip", type=Path, help="H.264 + AAC mp4 (default: encoded once)")
    args = parser.parse_args()
    if not (1 <= args.streams <= 100 and 0 < args.rate <= 100 and 0 < args.duration <= 60
            and args.rate * args.duration >= 20):
        parser.error("streams 1..100, rate ≤ 100/s, duration ≤ 60 s, at least 20 requests")
    return Options(args.streams, args.rate, args.duration, args.warmup, args.segment,
                   args.fsync_interval, args.clip)


def main() -> None:
    options = parse_options()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as work:
        run(options, Path(work))


if __name__ == "__main__":
    main()
