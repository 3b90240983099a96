"""The recording engine's supervisor: jobs and arbitration in, recording tasks out.

It observes ``StateHolder`` commits (job mode, priority, configuration, deletion,
recording changes) and reconciles in one task: ``recording_plan.plans`` applies Annex A
arbitration to the stored jobs, a ``RecordingTask`` runs for each recording with a won
track, is updated when its feeds change and stopped (spans closed) when none is left.
Receivers are connected by the ingest supervisor, which also sees the Active jobs
(AutoConnect); this engine only subscribes to their sample queues.

At start-up local storage is recovered first (torn segments repaired, index reconciled),
so recording resumes after ``kill -9`` without a client doing anything. A 1 s tick lets
the flow tracker notice tracks that stopped and runs retention. Recovery, retention and
every task's writes run on one ``StorageThread`` (``engine.storage_writer``), never on
the event loop; the engine makes its own unless it is given the one it shares with the
upload manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass, field

from onvif_recorder.engine.flow import DEFAULT_TIMEOUT, FlowTracker
from onvif_recorder.engine.recording_plan import plans
from onvif_recorder.engine.recording_task import RecordingTask, SampleSource, TaskSettings
from onvif_recorder.engine.retention import Retention
from onvif_recorder.engine.storage_writer import StorageThread
from onvif_recorder.service.state import StateHolder
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.segment_index import SegmentRow
from onvif_recorder.storage.upload_queue import UploadSpool

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    segment_duration: float = 10.0
    """SegmentDuration of recordings without a Target (local storage), seconds."""
    flow_timeout: float = DEFAULT_TIMEOUT
    tick: float = 1.0
    task: TaskSettings = field(default_factory=TaskSettings)


class RecordingEngine:
    def __init__(self, holder: StateHolder, storage: LocalStorage, flow: FlowTracker,
                 source: SampleSource, settings: EngineSettings | None = None,
                 retention: Retention | None = None,
                 spool: UploadSpool | None = None,
                 thread: StorageThread | None = None) -> None:
        self.holder = holder
        self.storage = storage
        self.flow = flow
        self.source = source
        self.settings = settings or EngineSettings()
        self.retention = retention
        self.spool = spool
        """Upload spool of recordings with an object-storage Target (Annex B)."""
        self._owns_thread = thread is None
        self.thread = thread or StorageThread()
        self.tasks: dict[str, RecordingTask] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runners: list[asyncio.Task[None]] = []
        holder.observe(self._on_commit)
        holder.overrides.observers.append(self._on_commit)  # RC §5.24 overrides

    async def start(self) -> None:
        report = await self.thread.run(self.storage.recover)
        if report.repaired or report.dropped or report.forgotten:
            log.warning("local storage recovered: %d repaired, %d dropped, %d forgotten",
                        len(report.repaired), len(report.dropped), len(report.forgotten))
        self._loop = asyncio.get_running_loop()
        self._wake.set()
        self._runners = [asyncio.create_task(self._reconcile_forever(), name="recorder"),
                         asyncio.create_task(self._tick_forever(), name="recorder tick")]

    async def stop(self) -> None:
        for runner in self._runners:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        self._runners = []
        tasks, self.tasks = list(self.tasks.values()), {}
        await asyncio.gather(*(task.stop() for task in tasks))
        self._loop = None
        if self._owns_thread:
            self.thread.close()

    def _on_commit(self) -> None:
        # Commits may come from another thread (tests drive services directly).
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _reconcile_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.reconcile()

    async def reconcile(self) -> None:
        wanted = plans(self.holder.state, self.settings.segment_duration,
                       self.holder.overrides)
        stale = [token for token in self.tasks if token not in wanted]
        await asyncio.gather(*(self.tasks.pop(token).stop() for token in stale))
        for token, plan in wanted.items():
            task = self.tasks.get(token)
            if task is None:
                task = RecordingTask(plan, self.storage, self.flow, self.source,
                                     self.settings.task, self.thread, self._segment_written,
                                     self.spool)
                self.tasks[token] = task
            task.update(plan)

    def _segment_written(self, row: SegmentRow) -> None:
        if self.retention is not None:
            self.retention.segment_written(row)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick)
            self.flow.refresh()
            self.holder.overrides.expire()  # observers wake reconcile when one expired
            if self.retention is not None:
                try:
                    await self.thread.run(functools.partial(self.retention.enforce,
                                                            self.holder.state))
                except OSError:
                    log.exception("retention could not delete segments")
