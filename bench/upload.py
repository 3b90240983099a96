"""Upload throughput to object storage: N recordings' segments from the spool to a store.

Builds MP4 segments once with the real segmenter from the test fixtures (H.264 640x360
+ AAC, looped to ``--segment-seconds`` per segment), writes ``--segments`` of them for
each of ``--recordings`` recordings into a fresh upload spool through ``ObjectSink``
(as the recording engine does, each recording with its own key prefix), then starts
the ``UploadManager`` and times it until the spool is empty. The stores run in their
own processes (``moto_server``; Azurite's ``azurite-blob``), so this process's CPU time
is the recorder's cost: reading spool files, signing, HTTP, journal updates.

    .venv/bin/python bench/upload.py --store both --recordings 8 --segments 20
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
from botocore.exceptions import BotoCoreError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.object_peers import ACCESS_KEY, BUCKET, SECRET_KEY, Azurite, MotoS3  # noqa: E402
from tests.unit.mp4 import media  # noqa: E402

from onvif_recorder.domain.storage import StorageConfigurationData, UserCredential  # noqa: E402
from onvif_recorder.engine.uploads import UploadManager, UploadSettings  # noqa: E402
from onvif_recorder.mp4.events import Event, SegmentClosed  # noqa: E402
from onvif_recorder.mp4.init_segment import Brand  # noqa: E402
from onvif_recorder.mp4.model import TrackSample  # noqa: E402
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig  # noqa: E402
from onvif_recorder.persistence.sqlite_store import SqliteStore  # noqa: E402
from onvif_recorder.storage.object_key import KeyLayout  # noqa: E402
from onvif_recorder.storage.object_sink import ObjectSink  # noqa: E402
from onvif_recorder.storage.upload_queue import UploadSpool  # noqa: E402


def looped(samples: list[TrackSample], clock_rate: int, loops: int) -> Iterator[TrackSample]:
    """One track's fixture samples ``loops`` times, each loop shifted by its length."""
    step = samples[1].dts - samples[0].dts
    ticks = samples[-1].dts - samples[0].dts + step
    for n in range(loops):
        for s in samples:
            yield dataclasses.replace(s, dts=s.dts + n * ticks, pts=s.pts + n * ticks,
                                      utc=s.utc + n * ticks / clock_rate)


def segment_events(segment_seconds: float, count: int) -> list[Event]:
    """One MP4 span of ``count`` segments of about ``segment_seconds`` each."""
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2)
    loops = int(segment_seconds * count / 2.0) + 2
    samples = sorted([*looped(video_samples, video.clock_rate, loops),
                      *looped(audio_samples, audio.clock_rate, loops)],
                     key=lambda s: (s.utc, s.track_id))
    config = SegmenterConfig(format=Brand.MP4, segment_duration=segment_seconds)
    segmenter = Segmenter([video, audio], config)
    events: list[Event] = []
    for sample in samples:
        events += segmenter.push(sample)
        if sum(isinstance(e, SegmentClosed) for e in events) >= count:
            break
    return events + segmenter.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_process() -> Iterator[StorageConfigurationData]:
    """``moto_server`` in its own process, with the bucket created."""
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H",
                               "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        peer = MotoS3()
        peer.port = port
        deadline = time.monotonic() + 15
        while True:
            try:
                asyncio.run(peer._create_bucket())
                break
            except (OSError, BotoCoreError, aiohttp.ClientError):  # not up yet: poll again
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield StorageConfigurationData("ObjectStorageS3", storage_uri=f"{peer.endpoint}/{BUCKET}",
                                       user=UserCredential(ACCESS_KEY, SECRET_KEY))
    finally:
        server.terminate()
        server.wait(10)


@contextmanager
def azurite_process(workdir: Path) -> Iterator[StorageConfigurationData]:
    with Azurite(workdir) as peer:
        yield StorageConfigurationData("ObjectStorageAzure", storage_uri=peer.container_uri,
                                       user=UserCredential("", peer.sas()))


def fill(spool: UploadSpool, events: list[Event], recordings: int) -> tuple[int, int]:
    for n in range(recordings):
        sink = ObjectSink(spool, f"Recording_{n}", "bench", KeyLayout(f"bench/r{n}"), {})
        sink.handle(events)
    row = spool.connection.execute("SELECT COUNT(*), SUM(size) FROM uploads").fetchone()
    return int(row[0]), int(row[1])


async def drain(spool: UploadSpool, data: StorageConfigurationData,
                concurrency: int) -> tuple[float, float]:
    manager = UploadManager(spool, lambda _: data, UploadSettings(concurrency=concurrency))
    cpu, wall = time.process_time(), time.perf_counter()
    await manager.start()
    async with asyncio.timeout(600):
        await manager.drained()
    result = time.perf_counter() - wall, time.process_time() - cpu
    await manager.stop()
    return result


def run(store: str, args: argparse.Namespace, events: list[Event]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        SqliteStore(root / "db.sqlite3").close()
        spool = UploadSpool(root / "spool", root / "db.sqlite3", max_bytes=1 << 40)
        objects, size = fill(spool, events, args.recordings)
        peer = moto_process() if store == "moto" else azurite_process(root / "azurite")
        with peer as data:
            wall, cpu = asyncio.run(drain(spool, data, args.concurrency))
        spool.close()
    mb = size / 1e6
    return {"store": store, "objects": objects, "MB": round(mb, 1), "seconds": round(wall, 2),
            "objects/s": round(objects / wall, 1), "MB/s": round(mb / wall, 1),
            "cpu_s": round(cpu, 2), "cpu_ms_per_MB": round(cpu * 1000 / mb, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", choices=("moto", "azurite", "both"), default="both")
    parser.add_argument("--recordings", type=int, default=8)
    parser.add_argument("--segments", type=int, default=20, help="per recording")
    parser.add_argument("--segment-seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=4, help="spans in flight")
    args = parser.parse_args()
    events = segment_events(args.segment_seconds, args.segments)
    stores = ("moto", "azurite") if args.store == "both" else (args.store,)
    for store in stores:
        print(run(store, args, events), flush=True)


if __name__ == "__main__":
    main()
