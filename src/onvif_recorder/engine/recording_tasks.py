"""The recording tasks of one process: plans in, ``RecordingTask``s running.

``apply`` gets the plans that should record now (``recording.plan.plans``, computed by
whoever owns the configuration) and makes the running tasks match, one call at a time:
a task whose recording is no longer wanted, or whose tracks were renumbered by a
DeleteTrack (``RecordingPlan.track_ids`` follow the track order), is stopped (its spans
closed) before anything else happens; the others are created or updated. When
``apply`` returns, no task of a recording that is not in ``wanted`` is still writing,
which is what lets the caller delete that recording's data.

The front end of a multi-process recorder runs none of these; each worker process runs
one for the recordings placed on it (``engine.workers``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from onvif_recorder.engine.pre_event import PreEventBuffers
from onvif_recorder.engine.recording_task import RecordingTask, TaskSettings
from onvif_recorder.engine.samples import SampleSource
from onvif_recorder.engine.storage_writer import StorageThread
from onvif_recorder.recording.flow import FlowTracker
from onvif_recorder.recording.plan import KeyMemory, RecordingPlan
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.segment_index import SegmentRow
from onvif_recorder.storage.upload_queue import UploadSpool


class TaskRunner(Protocol):
    """Where the supervisor's plans are recorded: this process or worker processes."""

    async def apply(self, wanted: dict[str, RecordingPlan]) -> None: ...

    def tick(self) -> None: ...

    async def stop(self) -> None: ...


class RecordingTasks:
    def __init__(self, storage: LocalStorage, flow: FlowTracker, source: SampleSource,
                 thread: StorageThread, settings: TaskSettings | None = None,
                 spool: UploadSpool | None = None, keys: KeyMemory | None = None,
                 pre_event: PreEventBuffers | None = None,
                 on_segment: Callable[[SegmentRow], None] = lambda row: None) -> None:
        self.storage = storage
        self.flow = flow
        self.source = source
        self.thread = thread
        self.settings = settings or TaskSettings()
        self.spool = spool
        """Upload spool of recordings with an object-storage Target (Annex B)."""
        self.keys = keys
        """Generated keys kept across restarts (``engine/key_memory.py``)."""
        self.pre_event = pre_event
        """Pre-event buffers of waiting event jobs; their readers start from them."""
        self.on_segment = on_segment
        self.tasks: dict[str, RecordingTask] = {}

    async def apply(self, wanted: dict[str, RecordingPlan]) -> None:
        stale = [token for token, task in self.tasks.items()
                 if token not in wanted or _renumbered(task.plan, wanted[token])]
        await asyncio.gather(*(self.tasks.pop(token).stop() for token in stale))
        for token, plan in wanted.items():
            task = self.tasks.get(token)
            if task is None:
                task = RecordingTask(plan, self.storage, self.flow, self.source,
                                     self.settings, self.thread, self.on_segment,
                                     self.spool, keys=self.keys, pre_event=self.pre_event)
                self.tasks[token] = task
            task.update(plan)

    def tick(self) -> None:
        """Once a second: notice tracks that stopped receiving (``FlowTracker``)."""
        self.flow.refresh()

    async def stop(self) -> None:
        tasks, self.tasks = list(self.tasks.values()), {}
        await asyncio.gather(*(task.stop() for task in tasks))


def _renumbered(running: RecordingPlan, wanted: RecordingPlan) -> bool:
    """Did a track of the running task lose its track_ID (deleted or moved)?"""
    return any(wanted.track_id(token) != track_id for token, track_id in running.track_ids)
