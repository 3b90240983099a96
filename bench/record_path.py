"""The recording side alone (issue 11 item 3): sample queues to segment files, no sockets.

Run on demand (never part of the test suite)::

    .venv/bin/python bench/record_path.py [--streams 10] [--seconds 120] [--rounds 3]
    .venv/bin/python bench/record_path.py --profile /tmp/path.prof   # cProfile, both threads

The engine's own objects on a temporary directory: per stream one ``SampleQueue``, one
``RecordingTask`` (its reader task, routing, parameter checks, ``Segmenter``, fragment
encoding), a ``LocalStorage`` with its SQLite segment index, and the one
``StorageThread`` writing the files (``fsync`` every 5 s, rename, index rows), as the
recording supervisor composes them. Only ingest is replaced: synthetic ``MediaSample``s
at camera rates (H.264 at ``--video-kbit``, 25 fps, an IDR every second: the committed
clip's SPS, PPS and slice heads, then random bytes; AAC 48 kHz at 128 kbit/s, ~47
frames/s) are put into the queues in arrival order, ``--tick`` seconds of media per
stream at a time, with one loop turn after each tick so every reader wakes as often as
it would behind a live receiver (at 10 streams a reader wakes about once per sample).
Media time runs as fast as the CPU allows.

CPU is user + system time of the process (``os.times``: every thread, the loop and the
storage thread; system time is mostly the kernel copying the files' bytes) from the
first sample put to the last file finished; the figure is CPU seconds per stream-second
of media, comparable with ``record.py``'s. Each round starts a fresh directory; the
fastest round counts.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.unit.mp4 import media

from onvif_recorder.codecs import h264
from onvif_recorder.codecs.aac import parse_audio_specific_config
from onvif_recorder.domain.job import JobTrack
from onvif_recorder.domain.recording import TrackType
from onvif_recorder.engine.recording_task import RecordingTask, TaskSettings
from onvif_recorder.engine.samples import SampleQueue
from onvif_recorder.engine.storage_writer import StorageThread
from onvif_recorder.ingest.items import MediaSample, SessionEnded, SessionStarted, StreamInfo
from onvif_recorder.mp4.model import TrackSample
from onvif_recorder.recording.flow import FlowTracker
from onvif_recorder.recording.plan import Feed, RecordingPlan
from onvif_recorder.rtp.depacketize.base import AacConfig, H264Config
from onvif_recorder.rtp.stream import ReceivedSample
from onvif_recorder.rtp.timing import ClockSource
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.segment_index import SegmentIndex
from onvif_recorder.storage.sink import LocalSink

FPS = 25
AAC_FRAME = 1024
AAC_RATE = 48_000
T0 = 1_700_000_000.0
STREAMS = (StreamInfo(0, TrackType.VIDEO, "H264", 90_000, 1, {}, "stream=0"),
           StreamInfo(1, TrackType.AUDIO, "MPEG4-GENERIC", AAC_RATE, 1, {}, "stream=1"))
JOB_TRACKS = (JobTrack("Video", "VIDEO001"), JobTrack("Audio", "AUDIO001"))


def _received(units: tuple[bytes, ...], ticks: int, rate: int, sync: bool, utc: float,
              config: object, first: bool) -> ReceivedSample:
    return ReceivedSample(units=units, pts=ticks, dts=ticks, clock_rate=rate, sync=sync,
                          utc=utc, clock_source=ClockSource.RTCP, config=config,
                          config_changed=first)


def one_stream(seconds: float, video_kbit: int) -> list[MediaSample]:
    """One camera's samples in arrival order (shared by every stream: ingest hands each
    receiver its own objects, but the recording side never mutates them)."""
    units = media.h264_access_units()
    nals = [n for unit in units for n in unit]
    sps, pps = (next(n for n in nals if h264.nal_type(n) == kind) for kind in (7, 8))
    video_config = H264Config(sps, pps, h264.parse_sps(sps))
    aac = media.aac_frames()
    audio_config = AacConfig(aac.config, parse_audio_specific_config(aac.config))
    heads = {kind: next(n for n in nals if h264.nal_type(n) == kind)[:64] for kind in (1, 5)}
    frame_bytes = video_kbit * 1000 // 8 // FPS
    timed: list[tuple[float, int, ReceivedSample]] = []
    for index in range(int(seconds * FPS)):
        sync = index % FPS == 0
        body = heads[5 if sync else 1] + os.urandom(frame_bytes * (3 if sync else 1))
        utc = T0 + index / FPS
        au = (sps, pps, body) if sync else (body,)
        timed.append((utc, 0, _received(au, index * 90_000 // FPS, 90_000, sync, utc,
                                        video_config, index == 0)))
    audio_bytes = 128_000 // 8 * AAC_FRAME // AAC_RATE
    for index in range(int(seconds * AAC_RATE / AAC_FRAME)):
        ticks = index * AAC_FRAME
        utc = T0 + ticks / AAC_RATE
        timed.append((utc, 1, _received((os.urandom(audio_bytes),), ticks, AAC_RATE, True,
                                        utc, audio_config, index == 0)))
    timed.sort(key=lambda t: (t[0], t[1]))
    return [MediaSample(1, media_index, sample, utc) for utc, media_index, sample in timed]


class QueueSource:
    """The ``SampleSource`` the tasks subscribe to: one queue per receiver token."""

    def __init__(self) -> None:
        self.queues: dict[str, SampleQueue] = {}

    def subscribe(self, token: str) -> SampleQueue:
        queue = self.queues[token] = SampleQueue(max_items=100_000, max_bytes=2**30)
        return queue

    def unsubscribe(self, token: str, queue: SampleQueue) -> None:
        queue.close()


def plan(number: int, segment_duration: float) -> RecordingPlan:
    feed = Feed(f"Job{number}", f"Receiver{number}", JOB_TRACKS)
    return RecordingPlan(f"Recording{number}", (("VIDEO001", 1), ("AUDIO001", 2)),
                         segment_duration, 0.0, (feed,))


async def drained(queues: list[SampleQueue]) -> None:
    """Give the loop turns until every reader took what its queue held."""
    await asyncio.sleep(0)
    for _ in range(1_000_000):
        if not any(queues):
            return
        await asyncio.sleep(0)


async def record(directory: Path, streams: int, samples: list[MediaSample], tick: float,
                 thread: StorageThread, segment_duration: float) -> tuple[tuple[float, float], int]:
    """Push ``samples`` to ``streams`` recordings; returns ((user, system) CPU s, segments)."""
    storage = LocalStorage(directory / "media", SegmentIndex(directory / "index.sqlite"))
    source = QueueSource()
    tasks = [RecordingTask(plan(n, segment_duration), storage, FlowTracker(), source,
                           TaskSettings(), thread) for n in range(streams)]
    for task in tasks:
        task.update(task.plan)
    await asyncio.sleep(0)  # the readers subscribe
    queues = list(source.queues.values())
    start = os.times()
    for token, queue in source.queues.items():
        queue.put(SessionStarted(token, 1, "rtsp://bench", STREAMS))
    position = 0
    while position < len(samples):
        until = samples[position].arrival_utc + tick
        end = position
        while end < len(samples) and samples[end].arrival_utc < until:
            end += 1
        for queue in queues:
            for item in samples[position:end]:
                queue.put(item)
        position = end
        await drained(queues)
    for queue in queues:
        queue.put(SessionEnded(1, None))
    await drained(queues)
    await asyncio.gather(*(task.stop() for task in tasks))
    finish = os.times()
    used = (finish.user - start.user, finish.system - start.system)
    segments = sum(task.stats.segments for task in tasks)
    storage.index.close()
    return used, segments


STAGES = ("queues", "routing", "muxing", "files")
"""Where ``--upto`` ends the path: ``queues``: readers take samples and drop them (sample
queues, reader wakeups, this driver); ``routing``: and turn them into ``TrackSample``s
(routing, parameter checks, ``sample_data``); ``muxing``: and mux them (``Segmenter``,
fragment encoding, handing events to the storage thread, whose calls do nothing);
``files``: everything (the default). Differences between stages attribute the cost."""


def end_after(stage: str) -> None:
    """Replace what follows ``stage`` with nothing (a benchmark-only patch)."""
    if stage in ("queues", "routing", "muxing"):
        LocalSink.handle = lambda sink, events: []  # type: ignore[method-assign, assignment]
    if stage in ("queues", "routing"):
        def count(task: RecordingTask, sample: TrackSample) -> None:
            task.stats.samples += 1
        RecordingTask._push = count  # type: ignore[method-assign, assignment]
    if stage == "queues":
        RecordingTask._sample = lambda task, feed, item: None  # type: ignore[method-assign, assignment]


def run_round(streams: int, samples: list[MediaSample], tick: float, segment: float,
              base: str | None, profiles: tuple[cProfile.Profile, cProfile.Profile] | None
              ) -> tuple[tuple[float, float], int]:
    thread = StorageThread()
    if profiles is not None:
        # the storage thread's work, too: one profiler enabled on that thread
        thread._executor = ThreadPoolExecutor(1, initializer=profiles[1].enable)
    with tempfile.TemporaryDirectory(dir=base) as directory:
        if profiles is not None:
            profiles[0].enable()
        try:
            return asyncio.run(record(Path(directory), streams, samples, tick, thread,
                                      segment))
        finally:
            if profiles is not None:
                profiles[0].disable()
            thread.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0, help="media seconds per stream")
    parser.add_argument("--video-kbit", type=int, default=4000)
    parser.add_argument("--tick", type=float, default=0.02,
                        help="media seconds put into each queue per loop turn")
    parser.add_argument("--segment", type=float, default=10.0, help="segment duration, s")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where the temporary directories go")
    parser.add_argument("--profile", default=None, help="write cProfile stats here")
    parser.add_argument("--upto", choices=STAGES, default="files",
                        help="attribution: the path ends after this stage (see STAGES)")
    args = parser.parse_args()
    end_after(args.upto)
    samples = one_stream(args.seconds, args.video_kbit)
    # wall-clock timers (a CPU-time timer costs a system call per event and distorts
    # more): profile on a tmpfs (--dir /dev/shm) so that disk waits do not count
    profiles = (cProfile.Profile(), cProfile.Profile()) if args.profile else None
    results = [run_round(args.streams, samples, args.tick, args.segment, args.dir, profiles)
               for _ in range(1 if profiles else args.rounds)]
    (user, system), segments = min(results, key=lambda r: sum(r[0]))
    best = user + system
    stream_seconds = args.streams * args.seconds
    per_second = len(samples) / args.seconds
    print(f"{args.streams} streams x {args.seconds:.0f} s, {per_second:.1f} samples/s each, "
          f"{segments} segments; CPU per round: "
          + ", ".join(f"{sum(used):.3f} s" for used, _ in results))
    print(f"recording side: {1000 * best / stream_seconds:.3f} ms CPU per stream-second "
          f"({1e6 * best / (stream_seconds * per_second):.1f} µs per sample; user "
          f"{1000 * user / stream_seconds:.3f} + system {1000 * system / stream_seconds:.3f})")
    if profiles is not None and args.profile:
        stats = pstats.Stats(profiles[0])
        stats.add(profiles[1])
        stats.dump_stats(args.profile)
        stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
