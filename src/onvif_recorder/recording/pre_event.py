"""The pre-event buffer of one waiting event-recording job (RC §5.3.4 ``Before``), sans-IO.

While an event job waits, the samples of its source go through a ``PreEventBuffer``:
per stream it holds the last ``before`` seconds plus one GOP, i.e. everything from the
latest sync sample at or before ``newest - before`` on (``newest``: the latest sample
time seen, the buffer's only clock; times are the samples' wall-clock times, passed in).
Samples before a stream's first sync sample are never held: they cannot be decoded.

On trigger, ``take(start)`` returns what a recording starting at ``start`` (the event
time minus ``Before``) needs: per stream from the sync sample at or before ``start`` (or
from the oldest held one when the buffer does not reach back that far), all streams in
arrival order, and empties the buffer. The caller continues with the live samples that
follow the last one pushed, so nothing is written twice and nothing is missing.

Memory is bounded per buffer by ``max_bytes`` (sample payload): when over it, the oldest
GOP of the stream holding most bytes goes first; a stream whose only GOP is too big is
emptied and held again from its next sync sample (``dropped`` counts every sample lost).
A new session (the receiver reconnected) empties the buffer: its timestamps restart.
When a stream's wall-clock mapping changes, the caller re-times what is held (``retime``).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Held(Generic[T]):
    order: int
    """Arrival order over all streams (``take`` merges the streams by it)."""
    time: float
    sync: bool
    size: int
    item: T


@dataclass(slots=True)
class _Stream(Generic[T]):
    samples: deque[Held[T]] = field(default_factory=deque)
    sync_times: deque[float] = field(default_factory=deque)
    """Times of the sync samples in ``samples``, in order."""
    bytes: int = 0

    def append(self, held: Held[T]) -> None:
        self.samples.append(held)
        self.bytes += held.size
        if held.sync:
            self.sync_times.append(held.time)

    def pop(self) -> Held[T]:
        held = self.samples.popleft()
        self.bytes -= held.size
        if held.sync:
            self.sync_times.popleft()
        return held

    def drop_gop(self) -> int:
        """Drop the oldest sync sample and the samples up to the next one; returns how many."""
        dropped = 1
        self.pop()
        while self.samples and not self.samples[0].sync:
            self.pop()
            dropped += 1
        return dropped


class PreEventBuffer(Generic[T]):
    def __init__(self, before: float, max_bytes: int) -> None:
        if before < 0 or max_bytes < 1:
            raise ValueError("a pre-event buffer needs before >= 0 and max_bytes >= 1")
        self.before = before
        self.max_bytes = max_bytes
        self.dropped = 0
        """Samples dropped because the buffer was over ``max_bytes``."""
        self.newest: float | None = None
        self._streams: dict[int, _Stream[T]] = {}
        self._order = 0

    @property
    def bytes(self) -> int:
        """Sample payload held (what ``max_bytes`` bounds)."""
        return sum(s.bytes for s in self._streams.values())

    def __len__(self) -> int:
        return sum(len(s.samples) for s in self._streams.values())

    def clear(self) -> None:
        """A new session (or none): what is held belongs to a timeline that ended."""
        self._streams.clear()
        self.newest = None

    def push(self, stream: int, time: float, sync: bool, size: int, item: T) -> None:
        self.newest = time if self.newest is None else max(self.newest, time)
        held = self._streams.setdefault(stream, _Stream())
        if held.samples or sync:  # else not decodable without the sync sample before it
            self._order += 1
            held.append(Held(self._order, time, sync, size, item))
        self._trim(self.newest - self.before)
        while self.bytes > self.max_bytes:
            self._drop_biggest()

    def retime(self, stream: int, retimed: Callable[[T], tuple[float, T]]) -> None:
        """Give every held sample of ``stream`` the time and item ``retimed`` returns:
        the stream's wall clock changed mapping (its first RTCP sender report replaced
        an estimate), and samples on two mappings would not make one timeline."""
        held = self._streams.get(stream)
        if held is None:
            return
        old, held.samples, held.sync_times = held.samples, deque(), deque()
        held.bytes = 0
        for entry in old:
            time, item = retimed(entry.item)
            held.append(replace(entry, time=time, item=item))

    def take(self, start: float | None = None) -> list[T]:
        """The held items a recording from ``start`` needs (None: ``newest - before``),
        in arrival order; the buffer is empty afterwards."""
        if start is None:
            start = -float("inf") if self.newest is None else self.newest - self.before
        self._trim(start)
        items = [held.item for held in heapq.merge(*self._ordered(), key=lambda h: h.order)]
        self.clear()
        return items

    def _ordered(self) -> Iterator[deque[Held[T]]]:
        return (stream.samples for stream in self._streams.values())

    def _trim(self, cutoff: float) -> None:
        """Per stream, drop what comes before the latest sync sample at or before
        ``cutoff``."""
        for stream in self._streams.values():
            while len(stream.sync_times) > 1 and stream.sync_times[1] <= cutoff:
                stream.drop_gop()

    def _drop_biggest(self) -> None:
        stream = max(self._streams.values(), key=lambda s: s.bytes)
        if len(stream.sync_times) > 1:
            self.dropped += stream.drop_gop()
            return
        self.dropped += len(stream.samples)  # one GOP over the limit: start again
        while stream.samples:
            stream.pop()

