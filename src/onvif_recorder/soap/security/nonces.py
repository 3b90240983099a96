"""A bounded, time-stamped replay cache shared by UsernameToken and HTTP Digest.

Each entry is a key (a nonce) with the timestamp it was issued or created at and a
value (for Digest: the highest nonce count seen). Entries are dropped once their
timestamp is older than ``retention`` before ``now``. When the cache is full and
nothing has expired, the entry with the *oldest* timestamp is evicted and that
timestamp becomes the *watermark*: any nonce stamped at or before the watermark
that is not in the cache can no longer be proven fresh, and callers must reject
it. So memory stays bounded under a flood without ever opening a replay window.

The clock is never read here; ``now`` is always passed in.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_MAX_ENTRIES = 10_000


class StampedCache(Generic[K, V]):
    """Bounded map ``key -> value`` whose entries age out by their own timestamp."""

    def __init__(self, max_entries: int, retention: timedelta) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if retention <= timedelta(0):
            raise ValueError("retention must be positive")
        self._max = max_entries
        self._retention = retention
        self._entries: dict[K, tuple[datetime, V]] = {}
        self._heap: list[tuple[datetime, int, K]] = []
        self._seq = itertools.count()
        self._watermark: datetime | None = None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def max_entries(self) -> int:
        return self._max

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def forgotten(self, stamp: datetime) -> bool:
        """True if a key stamped ``stamp`` may have been evicted (cannot prove freshness)."""
        return self._watermark is not None and stamp <= self._watermark

    def put(self, key: K, stamp: datetime, value: V, now: datetime) -> None:
        """Insert or update ``key``. An existing key keeps its original timestamp."""
        existing = self._entries.get(key)
        if existing is not None:
            self._entries[key] = (existing[0], value)
            return
        self._expire(now)
        while len(self._entries) >= self._max:
            self._evict_oldest()
        self._entries[key] = (stamp, value)
        heapq.heappush(self._heap, (stamp, next(self._seq), key))

    def _expire(self, now: datetime) -> None:
        horizon = now - self._retention
        while self._heap and self._heap[0][0] < horizon:
            _, _, key = heapq.heappop(self._heap)
            del self._entries[key]

    def _evict_oldest(self) -> None:
        stamp, _, key = heapq.heappop(self._heap)
        del self._entries[key]
        if self._watermark is None or stamp > self._watermark:
            self._watermark = stamp
