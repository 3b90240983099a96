"""The recording engine's supervisor: jobs and arbitration in, recording tasks out.

It reconciles after every ``StateHolder`` commit (job mode, priority, configuration,
deletion, recording changes; ``engine.reconciler``), one pass at a time:
``recording.plan.plans`` applies Annex A arbitration to the stored jobs, a
``RecordingTask`` runs for each recording with a won track, is updated when its feeds
change and stopped (spans closed) when none is left: the plans go to a ``TaskRunner``,
``engine.recording_tasks.RecordingTasks`` in this process, or the worker pool
(``engine.workers``) that records them in worker processes.
Receivers are connected by the receiver supervisor, which also sees the Active jobs
(AutoConnect); the tasks only subscribe to their sample queues.

At start-up local storage is recovered first (torn segments repaired, index reconciled),
so recording resumes after ``kill -9`` without a client doing anything. A 1 s tick lets
the flow tracker notice tracks that stopped and runs retention. Recovery, retention,
data deletion and every task's writes run on one ``StorageThread``
(``engine.storage_writer``), never on the event loop; the supervisor makes its own unless
it is given the one it shares with the upload manager. With worker processes, recovery,
retention and data deletion stay here, in the front end (one process owns the data on
disk); the workers only write.

Recorded data follows the configuration (RC §5.5, §5.10): every commit is compared with
the track set before it (``storage.deletion.TrackSnapshot``); a deleted recording's task
is stopped, and a task whose tracks were renumbered by a DeleteTrack is restarted, before
``DataDeleter`` gets the deletion (``TaskRunner.apply`` returns only then), so no segment
of the deleted data is still open. At start-up, what a crash
left undeleted is found in the index and on disk and deleted then.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass, field

from onvif_recorder.engine.data_deletion import DataDeleter
from onvif_recorder.engine.reconciler import CommitReconciler
from onvif_recorder.engine.recording_task import TaskSettings
from onvif_recorder.engine.recording_tasks import TaskRunner
from onvif_recorder.engine.storage_writer import StorageThread
from onvif_recorder.recording.flow import DEFAULT_TIMEOUT
from onvif_recorder.recording.plan import KeyMemory, plans
from onvif_recorder.service.state import EventSink, StateHolder
from onvif_recorder.storage.deletion import (
    DataDeletion,
    TrackSnapshot,
    leftovers,
    recording_tracks,
)
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.retention import Retention

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    segment_duration: float = 10.0
    """SegmentDuration of recordings without a Target (local storage), seconds."""
    flow_timeout: float = DEFAULT_TIMEOUT
    tick: float = 1.0
    task: TaskSettings = field(default_factory=TaskSettings)


class RecordingSupervisor:
    def __init__(self, holder: StateHolder, storage: LocalStorage, runner: TaskRunner,
                 settings: EngineSettings | None = None,
                 retention: Retention | None = None, bus: EventSink | None = None,
                 thread: StorageThread | None = None,
                 keys: KeyMemory | None = None) -> None:
        self.holder = holder
        self.keys = keys
        """Generated keys kept across restarts: a deleted recording's are forgotten."""
        self.storage = storage
        self.runner = runner
        self.settings = settings or EngineSettings()
        self.retention = retention
        self._owns_thread = thread is None
        self.thread = thread or StorageThread()
        self.deleter = DataDeleter(storage, bus, self.thread)
        self._tracks = TrackSnapshot(holder.state.recordings)
        self._deletions: list[DataDeletion] = []
        self._reconciler = CommitReconciler(self.reconcile, "recordings")
        self._ticker: asyncio.Task[None] | None = None
        holder.observe(self._on_commit)
        holder.overrides.observers.append(self._reconciler.changed)  # RC §5.24 overrides

    async def start(self) -> None:
        report = await self.thread.run(self.storage.recover)
        if report.repaired or report.dropped or report.forgotten:
            log.warning("local storage recovered: %d repaired, %d dropped, %d forgotten",
                        len(report.repaired), len(report.dropped), len(report.forgotten))
        self._deletions += leftovers(recording_tracks(self.holder.state.recordings),
                                     self.storage.index.recorded_tracks(),
                                     self.storage.recordings_on_disk())
        self._reconciler.start()
        self._ticker = asyncio.create_task(self._tick_forever(), name="recordings tick")

    async def stop(self) -> None:
        await self._reconciler.stop()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self.runner.stop()
        await self.deleter.stop()
        if self._owns_thread:
            self.thread.close()

    def _on_commit(self) -> None:
        # Diffed at once, in commit order: a track token deleted and created again
        # before the next reconcile still has its old data deleted.
        self._deletions += self._tracks.observe(self.holder.state.recordings)
        self._reconciler.changed()

    async def reconcile(self) -> None:
        deletions, self._deletions = self._deletions, []
        conditions = self.holder.conditions
        wanted = plans(self.holder.state, self.settings.segment_duration,
                       self.holder.overrides, conditions.eligible,
                       {job: w.topic for job, w in conditions.windows.items()})
        await self.runner.apply(wanted)
        for deletion in deletions:  # their segments are closed now
            self.deleter.submit(deletion)
            if deletion.tracks is None and self.keys is not None:
                self.keys.forget(deletion.recording)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick)
            self.runner.tick()
            self.holder.overrides.expire()  # observers wake reconcile when one expired
            if self.retention is not None and not self.deleter.busy:
                try:
                    await self.thread.run(functools.partial(self.retention.enforce,
                                                            self.holder.state))
                except OSError:
                    log.exception("retention could not delete segments")

