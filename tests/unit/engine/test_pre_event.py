"""PreEventBuffers over a real SampleFanout and a real state: a waiting event job buffers,
its recording reader takes the same subscription (no gap, no duplicate), hands it back
when the window ends, and buffering stops when the job no longer waits."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import (
    EventFilterEntry,
    JobMode,
    JobSource,
    RecordingEventFilter,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.domain.recording import TrackType
from onvif_recorder.engine.pre_event import Buffering, PreEventBuffers
from onvif_recorder.engine.samples import SampleFanout, SampleQueue
from onvif_recorder.events.triggers import check_filter
from onvif_recorder.ingest.items import IngestItem, MediaSample, SessionStarted, StreamInfo
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.recording.pre_event import PreEventBuffer
from onvif_recorder.rtp.stream import ReceivedSample
from onvif_recorder.rtp.timing import ClockSource
from onvif_recorder.service.job_conditions import EventWindow
from onvif_recorder.service.jobs import JobService
from onvif_recorder.service.media_flow import NoMediaFlow
from onvif_recorder.service.recordings import RecordingService
from onvif_recorder.service.state import StateHolder
from onvif_recorder.settings import Limits
from tests.unit.test_services import CONFIG

FPS = 25


class Fanouts:
    """The ingest supervisor's side: one fanout per receiver token."""

    def __init__(self) -> None:
        self.fanouts: dict[str, SampleFanout] = {}

    def subscribe(self, token: str) -> SampleQueue:
        return self.fanouts.setdefault(token, SampleFanout()).subscribe()

    def unsubscribe(self, token: str, queue: SampleQueue) -> None:
        self.fanouts[token].unsubscribe(queue)


def sample(n: int, off: float = 0.0, clock: ClockSource = ClockSource.RTCP) -> MediaSample:
    received = ReceivedSample(units=(bytes(100),), pts=n * 3600, dts=n * 3600,
                              clock_rate=90000, sync=n % FPS == 0,
                              utc=1000.0 + n / FPS + off, clock_source=clock, config=None,
                              config_changed=False)
    return MediaSample(1, 0, received, received.utc)


STARTED = SessionStarted("Receiver_1", 1, "rtsp://camera/h264", (
    StreamInfo(0, TrackType.VIDEO, "H264", 90000, 1, {}, "stream=0"),))


def event_job(holder: StateHolder, before: str = "PT2S") -> tuple[str, str, JobService]:
    limits = Limits()
    recording = RecordingService(holder, limits).create_recording(CONFIG).token
    jobs = JobService(holder, limits, NoMediaFlow(), check_filter)
    event_filter = RecordingEventFilter((EventFilterEntry("tns1:VideoSource/MotionAlarm"),),
                                        XsDuration.parse(before))
    job = jobs.create_job(RecordingJobConfiguration(
        recording, JobMode.ACTIVE, 1, (JobSource(SourceReference(""), auto_create_receiver=True),),
        event_filter=event_filter))
    source = job.configuration.sources[0].source_token
    assert source is not None
    return job.token, source.token, jobs


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_the_reader_takes_the_buffer_and_the_live_samples_follow(tmp_path: Path) -> None:
    holder = StateHolder(SqliteStore(tmp_path / "db.sqlite3"))
    job, receiver, jobs = event_job(holder)
    ingest = Fanouts()
    buffers = PreEventBuffers(holder, ingest, 1 << 20)
    buffers.start()
    await settle()
    fanout = ingest.fanouts[receiver]
    assert fanout.subscribers == 1  # the waiting job buffers
    fanout.publish(STARTED)
    for n in range(10 * FPS):  # 10 s
        fanout.publish(sample(n))
    await settle()
    assert 0 < buffers.held_bytes[job] <= (2 + 1 + 1) * FPS * 100
    holder.conditions.windows = {job: EventWindow(1000.0 + 8.5, "tns1:VideoSource/Motion")}
    for n in range(10 * FPS, 10 * FPS + 3):  # arrive before the reader takes over
        fanout.publish(sample(n))
    taken = buffers.take(job, receiver)
    assert taken is not None
    queue, held = taken
    fanout.publish(sample(10 * FPS + 3))
    live: list[IngestItem] = []
    while (item := queue.get_nowait()) is not None:
        live.append(item)
    assert held[0] == STARTED
    numbers = [round((i.sample.utc - 1000.0) * FPS) for i in held[1:] + live
               if isinstance(i, MediaSample)]
    assert numbers == list(range(6 * FPS, 10 * FPS + 4))  # from the I-frame at 6 s
    assert buffers.held_bytes == {}  # the reader has it now
    assert buffers.give_back(job, receiver, queue, STARTED)  # the window ended
    for n in range(10 * FPS + 4, 11 * FPS + 1):  # held again from the next I-frame on
        fanout.publish(sample(n))
    await settle()
    assert buffers.held_bytes[job] == 100 and fanout.subscribers == 1
    jobs.set_job_mode(job, JobMode.IDLE)  # no longer waiting: the buffer goes
    await settle()
    assert buffers.held_bytes == {} and fanout.subscribers == 0
    await buffers.stop()


async def test_only_jobs_with_a_positive_before_buffer(tmp_path: Path) -> None:
    holder = StateHolder(SqliteStore(tmp_path / "db.sqlite3"))
    job, receiver, jobs = event_job(holder, "PT0S")
    ingest = Fanouts()
    buffers = PreEventBuffers(holder, ingest, 1 << 20)
    buffers.start()
    await settle()
    assert receiver not in ingest.fanouts
    configuration = jobs.job(job).configuration
    assert configuration.event_filter is not None
    jobs.set_job_configuration(job, replace(configuration, event_filter=replace(
        configuration.event_filter, before=XsDuration.parse("PT5S"))))
    await settle()
    assert ingest.fanouts[receiver].subscribers == 1
    taken = buffers.take(job, receiver)
    assert taken is not None and taken[1] == []  # no session yet
    assert buffers.give_back(job, receiver, taken[0], None)
    await buffers.stop()
    assert ingest.fanouts[receiver].subscribers == 0


def test_samples_timed_by_arrival_are_retimed_when_the_sender_report_comes() -> None:
    """Before the first RTCP sender report a stream is timed by arrival (here 1.5 s
    late); once it comes, what is held moves onto its mapping: one timeline, so the
    recording from the buffer does not jump (which would start a new span)."""
    buffering = Buffering(2.0, SampleQueue(), PreEventBuffer[IngestItem](3.0, 1 << 20))
    buffering.add(STARTED)
    for n in range(2 * FPS):
        buffering.add(sample(n, 1.5, ClockSource.ARRIVAL))
    for n in range(2 * FPS, 3 * FPS):
        buffering.add(sample(n))
    held = [i for i in buffering.take(1000.0) if isinstance(i, MediaSample)]
    assert [round((i.sample.utc - 1000.0) * FPS, 6) for i in held] == list(range(3 * FPS))
    assert {i.sample.clock_source for i in held} == {ClockSource.RTCP}
