"""Drains the upload spool into the object stores: one drainer task per storage.

Each drainer takes the oldest pending object of every span of its storage (at most
``concurrency`` spans at once), uploads them concurrently, and deletes each spooled
object only once its store confirmed the MD5 (``storage.uploader``). Within a span the
next object waits for the previous one, so a span's objects arrive in key order and the
span-end object last. On failure the drainer sleeps with capped exponential backoff
(``initial`` doubling up to ``maximum``) and retries the same objects; a new enqueue
wakes an idle drainer. Credentials and URIs are read from the storage configuration
before every batch, so SetStorageConfiguration takes effect without a restart.

MaximumRetentionTime applies to the spool too: pending objects older than it are
dropped (the store keeps what it already has: uploaded objects are never deleted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from onvif_recorder.domain.storage import StorageConfigurationData
from onvif_recorder.storage.upload_queue import SpoolEntry, UploadSpool
from onvif_recorder.storage.uploader import ObjectStore, UploadError, UploadObject, open_store

log = logging.getLogger(__name__)

ConfigLookup = Callable[[str], StorageConfigurationData | None]
RetentionLookup = Callable[[], Iterable[tuple[str, float]]]
"""(recording token, MaximumRetentionTime in seconds, 0 = unlimited) of every recording."""


@dataclass(frozen=True, slots=True)
class UploadSettings:
    concurrency: int = 4
    """Spans of one storage uploaded at the same time."""
    initial: float = 0.5
    maximum: float = 30.0
    retention_check: float = 10.0


class UploadManager:
    def __init__(self, spool: UploadSpool, configs: ConfigLookup,
                 settings: UploadSettings | None = None,
                 retention: RetentionLookup | None = None,
                 opener: Callable[[StorageConfigurationData], Awaitable[ObjectStore]]
                 = open_store) -> None:
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

    async def start(self) -> None:
        """Start draining; the spool must have been swept (``spool_recovery.sweep``)."""
        self.spool.listeners.append(self.wake)
        for storage in self.spool.storages():
            self.wake(storage)
        self._janitor = asyncio.create_task(self._expire_forever(), name="spool retention")

    async def stop(self) -> None:
        tasks = [*self._drainers.values(), *([self._janitor] if self._janitor else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._drainers.clear()
        for _, store in self._stores.values():
            with contextlib.suppress(UploadError, OSError):
                await store.close()
        self._stores.clear()
        with contextlib.suppress(ValueError):
            self.spool.listeners.remove(self.wake)

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
        delay = self.settings.initial
        while True:
            heads = self.spool.heads(storage, self.settings.concurrency)
            if not heads:
                wakeup.clear()
                await wakeup.wait()
                continue
            try:
                failed = await self._batch(storage, heads)
            except Exception as exc:  # the drainer's top-level guard: never die, retry
                log.exception("upload drainer %s failed", storage)
                failed = [(entry, f"internal error: {exc}") for entry in heads]
            self._progress.set()
            if not failed:
                delay = self.settings.initial
                continue
            self.spool.failed(storage, [e for e, _ in failed], failed[0][1])
            log.warning("uploads to %s failed (%s); retry in %.1f s", storage, failed[0][1],
                        delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.maximum)

    async def _batch(self, storage: str,
                     heads: list[SpoolEntry]) -> list[tuple[SpoolEntry, str]]:
        try:
            store = await self._store(storage)
        except UploadError as exc:
            return [(entry, str(exc)) for entry in heads]
        results = await asyncio.gather(*(self._upload(store, entry) for entry in heads))
        return [(entry, error) for entry, error in zip(heads, results, strict=True) if error]

    async def _store(self, storage: str) -> ObjectStore:
        data = self.configs(storage)
        if data is None:
            raise UploadError(f"no storage configuration {storage!r}")
        cached = self._stores.get(storage)
        if cached is not None and cached[0] == data:
            return cached[1]
        if cached is not None:
            self._stores.pop(storage)
            await cached[1].close()
        store = await self._open(data)
        self._stores[storage] = (data, store)
        return store

    async def _upload(self, store: ObjectStore, entry: SpoolEntry) -> str | None:
        try:
            body = await asyncio.to_thread(self.spool.read_body, entry)
        except FileNotFoundError:
            self.spool.drop([entry], "spool file missing")
            return None
        obj = UploadObject(entry.key, entry.content_type, body, bytes.fromhex(entry.md5),
                           entry.metadata)
        try:
            await store.put(obj)
        except UploadError as exc:
            return str(exc)
        self.spool.confirmed(entry)
        return None

    async def _expire_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.retention_check)
            for recording, seconds in self.retention() if self.retention else ():
                if seconds > 0:
                    self.spool.expire(recording, time.time() - seconds)
