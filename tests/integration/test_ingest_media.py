"""Receivers against the real test camera: every codec over RTP/UDP and interleaved TCP,
with and without Digest authentication; sample counts, timing and stream parameters.

All receivers of a camera run at once (one collection of a few seconds per module), so
each test below only checks what was collected. The first receiver of each mount connects
before the others: gst-rtsp-server 1.22 sometimes leaves the second stream of a shared
media without data when a TCP and a UDP client set it up at the same moment (both clients
then get video only, from the camera; one at a time it never happens).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.engine.receiver_task import ReceiverTask
from onvif_recorder.engine.samples import SampleFanout
from onvif_recorder.ingest.items import MediaSample, SessionEnded
from onvif_recorder.rtp.depacketize.base import (
    AacConfig,
    G711Config,
    H264Config,
    H265Config,
    MetadataConfig,
)
from onvif_recorder.rtp.timing import ClockSource
from tests.camera import Camera
from tests.integration.ingest_support import QUICK, Collector, RecordedEvents, receiver

pytestmark = pytest.mark.slow

CASES = [("/h264", "tcp"), ("/h264", "udp"), ("/h264-sep", "tcp"), ("/av", "tcp"),
         ("/av", "udp"), ("/h265", "tcp"), ("/h265", "udp"), ("/meta", "tcp"),
         ("/meta", "udp"), ("/pcmu", "udp")]
VIDEO_CASES = CASES
AUDIO = 1
MIN_SECONDS = 4.0
MAX_SECONDS = 15.0


@dataclass
class Run:
    task: ReceiverTask
    collector: Collector
    events: RecordedEvents
    teardowns: list[str]

    def video(self) -> list[MediaSample]:
        return self.collector.samples(0)

    def ready(self) -> bool:
        """Enough seconds of video, and an RTCP-derived clock on every stream."""
        video = self.video()
        if len(video) < 2 or video[-1].arrival_utc - video[0].arrival_utc < MIN_SECONDS:
            return False
        indexes = {i.media_index for i in self.collector.sessions()[0].streams}
        return all(self.collector.samples(i)
                   and self.collector.samples(i)[-1].sample.clock_source is ClockSource.RTCP
                   for i in indexes)


async def receive(camera: Camera, cases: list[tuple[str, str]], user: str | None = None,
                  password: str | None = None) -> dict[tuple[str, str], Run]:
    events, arrived = RecordedEvents(), asyncio.Event()
    runs: dict[tuple[str, str], Run] = {}
    first = {mount: (mount, transport) for mount, transport in reversed(cases)}
    for wave in (list(first.values()), [c for c in cases if c not in first.values()]):
        for mount, transport in wave:
            fanout = SampleFanout()
            collector = Collector(fanout.subscribe(max_items=100_000), arrived=arrived).start()
            task = ReceiverTask(f"{mount}/{transport}",
                                receiver(camera.url(mount, user, password), transport == "udp"),
                                events, fanout, QUICK)
            task.start()
            runs[(mount, transport)] = Run(task, collector, events, camera.requests)
        for run in runs.values():
            await asyncio.wait_for(events.reach(run.task.token, ReceiverState.CONNECTED), 10)
    with contextlib.suppress(TimeoutError):  # what is missing then is reported by the tests
        await asyncio.wait_for(next(iter(runs.values())).collector.until(
            lambda: all(run.ready() for run in runs.values())), MAX_SECONDS)
    await asyncio.gather(*(run.task.stop() for run in runs.values()))
    for run in runs.values():
        await run.collector.stop()
    return runs


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[tuple[str, str], Run]]:
    with Camera() as camera:
        collected = asyncio.run(receive(camera, CASES))
        camera.wait_for_request("TEARDOWN /pcmu", timeout=2)
        yield collected


def test_every_receiver_connected_once_and_tore_down(runs: dict[tuple[str, str], Run]) -> None:
    for (mount, transport), run in runs.items():
        token = f"{mount}/{transport}"
        assert run.events.states(token) == [ReceiverState.CONNECTING, ReceiverState.CONNECTED,
                                            ReceiverState.NOT_CONNECTED], run.task.stats
        assert run.events.failures(token) == 0, run.task.stats.last_error
        assert isinstance(run.collector.items[-1], SessionEnded)
        assert run.collector.items[-1].error is None  # an orderly end
    teardowns = sorted(next(iter(runs.values())).teardowns)
    assert teardowns == sorted(f"TEARDOWN {mount}" for mount, _ in CASES)


def test_nothing_was_lost_or_refused(runs: dict[tuple[str, str], Run]) -> None:
    for key, run in runs.items():
        for index, stats in run.task.stats.streams.items():
            assert stats.sequence.lost == stats.malformed == stats.dropped == 0, (key, index)
            assert stats.foreign_ssrc == stats.wrong_payload_type == 0, (key, index)
        assert run.collector.queue.dropped == 0


@pytest.mark.parametrize("case", VIDEO_CASES, ids="".join)
def test_video_is_640x360_at_25_fps_with_monotonic_times(
        runs: dict[tuple[str, str], Run], case: tuple[str, str]) -> None:
    video = runs[case].video()
    assert video[0].sample.sync and video[0].sample.config_changed  # starts at a key frame
    config = video[0].sample.config
    assert isinstance(config, H264Config | H265Config) and config.info is not None
    assert (config.info.width, config.info.height) == (640, 360)
    assert {b.sample.dts - a.sample.dts for a, b in itertools.pairwise(video)} == {3600}
    seconds = video[-1].arrival_utc - video[0].arrival_utc
    assert seconds >= MIN_SECONDS
    steady = video[25:]  # the first second may come in a burst while the encoder starts
    rate = (len(steady) - 1) / (steady[-1].arrival_utc - steady[0].arrival_utc)
    assert rate == pytest.approx(25, abs=2)
    syncs = [s for s in video if s.sample.sync]
    assert len(syncs) == pytest.approx(seconds, abs=1.5)  # key-int-max=25: one per second


@pytest.mark.parametrize("case", CASES, ids="".join)
def test_rtcp_wall_clock_is_within_a_second_of_the_host_clock(
        runs: dict[tuple[str, str], Run], case: tuple[str, str]) -> None:
    run = runs[case]
    for info in run.collector.sessions()[0].streams:
        timed = [s for s in run.collector.samples(info.media_index)
                 if s.sample.clock_source is ClockSource.RTCP]
        assert timed, f"no sender report for {info.encoding}"
        assert max(abs(s.sample.utc - s.arrival_utc) for s in timed) < 1.0
        assert all(b.sample.utc >= a.sample.utc for a, b in itertools.pairwise(timed))


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_aac_audio_at_16_khz(runs: dict[tuple[str, str], Run], transport: str) -> None:
    audio = runs[("/av", transport)].collector.samples(AUDIO)
    config = audio[0].sample.config
    assert isinstance(config, AacConfig) and config.info.sampling_frequency == 16000
    assert {b.sample.pts - a.sample.pts for a, b in itertools.pairwise(audio)} == {1024}
    seconds = audio[-1].arrival_utc - audio[0].arrival_utc
    assert len(audio) / seconds == pytest.approx(16000 / 1024, rel=0.1)


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_onvif_metadata_documents(runs: dict[tuple[str, str], Run], transport: str) -> None:
    documents = runs[("/meta", transport)].collector.samples(AUDIO)
    assert len(documents) >= MIN_SECONDS - 1  # one a second
    for document in documents:
        assert isinstance(document.sample.config, MetadataConfig)
        (xml,) = document.sample.units
        assert xml.startswith(b"<?xml") and xml.rstrip().endswith(b"</tt:MetadataStream>")
        assert b"<tt:Event>" in xml and b"tns1:VideoSource/MotionAlarm" in xml


def test_g711_mu_law_audio(runs: dict[tuple[str, str], Run]) -> None:
    audio = runs[("/pcmu", "udp")].collector.samples(AUDIO)
    config = audio[0].sample.config
    assert isinstance(config, G711Config) and (config.encoding, config.sample_rate) == ("PCMU",
                                                                                         8000)
    ticks = audio[-1].sample.pts - audio[0].sample.pts
    assert sum(s.sample.size for s in audio[:-1]) == ticks  # one byte per 8 kHz sample
    seconds = audio[-1].arrival_utc - audio[0].arrival_utc
    assert ticks / 8000 == pytest.approx(seconds, abs=0.25)


# --- Digest authentication (RFC 7616 via RFC 2326 §12.5) ------------------------------------

AUTH_CASES = [("/h264", "tcp"), ("/h264", "udp")]


async def receive_with_wrong_password(camera: Camera) -> RecordedEvents:
    events = RecordedEvents()
    task = ReceiverTask("wrong", receiver(camera.url("/h264", "cam", "wrong")), events,
                        SampleFanout(), QUICK)
    task.start()
    await asyncio.wait_for(events.reach("wrong", ReceiverState.NOT_CONNECTED), 5)
    await task.stop()
    assert task.stats.last_error is not None and "AuthenticationFailed" in task.stats.last_error
    return events


def test_digest_protected_camera() -> None:
    with Camera(user="cam", password="secret") as camera:
        runs = asyncio.run(receive(camera, AUTH_CASES, "cam", "secret"))
        wrong = asyncio.run(receive_with_wrong_password(camera))
    for case in AUTH_CASES:
        video = runs[case].video()
        assert len(video) >= 25 * MIN_SECONDS - 5 and video[0].sample.sync
        assert runs[case].task.stats.failures == 0
    assert wrong.failures("wrong") >= 1
    assert wrong.states("wrong")[:2] == [ReceiverState.CONNECTING, ReceiverState.NOT_CONNECTED]
