"""The one interface between ingest and its consumers (the recording engine): sample queues.

Each receiver has a ``SampleFanout``; a consumer calls ``subscribe()`` and gets its own
bounded ``SampleQueue`` of ``IngestItem``: ``SessionStarted`` when a connection starts
playing (its streams, in media order), then ``MediaSample``s in arrival order, then
``SessionEnded`` when that connection ends. Timestamps restart with every session, so a
consumer starts a new timeline (or span) on each ``SessionStarted``. A subscriber that
joins mid-session first gets the current ``SessionStarted``.

Back-pressure policy: the network reader never waits. ``put`` is synchronous and O(1)
unless the queue is over ``max_items`` or ``max_bytes``; then the *oldest* sample is
dropped together with the samples of the same stream that depend on it, i.e. up to that
stream's next sync sample (for video the rest of the GOP, for audio and metadata, whose
samples are all sync samples, just that one). If no later sync sample of that stream is
queued, incoming non-sync samples of it are dropped until one arrives. The first sample
delivered after a gap has ``discontinuity=True``; every dropped sample is counted in
``dropped``. Session markers are never dropped. So a slow consumer loses whole GOPs and is
told where, instead of receiving pictures that cannot be decoded.

With no subscriber, samples are counted (``SampleFanout.unconsumed``) and discarded: that is
what happens in production until the recording engine subscribes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from onvif_recorder.domain.recording import TrackType
from onvif_recorder.ingest.items import IngestItem, MediaSample, SessionStarted

DEFAULT_MAX_ITEMS = 1000
DEFAULT_MAX_BYTES = 16 * 1024 * 1024




class SampleQueue:
    """One subscriber's bounded queue; the policy is in the module docstring."""

    def __init__(self, max_items: int = DEFAULT_MAX_ITEMS,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_items < 1 or max_bytes < 1:
            raise ValueError("a sample queue needs room for at least one item")
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.dropped = 0
        self.closed = False
        self._items: deque[IngestItem] = deque()
        self._bytes = 0
        self._skipping: set[tuple[int, int]] = set()  # (session, media) waiting for sync
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes

    def put(self, item: IngestItem) -> None:
        """Add ``item``; never blocks, drops by the policy when full."""
        if self.closed:
            return
        if isinstance(item, MediaSample):
            key = (item.session, item.media_index)
            if key in self._skipping:
                if not item.sample.sync:
                    self.dropped += 1
                    return
                self._skipping.discard(key)
                item = replace(item, discontinuity=True)
            self._bytes += item.sample.size
        self._items.append(item)
        while len(self._items) > self.max_items or self._bytes > self.max_bytes:
            if not self._evict_oldest_sample():
                break
        self._wake()

    def get_nowait(self) -> IngestItem | None:
        if not self._items:
            return None
        item = self._items.popleft()
        if isinstance(item, MediaSample):
            self._bytes -= item.sample.size
        return item

    async def get_batch(self, limit: int = 256) -> list[IngestItem]:
        """Wait for at least one item and return up to ``limit``; ``[]`` once closed."""
        while not self._items and not self.closed:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                # A cancelled reader may finish after the queue's next reader started
                # waiting (a pre-event buffer handing its queue over): not its waiter.
                if self._waiter is waiter:
                    self._waiter = None
        batch: list[IngestItem] = []
        while len(batch) < limit and (item := self.get_nowait()) is not None:
            batch.append(item)
        return batch

    def close(self) -> None:
        """No more items will come: a waiting ``get_batch`` returns what is left, then ``[]``."""
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _evict_oldest_sample(self) -> bool:
        """Drop the oldest sample and what depends on it; False if only markers are queued."""
        victim = next((i for i, it in enumerate(self._items) if isinstance(it, MediaSample)),
                      None)
        if victim is None:
            return False
        oldest = self._items[victim]
        assert isinstance(oldest, MediaSample)
        key = (oldest.session, oldest.media_index)
        kept: deque[IngestItem] = deque()
        gap_open = True
        for index, item in enumerate(self._items):
            if (index < victim or not gap_open or not isinstance(item, MediaSample)
                    or (item.session, item.media_index) != key):
                kept.append(item)
            elif index > victim and item.sample.sync:
                kept.append(replace(item, discontinuity=True))
                gap_open = False
            else:
                self.dropped += 1
                self._bytes -= item.sample.size
        if gap_open:
            self._skipping.add(key)
        self._items = kept
        return True


class SampleFanout:
    """Delivers one receiver's items to every subscribed queue (owned by the supervisor,
    so subscriptions outlive reconnections)."""

    def __init__(self, on_metadata: Callable[[MediaSample], None] | None = None) -> None:
        self.unconsumed = 0
        """Samples published while nobody was subscribed (discarded)."""
        self.samples = 0
        self.on_metadata = on_metadata
        """Sees every ONVIF metadata sample (the camera's events), subscribed or not."""
        self._queues: list[SampleQueue] = []
        self._current: SessionStarted | None = None
        self._metadata: frozenset[int] = frozenset()

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def subscribe(self, max_items: int = DEFAULT_MAX_ITEMS,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> SampleQueue:
        queue = SampleQueue(max_items, max_bytes)
        if self._current is not None:
            queue.put(self._current)
        self._queues.append(queue)
        return queue

    def unsubscribe(self, queue: SampleQueue) -> None:
        if queue in self._queues:
            self._queues.remove(queue)
        queue.close()

    def publish(self, item: IngestItem) -> None:
        if isinstance(item, MediaSample):
            self.samples += 1
            if self.on_metadata is not None and item.media_index in self._metadata:
                self.on_metadata(item)
            if not self._queues:
                self.unconsumed += 1
                return
        elif isinstance(item, SessionStarted):
            self._current = item
            self._metadata = frozenset(s.media_index for s in item.streams
                                       if s.track_type is TrackType.METADATA)
        else:
            self._current = None
        for queue in self._queues:
            queue.put(item)

    def close(self) -> None:
        for queue in self._queues:
            queue.close()
        self._queues.clear()


class SampleSource(Protocol):
    """What the ingest supervisor offers (``engine.supervisor.ReceiverSupervisor``)."""

    def subscribe(self, token: str) -> SampleQueue: ...

    def unsubscribe(self, token: str, queue: SampleQueue) -> None: ...
