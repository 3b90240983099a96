"""Drains the upload spool into the object stores: one drainer task per storage.

Each drainer takes the oldest pending object of every span of its storage (at most
``concurrency`` spans at once), uploads them concurrently, and deletes each spooled
object only once its store confirmed the MD5 (``storage.object_store``). Within a span
the next object waits for the previous one, so a span's objects arrive in key order and
the span-end object last. Every request keeps to ``UploadSettings.timeouts``: a stalled
one is abandoned (``storage.progress``). On failure the error is recorded for ``status``
at once, the drainer sleeps (``ingest.backoff``: capped exponential with jitter) and
retries the same objects; when the store was unreachable (refused, timed out, stalled)
it is closed first, so the retry runs on new connections and never on one a dropped
path left silent. A new enqueue wakes an idle drainer. Credentials and URIs are read
from the storage configuration before every batch, so SetStorageConfiguration takes
effect without a restart.

MaximumRetentionTime applies to the spool too: pending objects older than it are
dropped (the store keeps what it already has: uploaded objects are never deleted).

The spool's journal and files are touched on the ``StorageThread`` the recording engine
writes the spool with (``engine.storage_writer``: one thread, so the journal's writers
stay serial), spooled bodies are read on a worker thread; the event loop never waits
for the disk. Enqueues made on that thread wake the drainers through the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from onvif_recorder.domain.storage import StorageConfigurationData
from onvif_recorder.engine.storage_writer import StorageThread
from onvif_recorder.ingest.backoff import Backoff, BackoffPolicy
from onvif_recorder.storage.object_store import (
    ObjectStore,
    StoreTimeouts,
    StoreUnreachable,
    UploadError,
    UploadObject,
)
from onvif_recorder.storage.upload_queue import SpoolEntry, UploadSpool
from onvif_recorder.storage.uploader import open_store

log = logging.getLogger(__name__)

ConfigLookup = Callable[[str], StorageConfigurationData | None]
RetentionLookup = Callable[[], Iterable[tuple[str, float]]]
"""(recording token, MaximumRetentionTime in seconds, 0 = unlimited) of every recording."""
StoreOpener = Callable[[StorageConfigurationData, StoreTimeouts], Awaitable[ObjectStore]]


@dataclass(frozen=True, slots=True)
class UploadSettings:
    concurrency: int = 4
    """Spans of one storage uploaded at the same time."""
    backoff: BackoffPolicy = field(default_factory=lambda: BackoffPolicy(0.5, 30.0))
    timeouts: StoreTimeouts = field(default_factory=StoreTimeouts)
    retention_check: float = 10.0


class UploadManager:
    def __init__(self, spool: UploadSpool, configs: ConfigLookup,
                 settings: UploadSettings | None = None,
                 retention: RetentionLookup | None = None,
                 opener: StoreOpener = open_store,
                 thread: StorageThread | None = None) -> None:
        self.spool = spool
        self.configs = configs
        self.settings = settings or UploadSettings()
        self.retention = retention
        self._open = opener
        self._drainers: dict[str, asyncio.Task[None]] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._stores: dict[str, tuple[StorageConfigurationData, ObjectStore]] = {}
        self._janitor: asyncio.Task[None] | None = None
        self._progress = asyncio.Event()
        self._owns_thread = thread is None
        self.thread = thread or StorageThread()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.failures: dict[str, int] = {}
        """Failed upload attempts (objects) per storage since start-up, for metrics."""

    async def start(self) -> None:
        """Start draining; the spool must have been swept (``spool_recovery.sweep``)."""
        self._loop = asyncio.get_running_loop()
        self.spool.listeners.append(self._enqueued)
        for storage in await self.thread.run(self.spool.storages):
            self.wake(storage)
        self._janitor = asyncio.create_task(self._expire_forever(), name="spool retention")

    async def stop(self) -> None:
        tasks = [*self._drainers.values(), *([self._janitor] if self._janitor else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._drainers.clear()
        for storage in list(self._stores):
            await self._discard(storage)
        with contextlib.suppress(ValueError):
            self.spool.listeners.remove(self._enqueued)
        if self._owns_thread:
            self.thread.close()

    def _enqueued(self, storage: str) -> None:
        """Spool listener; called on the storage thread (or the loop's, in tests)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.wake(storage)
        else:
            loop.call_soon_threadsafe(self.wake, storage)

    def wake(self, storage: str) -> None:
        self._wakeups.setdefault(storage, asyncio.Event()).set()
        task = self._drainers.get(storage)
        if task is None or task.done():
            self._drainers[storage] = asyncio.create_task(
                self._drain(storage), name=f"upload drainer {storage}")

    async def drained(self) -> None:
        """Return once nothing is pending (tests, benchmarks; wrap in asyncio.timeout)."""
        while self.spool.storages():
            self._progress.clear()
            await self._progress.wait()

    async def _drain(self, storage: str) -> None:
        wakeup = self._wakeups[storage]
        backoff = Backoff(self.settings.backoff)
        while True:
            # Cleared before the look, not after it: an object enqueued while the storage
            # thread reads the heads sets the event again, and is not slept through.
            wakeup.clear()
            heads = await self.thread.run(functools.partial(
                self.spool.heads, storage, self.settings.concurrency))
            if not heads:
                await wakeup.wait()
                continue
            try:
                failed = await self._batch(storage, heads)
            except Exception as exc:  # the drainer's top-level guard: never die, retry
                log.exception("upload drainer %s failed", storage)
                failed = [(entry, UploadError(f"internal error: {exc}")) for entry in heads]
            self._progress.set()
            if not failed:
                backoff = Backoff(self.settings.backoff)
                continue
            await self._failed(storage, failed, backoff.next_delay(None))

    async def _failed(self, storage: str, failed: list[tuple[SpoolEntry, UploadError]],
                      delay: float) -> None:
        message = str(failed[0][1])
        self.failures[storage] = self.failures.get(storage, 0) + len(failed)
        await self.thread.run(functools.partial(
            self.spool.failed, storage, [entry for entry, _ in failed], message))
        if any(isinstance(error, StoreUnreachable) for _, error in failed):
            await self._discard(storage)  # its pooled connections may be the silent ones
        log.warning("uploads to %s failed (%s); retry in %.1f s", storage, message, delay)
        await asyncio.sleep(delay)

    async def _batch(self, storage: str,
                     heads: list[SpoolEntry]) -> list[tuple[SpoolEntry, UploadError]]:
        try:
            store = await self._store(storage)
        except UploadError as exc:
            return [(entry, exc) for entry in heads]
        results = await asyncio.gather(*(self._upload(store, entry) for entry in heads))
        return [(entry, error) for entry, error in zip(heads, results, strict=True) if error]

    async def _store(self, storage: str) -> ObjectStore:
        data = self.configs(storage)
        if data is None:
            raise UploadError(f"no storage configuration {storage!r}")
        cached = self._stores.get(storage)
        if cached is not None and cached[0] == data:
            return cached[1]
        await self._discard(storage)
        store = await self._open(data, self.settings.timeouts)
        self._stores[storage] = (data, store)
        return store

    async def _discard(self, storage: str) -> None:
        """Close the store and every connection it holds; the next batch opens anew."""
        cached = self._stores.pop(storage, None)
        if cached is not None:
            with contextlib.suppress(UploadError, OSError, TimeoutError):
                async with asyncio.timeout(self.settings.timeouts.connect):
                    await cached[1].close()

    async def _upload(self, store: ObjectStore, entry: SpoolEntry) -> UploadError | None:
        try:
            body = await asyncio.to_thread(self.spool.read_body, entry)
        except FileNotFoundError:
            await self.thread.run(functools.partial(self.spool.drop, [entry],
                                                    "spool file missing"))
            return None
        obj = UploadObject(entry.key, entry.content_type, body, bytes.fromhex(entry.md5),
                           entry.metadata)
        try:
            await store.put(obj)
        except UploadError as exc:
            return exc
        await self.thread.run(functools.partial(self.spool.confirmed, entry))
        return None

    async def _expire_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.retention_check)
            for recording, seconds in self.retention() if self.retention else ():
                if seconds > 0:
                    await self.thread.run(functools.partial(
                        self.spool.expire, recording, time.time() - seconds))
