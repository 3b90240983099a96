"""The bytes a recording writes, pinned: a fixed input through the engine's recording path
(``SampleQueue`` → ``RecordingTask`` → ``Segmenter`` → ``LocalSink`` → files) and through
the ``Segmenter`` alone (CMAF, and the ``trun`` layouts a camera rarely sends) must give
exactly the bytes the reference implementation gave. The SHA-256 values were taken from
the code before the per-sample path was optimised (issue 11 item 3); any change of a
single byte fails here, so optimisations stay pure refactorings. (What those bytes mean
is checked elsewhere: golden box dumps, decode tests with PyAV.)"""

from __future__ import annotations

import asyncio
import hashlib
import random
from dataclasses import replace
from pathlib import Path

from onvif_recorder.codecs import h264
from onvif_recorder.codecs.aac import parse_audio_specific_config
from onvif_recorder.domain.job import JobTrack
from onvif_recorder.domain.recording import TrackType
from onvif_recorder.engine.recording_task import RecordingTask, TaskSettings
from onvif_recorder.engine.samples import SampleQueue
from onvif_recorder.engine.storage_writer import StorageThread
from onvif_recorder.ingest.items import MediaSample, SessionEnded, SessionStarted, StreamInfo
from onvif_recorder.mp4.events import FragmentWritten, SegmentClosed, SegmentOpened
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig
from onvif_recorder.recording.flow import FlowTracker
from onvif_recorder.recording.plan import Feed, RecordingPlan
from onvif_recorder.rtp.depacketize.base import AacConfig, H264Config
from onvif_recorder.rtp.stream import ReceivedSample
from onvif_recorder.rtp.timing import ClockSource
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.segment_index import SegmentIndex
from tests.unit.mp4 import media

ENGINE_FILES = "4c3646e32064aa14bdb05f685c6b6f1f390ad934ddd1f1fd560216a078871c49"
MP4_EVENTS = "f23ac322fc9a07f7fcdcfb7bd2f7993e23595ed6c969ae4a74b894b4154d2cdc"
CMAF_EVENTS = "1e67784fc6e8dadfb4b3962cfedd1d6f657f23d4b50841162f4815037e9bece5"

STREAMS = (StreamInfo(0, TrackType.VIDEO, "H264", 90_000, 1, {}, "stream=0"),
           StreamInfo(1, TrackType.AUDIO, "MPEG4-GENERIC", 48_000, 1, {}, "stream=1"))


def received(units: tuple[bytes, ...], ticks: int, rate: int, sync: bool, utc: float,
             config: object, first: bool) -> ReceivedSample:
    return ReceivedSample(units=units, pts=ticks, dts=ticks, clock_rate=rate, sync=sync,
                          utc=utc, clock_source=ClockSource.RTCP, config=config,
                          config_changed=first)


def received_samples(seconds: float = 12.0) -> list[MediaSample]:
    """H.264 (25 fps, IDR every second, jittered arrival clock) and AAC, in arrival order."""
    rng = random.Random(11)
    nals = [n for unit in media.h264_access_units() for n in unit]
    sps, pps = (next(n for n in nals if h264.nal_type(n) == kind) for kind in (7, 8))
    heads = {kind: next(n for n in nals if h264.nal_type(n) == kind)[:64] for kind in (1, 5)}
    video_config = H264Config(sps, pps, h264.parse_sps(sps))
    aac = media.aac_frames()
    audio_config = AacConfig(aac.config, parse_audio_specific_config(aac.config))
    timed: list[tuple[float, int, ReceivedSample]] = []
    for index in range(int(seconds * 25)):
        sync = index % 25 == 0
        body = heads[5 if sync else 1] + rng.randbytes(rng.randrange(200, 3000))
        utc = media.T0 + index / 25 + rng.uniform(-0.002, 0.002)
        ticks = 1_000_000 + index * 3600 + rng.choice((-1, 0, 0, 1))
        units = (sps, pps, body) if sync else (body,)
        timed.append((utc, 0, received(units, ticks, 90_000, sync, utc, video_config,
                                       index == 0)))
    for index in range(int(seconds * 48_000 / 1024)):
        ticks = 5000 + index * 1024
        utc = media.T0 + 0.01 + index * 1024 / 48_000
        timed.append((utc, 1, received((rng.randbytes(rng.randrange(100, 400)),), ticks,
                                       48_000, True, utc, audio_config, index == 0)))
    timed.sort(key=lambda t: (t[0], t[1]))
    return [MediaSample(1, index, sample, utc) for utc, index, sample in timed]


class Source:
    def __init__(self) -> None:
        self.queue = SampleQueue(max_items=100_000, max_bytes=2**30)

    def subscribe(self, token: str) -> SampleQueue:
        return self.queue

    def unsubscribe(self, token: str, queue: SampleQueue) -> None:
        queue.close()


async def record_files(directory: Path) -> dict[str, bytes]:
    storage = LocalStorage(directory / "media", SegmentIndex(directory / "index.sqlite"))
    source, thread = Source(), StorageThread()
    feed = Feed("Job", "Receiver", (JobTrack("Video", "VIDEO001"), JobTrack("Audio", "AUDIO001")))
    plan = RecordingPlan("Recording", (("VIDEO001", 1), ("AUDIO001", 2)), 4.0, 0.0, (feed,))
    task = RecordingTask(plan, storage, FlowTracker(), source, TaskSettings(), thread)
    task.update(plan)
    source.queue.put(SessionStarted("Receiver", 1, "rtsp://camera", STREAMS))
    for number, sample in enumerate(received_samples()):
        source.queue.put(sample)
        if number % 3 == 0:  # readers see batches of several sizes
            await asyncio.sleep(0)
    source.queue.put(SessionEnded(1, None))
    for _ in range(1000):  # loop turns until the reader took everything
        if not source.queue:
            break
        await asyncio.sleep(0)
    await task.stop()
    thread.close()
    storage.index.close()
    root = directory / "media"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def digest(parts: list[bytes]) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()


async def test_engine_writes_the_reference_bytes(tmp_path: Path) -> None:
    files = await record_files(tmp_path)
    assert sum(name.endswith(".mp4") for name in files) == 3
    assert digest([n.encode() + data for n, data in files.items()]) == ENGINE_FILES


def tricky_streams() -> tuple[list[TrackInfo], list[TrackSample]]:
    """Every ``trun`` layout: a 2 s GOP cut into 0.5 s fragments (fragments starting with
    a non-sync sample, a sync sample inside: per-sample flags), composition offsets,
    irregular durations, uniform audio, sparse metadata."""
    video, samples = media.h264_track(1)
    video_samples = [replace(s, sync=index % 50 == 0,
                             dts=s.dts + (index % 3) * 7,
                             pts=s.dts + (index % 3) * 7 + (0 if index % 50 == 0 else 7200))
                     for index, s in enumerate(samples + [
                         replace(s, dts=s.dts + 180_000, pts=s.pts + 180_000,
                                 utc=s.utc + 2.0) for s in samples])]
    audio, audio_samples = media.aac_track(2, offset=0.01)
    meta, meta_samples = media.metadata_track(3, every=0.3, seconds=4.0)
    return [video, audio, meta], media.merge(video_samples, audio_samples, meta_samples)


def segmenter_bytes(config: SegmenterConfig) -> str:
    tracks, samples = tricky_streams()
    segmenter = Segmenter(tracks, config)
    events = [e for s in samples for e in segmenter.push(s)] + segmenter.close()
    parts = [e.header if isinstance(e, SegmentOpened) else
             e.data if isinstance(e, FragmentWritten) else e.trailer
             for e in events if isinstance(e, SegmentOpened | FragmentWritten | SegmentClosed)]
    assert len(parts) > 10
    return digest(parts)


def test_mp4_segmenter_gives_the_reference_bytes() -> None:
    assert segmenter_bytes(SegmenterConfig(format=Brand.MP4, segment_duration=1.0,
                                           fragment_duration=0.5)) == MP4_EVENTS


def test_cmaf_segmenter_gives_the_reference_bytes() -> None:
    assert segmenter_bytes(SegmenterConfig(format=Brand.CMAF, segment_duration=1.0,
                                           fragment_duration=0.5)) == CMAF_EVENTS
