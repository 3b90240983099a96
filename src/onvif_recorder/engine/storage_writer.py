"""Blocking storage work off the event loop: one thread for all of it, in order.

Writing segments (``write``, ``fsync``, rename, directory ``fsync``, index rows), the
upload spool's journal, retention's deletions and recovery block for as long as the disk
takes; on the event loop one slow ``fsync`` stalled every SOAP answer and RTSP
connection of the process (``bench/soap_latency.py``: 0.5 s at 30 streams).

``StorageThread`` is one worker thread shared by the recording engine and the upload
manager. One thread, not one per recording: the segment index and the upload journal are
SQLite connections shared by every writer, and a connection's ``lastrowid`` and
``rowcount`` are per connection, not per call, so two threads inserting at once could
read each other's ids. On one thread their writes stay serial, as they were on the loop,
and the loop only waits for nothing. One thread is also no slower than the loop was: all
of this work ran there one call after another.

``OrderedWriter`` is one recording's queue on that thread: calls run in the order they
were submitted, one at a time, each one's result handed back on the loop. A call that
raises reports the error once (``on_error``), and ``discard`` drops what the failed
writer had queued, so a restarted writer never runs its predecessor's leftovers.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from onvif_recorder.storage.segment_index import SegmentRow

log = logging.getLogger(__name__)
T = TypeVar("T")
DEFAULT_QUEUE_LIMIT = 16 * 2**20
"""Bytes queued for one recording before its readers wait (the disk is behind): about
30 s of a 4 Mbit/s camera. Meanwhile the sample queue drops its oldest GOPs, as it does
when the recorder falls behind for any other reason."""

StorageCall = Callable[[], Sequence[SegmentRow]]


class StorageThread:
    """The one thread that runs blocking storage calls."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="storage")

    async def run(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def close(self) -> None:
        """Wait for the calls already submitted, then end the thread."""
        self._executor.shutdown(wait=True)


@dataclass(frozen=True, slots=True)
class _Call:
    generation: int
    run: StorageCall
    size: int
    then: Callable[[], None] | None


class OrderedWriter:
    """One recording's storage calls, run on the ``StorageThread`` in submission order."""

    def __init__(self, thread: StorageThread, on_rows: Callable[[Sequence[SegmentRow]], None],
                 on_error: Callable[[Exception], None],
                 queue_limit: int = DEFAULT_QUEUE_LIMIT) -> None:
        self._thread = thread
        self._on_rows = on_rows
        self._on_error = on_error
        self._limit = queue_limit
        self._queue: deque[_Call] = deque()
        self._queued_bytes = 0
        self._generation = 0
        self._drainer: asyncio.Task[None] | None = None

    def submit(self, run: StorageCall, size: int = 0,
               then: Callable[[], None] | None = None) -> None:
        """Queue ``run`` (``size``: bytes it writes, for the queue limit); ``then`` runs on
        the loop once ``run`` succeeded."""
        self._queue.append(_Call(self._generation, run, size, then))
        self._queued_bytes += size
        if self._drainer is None:
            self._drainer = asyncio.get_running_loop().create_task(
                self._drain(), name="storage writer")

    def discard(self) -> None:
        """The writer failed: drop its queued calls; an error of the call running now is
        not reported again."""
        self._generation += 1
        self._queue.clear()
        self._queued_bytes = 0

    async def flushed(self) -> None:
        """Return once every submitted call has run."""
        if self._drainer is not None:
            await asyncio.shield(self._drainer)

    @property
    def congested(self) -> bool:
        """More than the queue limit waits for the disk: readers wait (``flushed``)."""
        return self._queued_bytes > self._limit

    async def backpressure(self) -> None:
        """Wait while more than the queue limit waits for the disk."""
        if self.congested:
            await self.flushed()

    async def _drain(self) -> None:
        try:
            while self._queue:
                call = self._queue.popleft()
                self._queued_bytes -= call.size
                try:
                    rows = await self._thread.run(call.run)
                except Exception as exc:  # reported to the recording, never lost
                    if call.generation == self._generation:
                        self._on_error(exc)
                    else:
                        log.debug("storage call of a failed writer: %s", exc)
                    continue
                self._on_rows(rows)
                if call.then is not None:
                    call.then()
        finally:
            self._drainer = None
