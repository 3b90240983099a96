"""Runs ExportRecordedData operations (RC §5.21-5.23), asyncio shell.

At most ``parallel`` operations run at once, the others wait in arrival order. The file
work (reading segments, remuxing, hashing, signing: ``storage.export_writer``) runs on a
worker thread; progress comes back to the loop by ``call_soon_threadsafe``. A local
destination (a storage configuration with a LocalPath: the NFS/CIFS mount point) gets
the files directly under LocalPath/RelativePath, renamed there only once complete and
signed; an object-storage destination gets them staged in DATA_DIR/export-staging and
uploaded (S3, Azure, as recording targets are: ``storage.uploader``), each upload retried
``UPLOAD_ATTEMPTS`` times and confirmed by its MD5 before the file counts as done.

Events: ``Initialized`` when the token is returned, ``Changed`` as progress moves (at
most every ``EVENT_STEP`` of total progress, and whenever a file completes), ``Changed``
with ``Error`` on failure, and ``Deleted`` at the end, also after Stop (Core §8.9.7).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from onvif_recorder.domain.errors import BadConfiguration, ResourceProblem
from onvif_recorder.service.async_operation_events import AsynchronousOperationStatus
from onvif_recorder.service.events import EventBus, PropertyOperation
from onvif_recorder.service.exports import ExportOperation, ExportState, RecordingExport
from onvif_recorder.storage.export_writer import (
    ExportCancelled,
    ExportFailed,
    Fetch,
    local_segments,
    write_recording,
)
from onvif_recorder.storage.object_store import FileObject, UploadError
from onvif_recorder.storage.segment_index import Location, SegmentIndex, SegmentRow
from onvif_recorder.storage.signing_identity import SigningIdentity, load_or_create
from onvif_recorder.storage.uploader import open_file_store

log = logging.getLogger(__name__)

RemoteRead = Callable[[SegmentRow], Coroutine[Any, Any, bytes | None]]
PARALLEL = 2
MAX_UNFINISHED = 16  # running and queued; one more is ter:ResourceProblem
KEEP_FINISHED = 64
UPLOAD_ATTEMPTS = 3
EVENT_STEP = 0.1
STOP_GRACE = 0.5  # seconds Stop lets the file work notice it before cancelling
WRITE_SHARE = 0.9  # of a file's progress when it still has to be uploaded



class ExportRunner:
    def __init__(self, data_dir: Path, database: Path, bus: EventBus,
                 parallel: int = PARALLEL, retry_delay: float = 0.5,
                 fetch: Fetch | None = None) -> None:
        """``fetch`` reads a segment on the worker thread; by default local files only."""
        self.data_dir = data_dir
        self.fetch = fetch or local_segments(data_dir / "media")
        self.read_remote: RemoteRead | None = None
        """Reads object-storage segments (the web playback's SegmentReader), set by the
        application once it exists."""
        self.database = database
        self.bus = bus
        self.retry_delay = retry_delay
        self._slots = asyncio.Semaphore(parallel)
        self._operations: OrderedDict[str, ExportOperation] = OrderedDict()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._identity: SigningIdentity | None = None
        self._identity_lock = asyncio.Lock()
        bus.add_property_source(self._live_properties)

    def _live_properties(self) -> list[AsynchronousOperationStatus]:
        return [op.status(PropertyOperation.INITIALIZED)
                for op in list(self._operations.values()) if not op.finished]

    def new_token(self) -> str:
        return f"Export_{secrets.token_hex(6)}"

    def start(self, operation: ExportOperation) -> None:
        """Queue ``operation``; its Initialized event goes out now."""
        if len(self._tasks) >= MAX_UNFINISHED:
            raise ResourceProblem(f"{MAX_UNFINISHED} exports are running or queued already")
        for job in operation.jobs:
            operation.files[job.name] = 0.0
        self._operations[operation.token] = operation
        self._forget_old()
        self.bus.publish(operation.status(PropertyOperation.INITIALIZED))
        self._tasks[operation.token] = asyncio.get_running_loop().create_task(
            self._run(operation), name=f"export {operation.token}")

    def operation(self, token: str) -> ExportOperation:
        found = self._operations.get(token)
        if found is None:
            raise BadConfiguration(f"no export operation {token[:64]!r}")
        return found

    async def stop(self, token: str) -> ExportOperation:
        """StopExportRecordedData: files not finished are removed; returns the state."""
        operation = self.operation(token)
        operation.cancel.set()
        task = self._tasks.get(token)
        if task is not None:
            # The file work sees ``cancel`` between segments; an upload waiting on a
            # store is cancelled (the thread, if any, still stops at its next segment).
            grace = 0.0 if operation.state is ExportState.QUEUED else STOP_GRACE
            done, _ = await asyncio.wait([task], timeout=grace)
            if not done:
                task.cancel()
                await asyncio.wait([task])
        return operation

    async def recording_released(self, recording: str) -> None:
        """RC §5.21: a DeleteRecording waits until exports of ``recording`` finish."""
        waiting = [self._tasks[t] for t, op in self._operations.items()
                   if t in self._tasks and any(j.recording == recording for j in op.jobs)]
        if waiting:
            await asyncio.wait(waiting)

    async def close(self) -> None:
        """Shutdown: every export stops (as by Stop), unfinished files are removed."""
        for operation in self._operations.values():
            operation.cancel.set()
        tasks = list(self._tasks.values())
        if tasks:
            _, waiting = await asyncio.wait(tasks, timeout=STOP_GRACE)
            for task in waiting:
                task.cancel()
            await asyncio.wait(tasks)

    def _forget_old(self) -> None:
        finished = [t for t, op in self._operations.items() if op.finished]
        for token in finished[:max(len(finished) - KEEP_FINISHED, 0)]:
            del self._operations[token]

    async def _run(self, operation: ExportOperation) -> None:
        try:
            async with self._slots:
                if operation.cancel.is_set():
                    raise ExportCancelled(operation.token)
                operation.state = ExportState.RUNNING
                await self._export(operation)
            operation.state = ExportState.DONE
        except (ExportCancelled, asyncio.CancelledError):
            operation.state = ExportState.STOPPED
        except Exception as exc:  # any failure ends the operation and is reported
            log.warning("export %s failed: %s", operation.token, exc)
            operation.state, operation.error = ExportState.FAILED, str(exc)[:512]
            self.bus.publish(operation.status(PropertyOperation.CHANGED))
        finally:
            self._tasks.pop(operation.token, None)
            shutil.rmtree(self._staging(operation), ignore_errors=True)
            self.bus.publish(operation.status(PropertyOperation.DELETED))

    def _staging(self, operation: ExportOperation) -> Path:
        return self.data_dir / "export-staging" / operation.token

    def _directory(self, operation: ExportOperation) -> Path:
        local = operation.storage.data.local_path
        if operation.storage.data.is_object_storage or not local:
            return self._staging(operation)
        # Never create the mount point itself: writing into an unmounted one would fill
        # the recorder's own disk with the evidence meant for the share.
        if not Path(local).is_dir():
            raise ExportFailed(f"LocalPath {local} is not a directory (is the share mounted?)")
        return Path(local) / operation.relative_path

    async def _export(self, operation: ExportOperation) -> None:
        async with self._identity_lock:  # created once, even by two first exports
            if self._identity is None:
                self._identity = await asyncio.to_thread(load_or_create, self.data_dir)
        for job in operation.jobs:
            files = await self._write(operation, job)
            for path in files:
                if operation.storage.data.is_object_storage:
                    await self._upload(operation, path)
                self._progress(operation, path.name, 1.0, force=True)

    async def _write(self, operation: ExportOperation, job: RecordingExport) -> list[Path]:
        loop = asyncio.get_running_loop()
        share = WRITE_SHARE if operation.storage.data.is_object_storage else 0.99
        assert self._identity is not None

        def progress(value: float) -> None:
            loop.call_soon_threadsafe(self._progress, operation, job.name, value * share)

        rows = await asyncio.to_thread(self._rows, job)
        return await asyncio.to_thread(
            write_recording, job, rows, self._fetch_on(loop), self._directory(operation),
            self._identity, operation.cancel, progress)

    def _fetch_on(self, loop: asyncio.AbstractEventLoop) -> Fetch:
        """Local segments from ``fetch``; the others (uploaded, or waiting in the spool)
        through ``read_remote`` on the event loop, when one is given."""
        local, remote = self.fetch, self.read_remote
        if remote is None:
            return local

        def fetch(row: SegmentRow) -> bytes | None:
            if row.location is Location.LOCAL:
                return local(row)
            return asyncio.run_coroutine_threadsafe(remote(row), loop).result()

        return fetch

    def _rows(self, job: RecordingExport) -> list[SegmentRow]:
        index = SegmentIndex(self.database)
        try:
            return index.overlapping(job.recording, job.start_utc, job.end_utc)
        finally:
            index.close()

    def _progress(self, operation: ExportOperation, name: str, value: float,
                  force: bool = False) -> None:
        before = operation.progress
        operation.files[name] = max(operation.files.get(name, 0.0), min(value, 1.0))
        if force or operation.progress - before >= EVENT_STEP or \
                int(operation.progress / EVENT_STEP) > int(before / EVENT_STEP):
            self.bus.publish(operation.status(PropertyOperation.CHANGED))

    async def _upload(self, operation: ExportOperation, path: Path) -> None:
        """The file in parts (S3 multipart, Azure blocks): never all of it in memory."""
        key = operation.location(path.name)
        obj = FileObject(key, "video/mp4", str(path))
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            if operation.cancel.is_set():
                raise ExportCancelled(operation.token)
            try:
                store = await open_file_store(operation.storage.data)
                try:
                    await store.put_file(obj)
                finally:
                    with contextlib.suppress(Exception):
                        await store.close()
                return
            except UploadError as exc:
                log.warning("export %s: upload of %s failed (attempt %d of %d): %s",
                            operation.token, key, attempt, UPLOAD_ATTEMPTS, exc)
                if attempt == UPLOAD_ATTEMPTS:
                    raise UploadError(f"upload of {key} failed {attempt} times: {exc}") \
                        from exc
                await asyncio.sleep(self.retry_delay * attempt)
