"""ExportRecordedSegments running (RC 26.06 §5.27, Annex C.3): the asyncio shell.

Jobs (``service.recorded_segments.ExportJob``) run one at a time in the order they were
asked (Annex C.3 allows queueing), each segment in chronological order: its local file
read whole (segments are a few MB), sent as one object with its MD5 through the object
store client the storage configuration names (``storage.uploader``: S3 or Azure, each
PUT confirmed against the MD5, so an object is either all there or not there), retried
``attempts`` times with backoff, the store reopened after every failure. The file is
uploaded as it is, so exporting a segment twice gives the same object.

Events (``tns1:Monitoring/AsynchronousOperationStatus``): ``Initialized`` (Progress 0)
when the job is accepted, one ``Changed`` per uploaded segment with exactly one
FileProgress (its StorageUri + key, Progress 1), and ``Deleted`` when the job ends:
Progress 1 when every segment is up; after StopExportRecordedSegments with the progress
reached; on a failure that outlasted the retries a ``Changed`` with the ``Error`` first.
A segment deleted locally (retention) before its turn is skipped. New subscribers get
the jobs not yet ended as ``Initialized`` (it is a property).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from onvif_recorder.domain import errors
from onvif_recorder.domain.storage import StorageConfigurationData
from onvif_recorder.ingest.backoff import Backoff, BackoffPolicy
from onvif_recorder.service.async_operation_events import (
    AsynchronousOperationStatus,
    FileProgress,
    FileProgressStatus,
    OperationError,
)
from onvif_recorder.service.events import DomainEvent, EventBus, PropertyOperation
from onvif_recorder.service.recorded_segments import OPERATION_NAME, ExportItem, ExportJob
from onvif_recorder.storage.object_store import (
    ObjectStore,
    StoreTimeouts,
    UploadError,
    UploadObject,
)
from onvif_recorder.storage.uploader import open_store

log = logging.getLogger(__name__)
MAX_QUEUED = 64

ConfigLookup = Callable[[str], StorageConfigurationData | None]
StoreOpener = Callable[[StorageConfigurationData, StoreTimeouts], Awaitable[ObjectStore]]


@dataclass(frozen=True, slots=True)
class ExportSettings:
    attempts: int = 4
    backoff: BackoffPolicy = field(default_factory=lambda: BackoffPolicy(0.5, 4.0))
    timeouts: StoreTimeouts = field(default_factory=StoreTimeouts)


@dataclass(slots=True)
class _Progress:
    job: ExportJob
    done: int = 0
    complete: bool = False

    @property
    def fraction(self) -> float:
        if not self.job.items:
            return 1.0 if self.complete else 0.0
        return self.done / len(self.job.items)


class SegmentExports:
    def __init__(self, bus: EventBus, configs: ConfigLookup,
                 settings: ExportSettings | None = None,
                 opener: StoreOpener = open_store) -> None:
        self.bus = bus
        self.configs = configs
        self.settings = settings or ExportSettings()
        self._open = opener
        self._queued: deque[_Progress] = deque()
        self._current: tuple[_Progress, asyncio.Task[None]] | None = None
        self._wake = asyncio.Event()
        bus.add_property_source(self.properties)

    # --- control (called by the SOAP handlers, on the loop) ---------------------------

    def submit(self, job: ExportJob) -> None:
        if len(self._queued) >= MAX_QUEUED:
            raise errors.ResourceProblem(f"{MAX_QUEUED} segment exports are already queued")
        progress = _Progress(job)
        self._queued.append(progress)
        self._publish(progress, PropertyOperation.INITIALIZED)
        self._wake.set()

    def stop(self, token: str) -> None:
        """StopExportRecordedSegments; ``NoOperation`` for a token of no queued or
        running job."""
        for progress in self._queued:
            if progress.job.token == token:
                self._queued.remove(progress)
                self._publish(progress, PropertyOperation.DELETED)
                return
        if self._current is not None and self._current[0].job.token == token:
            self._current[1].cancel()  # _run publishes Deleted
            return
        raise errors.NoOperation(f"no segment export {token[:64]!r}")

    def properties(self) -> Iterable[DomainEvent]:
        running = [self._current[0]] if self._current is not None else []
        return [self._event(p, PropertyOperation.INITIALIZED)
                for p in [*running, *self._queued]]

    # --- the worker -------------------------------------------------------------------

    async def run_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queued:
                progress = self._queued.popleft()
                task = asyncio.create_task(self._run(progress), name=progress.job.token)
                self._current = (progress, task)
                try:
                    await asyncio.wait({task})
                finally:
                    if not task.done():  # the worker itself is cancelled (shutdown)
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
                    self._current = None

    async def _run(self, progress: _Progress) -> None:
        job = progress.job
        store: ObjectStore | None = None
        try:
            for item in job.items:
                store, uploaded = await self._upload(job, item, store)
                progress.done += 1
                if uploaded:
                    self._uploaded(progress, item)
        except asyncio.CancelledError:
            self._publish(progress, PropertyOperation.DELETED)
            raise
        except UploadError as exc:
            log.warning("segment export %s to %s failed: %s", job.token, job.storage, exc)
            self._publish(progress, PropertyOperation.CHANGED, error=OperationError(str(exc)))
            self._publish(progress, PropertyOperation.DELETED)
            return
        finally:
            if store is not None:
                await self._close(store)
        progress.complete = True
        self._publish(progress, PropertyOperation.DELETED)

    async def _upload(self, job: ExportJob, item: ExportItem,
                      store: ObjectStore | None) -> tuple[ObjectStore | None, bool]:
        """Uploads ``item``: (the store to use next, False if the file was gone)."""
        try:
            body = await asyncio.to_thread(item.path.read_bytes)
        except FileNotFoundError:
            log.info("segment export %s: %s was deleted before its turn", job.token, item.key)
            return store, False
        obj = UploadObject(item.key, item.content_type, body,
                           hashlib.md5(body, usedforsecurity=False).digest())
        backoff = Backoff(self.settings.backoff)
        for attempt in range(1, self.settings.attempts + 1):
            try:
                store = store or await self._store(job.storage)
                await store.put(obj)
                return store, True
            except UploadError as exc:
                if store is not None:
                    await self._close(store)
                store = None
                if attempt == self.settings.attempts:
                    raise UploadError(f"{item.key}: {exc} (after {attempt} attempts)") from exc
                await asyncio.sleep(backoff.next_delay(None))
        raise AssertionError("unreachable")

    async def _store(self, storage: str) -> ObjectStore:
        data = self.configs(storage)
        if data is None:
            raise UploadError(f"no storage configuration {storage!r}")
        return await self._open(data, self.settings.timeouts)

    async def _close(self, store: ObjectStore) -> None:
        with contextlib.suppress(UploadError, OSError, TimeoutError):
            async with asyncio.timeout(self.settings.timeouts.connect):
                await store.close()

    # --- events -----------------------------------------------------------------------

    def _uploaded(self, progress: _Progress, item: ExportItem) -> None:
        files = FileProgressStatus((FileProgress(item.file_name, 1.0),))
        self._publish(progress, PropertyOperation.CHANGED, files=files)

    def _publish(self, progress: _Progress, operation: PropertyOperation, *,
                 files: FileProgressStatus | None = None,
                 error: OperationError | None = None) -> None:
        self.bus.publish(self._event(progress, operation, files, error))

    def _event(self, progress: _Progress, operation: PropertyOperation,
               files: FileProgressStatus | None = None,
               error: OperationError | None = None) -> AsynchronousOperationStatus:
        job = progress.job
        return AsynchronousOperationStatus(job.token, OPERATION_NAME, job.service_name,
                                           progress.fraction, operation, files, error,
                                           job.alias)
