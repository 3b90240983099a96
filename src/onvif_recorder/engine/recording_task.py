"""One recording being written: feeds in, one ``Segmenter``, local storage out.

Each ``Feed`` (a job's source and the tracks it won) has a reader task on its receiver's
``SampleQueue``; all readers run on the event loop and push into the recording's single
``Segmenter`` synchronously, so no locking is needed. Per item:

* ``SessionStarted``: streams are routed to tracks (``recording.feed_session``); if the recording
  already wrote from an earlier session, ``discontinuity()`` starts a new span (B.2);
* ``MediaSample``: new parameter sets → ``update_track`` (at most 3 times in 10 s: a
  stream changing more is held at its parameters, ``recording.parameter_guard``); a sample with
  ``discontinuity`` (the queue dropped a GOP) → ``discontinuity()``; then ``push``;
* ``SessionEnded``: the feed's tracks stop; when no feed plays any more the spans close.

A feed of an event job that was waiting with a ``Before`` starts from its pre-event
buffer (``engine.pre_event``): the reader takes over that subscription and what it held,
and hands it back when the feed stops.

The segmenter is created when every routed track has its parameter sets, or after
``start_gate`` seconds of samples, so that a span starts with all its tracks.

The segmenter runs on the loop; what it emits goes to the sink's ``handle`` on the
``StorageThread`` (``engine.storage_writer``), in order, so no ``write`` or ``fsync``
blocks the loop. Readers wait while more than the writer's queue limit is unwritten.
A storage failure (``OSError``) closes the open files, reports "Storage error" on every
track and restarts the writer after a backoff delay (the torn segment is repaired first,
on the storage thread too); what the failed writer still had queued is dropped.

Where the events go depends on the plan's target (``engine.recording_sink``); a
changed target closes the spans and opens new ones in the new place. A new segment
duration override closes the current segment at its next opportunity (RC §5.24).
Changed Encryption entries apply from the next segment on; open ones keep their keys (B.8).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from onvif_recorder.cenc.policy import EncryptionPolicy
from onvif_recorder.engine.recording_sink import (
    Sink,
    abort,
    recording_sink,
    recover,
    set_tokens,
    set_topic,
    upload_sink,
)
from onvif_recorder.engine.samples import SampleSource
from onvif_recorder.engine.storage_writer import OrderedWriter, StorageThread
from onvif_recorder.ingest.backoff import Backoff, BackoffPolicy
from onvif_recorder.ingest.items import IngestItem, MediaSample, SessionEnded, SessionStarted
from onvif_recorder.mp4.events import Event, FragmentWritten
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig
from onvif_recorder.recording.feed_session import INCOMPATIBLE, FeedSession, map_session
from onvif_recorder.recording.flow import FlowTracker
from onvif_recorder.recording.parameter_guard import ParameterGuard, unstable_reason
from onvif_recorder.recording.plan import Feed, KeyMemory, RecordingPlan, encryption_policy
from onvif_recorder.recording.track_mapping import to_track_sample, track_info
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.segment_index import SegmentRow
from onvif_recorder.storage.upload_queue import UploadSpool

if TYPE_CHECKING:
    from onvif_recorder.engine.pre_event import PreEventBuffers

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TaskSettings:
    fragment_duration: float = 1.0
    start_gate: float = 1.0
    writer_backoff: BackoffPolicy = field(
        default_factory=lambda: BackoffPolicy(initial=0.5, maximum=10.0))


@dataclass(slots=True)
class TaskStats:
    samples: int = 0
    bytes: int = 0
    """Sample data written (``samples`` summed), for metrics."""
    lost: int = 0
    """Samples that could not be written (no parameter sets yet, writer restarting)."""
    segments: int = 0
    writer_failures: int = 0
    unstable_dropped: int = 0
    """Samples dropped because their parameters changed too often (``parameter_guard``)."""


class RecordingTask:
    def __init__(self, plan: RecordingPlan, storage: LocalStorage, flow: FlowTracker,
                 source: SampleSource, settings: TaskSettings,
                 thread: StorageThread,
                 on_segment: Callable[[SegmentRow], None] = lambda row: None,
                 spool: UploadSpool | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 keys: KeyMemory | None = None,
                 pre_event: PreEventBuffers | None = None) -> None:
        self.plan = plan
        self.keys = keys
        self.pre_event = pre_event
        self._clock = clock
        self.spool = spool
        self.storage = storage
        self.flow = flow
        self.source = source
        self.settings = settings
        self.on_segment = on_segment
        self.stats = TaskStats()
        self.recorded = storage.index.last_codecs(plan.recording)
        self._sink = self._new_sink()
        self._segmenter: Segmenter | None = None
        self._pending: list[TrackSample] = []
        self._sessions: dict[Feed, FeedSession] = {}
        self._readers: dict[Feed, asyncio.Task[None]] = {}
        self._backoff = Backoff(settings.writer_backoff)
        self._paused = False
        self._writer = OrderedWriter(thread, self._segments_done, self._storage_failed)
        self._restart: asyncio.TimerHandle | None = None

    def _encryption(self, plan: RecordingPlan) -> EncryptionPolicy | None:
        return encryption_policy(plan.encryption, self.keys, plan.recording)

    def _track_tokens(self) -> dict[int, str]:
        return {track_id: token for token, track_id in self.plan.track_ids}

    def _new_sink(self) -> Sink:
        return recording_sink(self.plan, self.storage, self.spool, self._track_tokens())

    def _retarget(self, plan: RecordingPlan) -> None:
        """Target or override changed: new spans in the new place, or a segment cut."""
        if plan.target != self.plan.target:
            if self._segmenter is not None:
                self._write(self._segmenter.close())
            self._segmenter, self.plan = None, plan
            self._sink = self._new_sink()
        elif plan.override and plan.override != self.plan.override and self._segmenter:
            self._segmenter.request_new_segment()

    # --- life cycle ----------------------------------------------------------------

    def update(self, plan: RecordingPlan) -> None:
        """Start readers for new feeds, stop those that are gone (or changed)."""
        if plan.segment_duration != self.plan.segment_duration and self._segmenter:
            self._segmenter.set_segment_duration(plan.segment_duration)
        if plan.track_ids != self.plan.track_ids:
            # in order with the events before it: the sink may be in use on the thread
            self._writer.submit(functools.partial(set_tokens, self._sink,
                                                  self._track_tokens()))
        upload = upload_sink(self._sink)
        if plan.event_topic != self.plan.event_topic and upload is not None:
            # the next segment's attributes; the recovery box keeps the span's first
            self._writer.submit(functools.partial(set_topic, upload, plan.event_topic))
        if plan.encryption != self.plan.encryption and self._segmenter:
            self._segmenter.set_encryption(self._encryption(plan))
        self._retarget(plan)
        self.plan = plan
        for feed in [f for f in self._readers if f not in plan.feeds]:
            self._stop_feed(feed)
        for feed in plan.feeds:
            if feed not in self._readers:
                self._readers[feed] = asyncio.create_task(
                    self._read(feed), name=f"recording {plan.recording} {feed.job}")

    async def stop(self) -> None:
        """Stop every reader and close the spans (B.2: deactivation closes them)."""
        readers = list(self._readers.values())
        for feed in list(self._readers):
            self._stop_feed(feed)
        await asyncio.gather(*readers, return_exceptions=True)
        if self._segmenter is not None:
            self._write(self._segmenter.close())
        await self._writer.flushed()
        if self._restart is not None:  # a failure of the last writes: no restart now
            self._restart.cancel()

    def _stop_feed(self, feed: Feed) -> None:
        self._readers.pop(feed).cancel()
        self._sessions.pop(feed, None)
        self.flow.forget((feed.job, feed.source))

    async def _read(self, feed: Feed) -> None:
        """Read the feed's samples: an event job's pre-event buffer first, if it has one
        (``engine.pre_event``: the same subscription goes on, so no gap, no duplicate)."""
        held = None if self.pre_event is None else self.pre_event.take(feed.job, feed.source)
        queue, batch = held if held is not None else (self.source.subscribe(feed.source), [])
        current: SessionStarted | None = None
        try:
            while batch or (batch := await queue.get_batch()):
                for item in batch:
                    if not isinstance(item, MediaSample):
                        current = item if isinstance(item, SessionStarted) else None
                        self._guarded(feed, item)
                        continue
                    try:  # _guarded inlined: once per sample
                        self._sample(feed, item)
                    except Exception as exc:
                        self._storage_failed(exc)
                batch = []
                if self._writer.congested:  # checked here: no await per batch otherwise
                    await self._writer.flushed()
        finally:
            if self.pre_event is None or not self.pre_event.give_back(
                    feed.job, feed.source, queue, current):
                self.source.unsubscribe(feed.source, queue)

    def _guarded(self, feed: Feed, item: IngestItem) -> None:
        try:
            self.on_item(feed, item)
        except Exception as exc:  # the writer's top-level guard: restart it, never die
            self._storage_failed(exc)

    # --- items ---------------------------------------------------------------------

    def on_item(self, feed: Feed, item: IngestItem) -> None:
        if isinstance(item, SessionStarted):
            self._session_started(feed, item)
        elif isinstance(item, MediaSample):
            self._sample(feed, item)
        else:
            self._session_ended(feed, item)

    def _session_started(self, feed: Feed, started: SessionStarted) -> None:
        mapping = map_session(feed, started, self.recorded)
        if any(s.written for s in self._sessions.values()) and self._segmenter is not None:
            self._write(self._segmenter.discontinuity())
        self._sessions[feed] = mapping
        key = (feed.job, feed.source)
        self.flow.session_started(key, mapping.mapped, mapping.sparse, mapping.unmapped)
        for destination in mapping.incompatible:
            self.flow.set_error((*key, destination), INCOMPATIBLE)

    def _session_ended(self, feed: Feed, ended: SessionEnded) -> None:
        mapping = self._sessions.pop(feed, None)
        destinations = [] if mapping is None else sorted(mapping.mapped | mapping.unmapped)
        self.flow.session_ended((feed.job, feed.source), ended.error, destinations)
        if not self._sessions and self._segmenter is not None:
            self._write(self._segmenter.discontinuity())

    def _sample(self, feed: Feed, item: MediaSample) -> None:
        mapping = self._sessions.get(feed)
        if mapping is None or mapping.session != item.session or self._paused:
            self.stats.lost += mapping is not None and self._paused
            return
        for destination in mapping.routes.get(item.media_index, ()):
            self._route(feed, mapping, destination, item)

    def _route(self, feed: Feed, mapping: FeedSession, destination: str,
               item: MediaSample) -> None:
        rtp = item.sample
        current = mapping.infos.get(destination)
        if current is None or rtp.config_changed:
            self._offer(feed, mapping, destination, item)
        if (current is None or current is not mapping.offered.get(destination)
                or destination in mapping.guards):
            current = self._admitted(feed, mapping, destination)
        if current is None:
            return
        if item.discontinuity and self._segmenter is not None:
            self._write(self._segmenter.discontinuity())
        self._push(to_track_sample(current, rtp))
        mapping.written = True
        self.recorded[destination] = mapping.fourcc[destination]
        self.flow.written((feed.job, feed.source, destination))

    def _offer(self, feed: Feed, mapping: FeedSession, destination: str,
               item: MediaSample) -> None:
        """Note the track description the sample's parameter sets give, if new (called
        before the first description and when the parameter sets changed)."""
        rtp = item.sample
        track_id = self.plan.track_id(destination)
        info = None if track_id is None else track_info(track_id, rtp.config, rtp.clock_rate)
        if info is None or info == mapping.offered.get(destination):
            return
        mapping.offered[destination] = info
        if destination in mapping.infos:
            guard = mapping.guards.setdefault(destination, ParameterGuard())
            if guard.changed(self._clock()):
                self._unstable(feed, destination, guard.recent_changes)

    def _admitted(self, feed: Feed, mapping: FeedSession, destination: str
                  ) -> TrackInfo | None:
        """The description to write the sample with; None drops it (no parameter sets
        yet, or parameters an unstable stream changed to)."""
        current, offered = mapping.infos.get(destination), mapping.offered.get(destination)
        guard = mapping.guards.get(destination)
        if guard is not None and guard.unstable and guard.settled(self._clock()):
            self._settled(feed, destination)
        if offered is None or offered == current:
            if current is None:
                self.stats.lost += 1  # no parameter sets yet
            return current
        if current is not None and guard is not None and guard.unstable:
            self.stats.unstable_dropped += 1
            return None
        mapping.infos[destination] = offered
        if self._segmenter is not None:
            self._write(self._segmenter.update_track(offered))
        return offered

    def _unstable(self, feed: Feed, destination: str, changes: int) -> None:
        reason = unstable_reason(changes)
        log.warning("recording %s track %s: %s; keeping its parameters and dropping "
                    "pictures with others until it settles", self.plan.recording,
                    destination, reason)
        self.flow.set_error((feed.job, feed.source, destination), reason)

    def _settled(self, feed: Feed, destination: str) -> None:
        log.warning("recording %s track %s: stream settled, recording resumes "
                    "(%d pictures dropped while unstable)", self.plan.recording,
                    destination, self.stats.unstable_dropped)
        self.flow.clear_error((feed.job, feed.source, destination))

    # --- segmenter and writer ------------------------------------------------------

    def _push(self, sample: TrackSample) -> None:
        self.stats.samples += 1
        self.stats.bytes += len(sample.data)
        if self._segmenter is not None:
            self._write(self._segmenter.push(sample))
            return
        self._pending.append(sample)
        ready = all(d in m.infos for m in self._sessions.values() for d in m.mapped)
        if ready or sample.utc - self._pending[0].utc >= self.settings.start_gate:
            self._start_segmenter()

    def _start_segmenter(self) -> None:
        infos = {i.track_id: i for m in self._sessions.values() for i in m.infos.values()}
        target = self.plan.target
        brand = Brand.CMAF if target is not None and target.format == "CMAF" else Brand.MP4
        config = SegmenterConfig(format=brand, segment_duration=self.plan.segment_duration,
                                 span_duration=target.span_duration if target else None,
                                 fragment_duration=self.settings.fragment_duration,
                                 recording=self.plan.recording,
                                 track_tokens=self._track_tokens(),
                                 event_topic=self.plan.event_topic or "",
                                 encryption=self._encryption(self.plan))
        self._segmenter = Segmenter([infos[k] for k in sorted(infos)], config)
        pending, self._pending = self._pending, []
        for sample in sorted(pending, key=lambda s: s.utc):
            self._write(self._segmenter.push(sample))

    def _write(self, events: list[Event]) -> None:
        """Hand ``events`` to the current sink on the storage thread, after those before."""
        if not events:
            return
        size = sum(e.size for e in events if isinstance(e, FragmentWritten))
        self._writer.submit(functools.partial(self._sink.handle, events), size)

    def _segments_done(self, rows: Sequence[SegmentRow]) -> None:
        for row in rows:
            self.stats.segments += 1
            self.on_segment(row)

    def _storage_failed(self, exc: Exception) -> None:
        if isinstance(exc, OSError):
            self._writer_failed(f"Storage error: {exc}")
            return
        log.error("recording %s: writer failed", self.plan.recording, exc_info=exc)
        self._writer_failed("Storage error: internal error")

    def _writer_failed(self, message: str) -> None:
        self.stats.writer_failures += 1
        self._writer.discard()
        self._writer.submit(functools.partial(abort, self._sink))
        self._segmenter, self._pending, self._paused = None, [], True
        for feed, mapping in self._sessions.items():
            for destination in mapping.mapped:
                self.flow.set_error((feed.job, feed.source, destination), message)
        delay = self._backoff.next_delay(None)
        log.warning("recording %s: %s; writer restarts in %.1f s", self.plan.recording,
                    message, delay)
        if self._restart is not None:
            self._restart.cancel()
        self._restart = asyncio.get_running_loop().call_later(delay, self._resume)

    def _resume(self) -> None:
        """Repair what the failure left (on the storage thread, after the abort), then
        take samples again."""
        self._restart = None
        self._writer.submit(functools.partial(recover, self.storage, self.plan.recording),
                            then=self._resumed)

    def _resumed(self) -> None:
        self._paused = False
        for feed in self._sessions:
            self.flow.clear_errors((feed.job, feed.source))

