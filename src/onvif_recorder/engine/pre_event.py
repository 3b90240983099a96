"""The pre-event buffers of waiting event-recording jobs (RC §5.3.4 ``Before``).

Every Active job with an ``EventFilter`` whose ``Before`` is positive and whose schedule
lets it connect (``JobConditions.may_connect``) has, per source, a subscription to the
receiver's samples feeding a ``recording.pre_event.PreEventBuffer``. When the job is
triggered, the recording task's reader for that (job, source) calls ``take``: it gets
the subscription itself together with the held items (the current ``SessionStarted``,
then the samples from the sync sample at or before ``event - Before``) and reads the same
queue on, so the recording has neither a gap nor a duplicate where buffer and live
samples meet. When the window ends the reader hands the queue back (``give_back``) and
buffering goes on from the next sample. Keys handed out are not touched until then.

Each buffer holds ``Before`` + ``TRIGGER_SLACK`` + one GOP, at most ``max_bytes`` of
sample payload (``Limits.pre_event_max_bytes``); ``held_bytes`` is what metrics show.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from dataclasses import dataclass, field

from onvif_recorder.domain.job import JobMode, RecordingJob
from onvif_recorder.engine.reconciler import CommitReconciler
from onvif_recorder.engine.samples import SampleQueue, SampleSource
from onvif_recorder.ingest.items import IngestItem, MediaSample, SessionStarted
from onvif_recorder.recording.plan import seconds
from onvif_recorder.recording.pre_event import PreEventBuffer
from onvif_recorder.rtp.stream import ReceivedSample
from onvif_recorder.rtp.timing import ClockSource
from onvif_recorder.service.state import StateHolder

log = logging.getLogger(__name__)

TRIGGER_SLACK = 1.0
"""Seconds held beyond ``Before``: the time from the event to the reader taking the buffer
(bus, condition clock, reconcile), so that ``event - Before`` is still held then."""

Key = tuple[str, str]
"""(job token, receiver token)."""


@dataclass(slots=True)
class Buffering:
    """One (job, source) buffer: its queue, what it holds, and the task filling it."""

    before: float
    queue: SampleQueue
    buffer: PreEventBuffer[IngestItem]
    started: SessionStarted | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    clocks: dict[int, ClockSource] = field(default_factory=dict)
    """Media index → where its latest sample's wall-clock time came from."""

    def add(self, item: IngestItem) -> None:
        if isinstance(item, MediaSample):
            if self.started is not None and item.session == self.started.session:
                sample = item.sample
                if self.clocks.setdefault(item.media_index,
                                          sample.clock_source) is not sample.clock_source:
                    # The first RTCP sender report replaced the arrival-time estimate
                    # (rtp.timing): put what is held on the new mapping, or the segmenter
                    # would see the clock jump and start a new span inside the window.
                    self.clocks[item.media_index] = sample.clock_source
                    self.buffer.retime(item.media_index, functools.partial(_retimed, sample))
                self.buffer.push(item.media_index, sample.utc, sample.sync, sample.size,
                                 item)
            return
        self.buffer.clear()  # a new session or its end: old timestamps are no use
        self.clocks.clear()
        self.started = item if isinstance(item, SessionStarted) else None

    async def fill(self) -> None:
        while batch := await self.queue.get_batch():
            for item in batch:
                self.add(item)

    def take(self, start: float | None) -> list[IngestItem]:
        held = self.buffer.take(start)
        return [] if self.started is None else [self.started, *held]


def _retimed(anchor: ReceivedSample, item: IngestItem) -> tuple[float, IngestItem]:
    """``item`` timed by ``anchor``'s mapping: UTC follows the RTP presentation time."""
    assert isinstance(item, MediaSample)
    utc = anchor.utc + (item.sample.pts - anchor.pts) / anchor.clock_rate
    sample = dataclasses.replace(item.sample, utc=utc, clock_source=anchor.clock_source)
    return utc, dataclasses.replace(item, sample=sample)


def pre_event_seconds(job: RecordingJob) -> float:
    event_filter = job.configuration.event_filter
    return 0.0 if event_filter is None else seconds(event_filter.before)


def job_sources(job: RecordingJob) -> list[str]:
    return [s.source_token.token for s in job.configuration.sources
            if s.source_token is not None and s.source_token.token]


class PreEventBuffers:
    def __init__(self, holder: StateHolder, source: SampleSource, max_bytes: int) -> None:
        self._holder = holder
        self._source = source
        self.max_bytes = max_bytes
        self._buffers: dict[Key, Buffering] = {}
        self._taken: set[Key] = set()
        self._reconciler = CommitReconciler(self.reconcile, "pre-event buffers")
        holder.observe(self._reconciler.changed)

    @property
    def held_bytes(self) -> dict[str, int]:
        """Job token → sample payload held for it now."""
        held: dict[str, int] = {}
        for (job, _), buffering in self._buffers.items():
            held[job] = held.get(job, 0) + buffering.buffer.bytes
        return held

    def start(self) -> None:
        self._reconciler.start()

    async def stop(self) -> None:
        await self._reconciler.stop()
        for key in list(self._buffers):
            self._close(key)

    def wanted(self) -> dict[Key, float]:
        """(job, source) → Before, for every job that buffers now."""
        conditions = self._holder.conditions
        found: dict[Key, float] = {}
        for job in self._holder.state.jobs.values():
            before = pre_event_seconds(job)
            if (before > 0 and job.configuration.mode is JobMode.ACTIVE
                    and conditions.may_connect(job)):
                found.update({(job.token, source): before for source in job_sources(job)})
        return found

    async def reconcile(self) -> None:
        wanted = self.wanted()
        for key, buffering in list(self._buffers.items()):
            if wanted.get(key) != buffering.before:
                self._close(key)
        for key, before in wanted.items():
            if key not in self._buffers and key not in self._taken:
                self._open(key, before, self._source.subscribe(key[1]), None)

    def take(self, job: str, source: str) -> tuple[SampleQueue, list[IngestItem]] | None:
        """Hand the (job, source) subscription and what it holds to a recording reader."""
        self._taken.add((job, source))  # no new buffer while the reader has the source
        buffering = self._buffers.pop((job, source), None)
        if buffering is None:
            return None
        if buffering.task is not None:
            buffering.task.cancel()  # waiting in get_batch: no item is taken from the queue
        window = self._holder.conditions.windows.get(job)
        start = None if window is None else window.start - buffering.before
        return buffering.queue, buffering.take(start)

    def give_back(self, job: str, source: str, queue: SampleQueue,
                  current: SessionStarted | None) -> bool:
        """A reader is done with a taken subscription: buffer from it again if the job
        still waits for events with a Before; False: the caller unsubscribes."""
        key = (job, source)
        self._taken.discard(key)
        before = self.wanted().get(key)
        if before is None or key in self._buffers or queue.closed:
            return False
        self._open(key, before, queue, current)
        return True

    def _open(self, key: Key, before: float, queue: SampleQueue,
              current: SessionStarted | None) -> None:
        buffer: PreEventBuffer[IngestItem] = PreEventBuffer(before + TRIGGER_SLACK,
                                                            self.max_bytes)
        buffering = Buffering(before, queue, buffer, current)
        buffering.task = asyncio.create_task(buffering.fill(), name=f"pre-event {key}")
        self._buffers[key] = buffering

    def _close(self, key: Key) -> None:
        buffering = self._buffers.pop(key)
        if buffering.task is not None:
            buffering.task.cancel()
        self._source.unsubscribe(key[1], buffering.queue)
