"""Memory over time: does normal recording reach a plateau? (issue 18 item 6)

Run on demand (never part of the test suite)::

    .venv/bin/python bench/rss_soak.py [--streams 10] [--minutes 60] [--warmup 5]

Two recorders run side by side for the same time, each in its own child process with the
SOAP server and the production engine (ingest, recording tasks, local storage, retention)
as ``onvif-recorder serve`` composes them, and N recordings, each with a job on its own
receiver of the clip camera (tests/camera/clipcam.py: a 4 Mbit/s H.264 + AAC clip looped
without re-encoding):

- **recording**: every job Active, segments written, retention (``--retention``) deleting
  the oldest, GetRecordings once a second over HTTP Digest;
- **idle** (the same-run baseline): the same configuration with every job Idle and the
  same GetRecordings load.

VmRSS of both is sampled every ``--interval`` seconds. After ``--warmup`` minutes the
report prints the RSS over time and the least-squares slope of each in MiB/min; a plateau
is a recording slope close to the idle one. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import statistics
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from aiohttp import ClientSession, web

from onvif_recorder.app import build_app, build_services
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import JobMode
from onvif_recorder.domain.recording import RecordingConfiguration
from onvif_recorder.engine.runtime import engine_context, engine_media_flow
from onvif_recorder.settings import Limits, RecorderSettings
from record import clip_camera, make_clip, rss_bytes
from soap_latency import activate, media_bytes, populate
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

MIB = 2**20


@dataclass(frozen=True)
class Options:
    streams: int
    minutes: float
    warmup: float
    interval: float
    segment: float
    retention: str
    clip: Path | None


@dataclass(frozen=True)
class Sample:
    minute: float
    recording: int
    idle: int


# --------------------------------------------------------------------------- recorders (children)


async def serve_recorder(conn: Connection, data: Path, camera: str, options: Options,
                         active: bool) -> None:
    limits = Limits(max_recordings=max(64, options.streams),
                    max_recording_jobs=max(128, options.streams),
                    max_receivers=max(128, options.streams))
    settings = RecorderSettings(data_dir=data, limits=limits, segment_duration=options.segment)
    media = engine_media_flow()
    services = build_services(settings, media)
    services.users.ensure_initial_administrator(USER, PASSWORD)
    jobs = populate(services, camera, options.streams)
    for recording in services.recordings.recordings():
        source = recording.configuration.source
        services.recordings.set_recording_configuration(recording.token, RecordingConfiguration(
            source, "", XsDuration.parse(options.retention)))
    app = build_app(settings, services)
    app.cleanup_ctx.append(engine_context(settings, services.holder, services.events,
                                          services.engine, media))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    if active:
        await activate(services, jobs)
    conn.send(f"http://{HOST}:{runner.addresses[0][1]}/onvif/recording_service")
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
    modes = [services.jobs.job_state(job).state.value for job in jobs]
    await runner.cleanup()
    conn.send(modes if active else [JobMode.IDLE.value] * len(jobs))


def recorder_child(conn: Connection, data: Path, camera: str, options: Options,
                   active: bool) -> None:
    asyncio.run(serve_recorder(conn, data, camera, options, active))


# --------------------------------------------------------------------------- load and sampling


async def soap_load(urls: list[str], stop: asyncio.Event) -> int:
    """GetRecordings once a second to each recorder, Digest-authenticated; failures."""
    failures = 0
    signers = [DigestSigner((await challenges(url, 1))[0]) for url in urls]
    async with ClientSession(timeout=REQUEST_TIMEOUT) as session:
        while not stop.is_set():
            for url, signer in zip(urls, signers, strict=True):
                headers = {"Content-Type": SOAP_TYPE, "Authorization": signer.next()}
                async with session.post(url, data=REQUEST, headers=headers) as response:
                    await response.read()
                    failures += response.status != 200
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
    return failures


async def sample_rss(pids: tuple[int, int], options: Options) -> tuple[list[Sample], int]:
    stop = asyncio.Event()
    samples: list[Sample] = []
    began = time.monotonic()
    load = asyncio.create_task(soap_load(URLS, stop))
    while (elapsed := time.monotonic() - began) < options.minutes * 60:
        samples.append(Sample(elapsed / 60, rss_bytes(pids[0]), rss_bytes(pids[1])))
        print(f"{elapsed / 60:6.1f} min  recording {samples[-1].recording / MIB:7.1f} MiB  "
              f"idle {samples[-1].idle / MIB:7.1f} MiB", flush=True)
        await asyncio.sleep(options.interval)
    stop.set()
    return samples, await load


URLS: list[str] = []


def slope_mib_per_min(points: list[tuple[float, int]]) -> float:
    minutes = [m for m, _ in points]
    mib = [b / MIB for _, b in points]
    return statistics.linear_regression(minutes, mib).slope


def report(options: Options, samples: list[Sample], failures: int,
           states: list[str]) -> None:
    settled = [s for s in samples if s.minute >= options.warmup]
    print(f"\n{options.streams} streams of 4 Mbit/s H.264 + AAC, {options.minutes:g} min, "
          f"{options.segment:g} s segments, retention {options.retention}; "
          f"GetRecordings 1/s to each recorder ({failures} failed)")
    print(f"{'minute':>7}{'recording MiB':>15}{'idle MiB':>10}")
    step = max(1, round(5 * 60 / options.interval))
    for sample in samples[::step] + samples[-1:]:
        print(f"{sample.minute:7.1f}{sample.recording / MIB:15.1f}{sample.idle / MIB:10.1f}")
    if len(settled) >= 2:
        rec = slope_mib_per_min([(s.minute, s.recording) for s in settled])
        idle = slope_mib_per_min([(s.minute, s.idle) for s in settled])
        half = len(settled) // 2
        first = statistics.mean(s.recording for s in settled[:half]) / MIB
        second = statistics.mean(s.recording for s in settled[half:]) / MIB
        print(f"after {options.warmup:g} min warm-up: slope recording {rec:+.3f} MiB/min, "
              f"idle {idle:+.3f} MiB/min; mean RSS first half {first:.1f} MiB, "
              f"second half {second:.1f} MiB ({second - first:+.1f})")
    print(f"job states at the end (recording, then idle): {states}")


def run(options: Options, work: Path) -> None:
    clip = options.clip or make_clip(work)
    with clip_camera(clip) as camera:
        context = multiprocessing.get_context("spawn")
        children = []
        for name, active in (("recording", True), ("idle", False)):
            parent, child = context.Pipe()
            process = context.Process(target=recorder_child,
                                      args=(child, work / name, camera, options, active))
            process.start()
            URLS.append(parent.recv())
            children.append((parent, process))
        pids = (children[0][1].pid or 0, children[1][1].pid or 0)
        samples, failures = asyncio.run(sample_rss(pids, options))
        size, files = media_bytes(work / "recording")
        print(f"on disk at the end (retention applied): {size / MIB:.0f} MiB in {files} segments")
        states: list[str] = []
        for parent, process in children:
            parent.send("stop")
            states += parent.recv()
            process.join()
    report(options, samples, failures, states)


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=60.0, help="measured minutes")
    parser.add_argument("--warmup", type=float, default=5.0, help="minutes not in the slope")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--segment", type=float, default=10.0, help="segment duration, s")
    parser.add_argument("--retention", default="PT10M",
                        help="MaximumRetentionTime of every recording (keeps the disk bounded)")
    parser.add_argument("--clip", type=Path, help="H.264 + AAC mp4 (default: encoded once)")
    args = parser.parse_args()
    return Options(args.streams, args.minutes, args.warmup, args.interval, args.segment,
                   args.retention, args.clip)


def main() -> None:
    options = parse_options()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as work:
        run(options, Path(work))


if __name__ == "__main__":
    main()
