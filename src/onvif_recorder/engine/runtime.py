"""Composition of the running engine: ingest supervisor, recording engine, local storage.

``engine_media_flow()`` is the ``MediaFlow`` to build the services with (receiver states
from the ingest supervisor, job media flow from the recording engine's ``FlowTracker``);
``engine_context`` is the aiohttp cleanup context that starts both supervisors after the
app starts and stops them (spans closed, TEARDOWN sent) before the store closes.
Object-storage targets go through the upload spool (``<data dir>/spool``), drained by
``engine.uploads.UploadManager`` from start-up on (what a crash left is uploaded first).
Both share one ``StorageThread`` for their blocking file and journal work.

This is the engine of one process (library use, tests, ``bench/``); ``onvif-recorder
serve`` runs the same parts in worker processes (``engine.workers.context``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sized
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from onvif_recorder.domain.storage import StorageConfigurationData
from onvif_recorder.engine.camera_events import CameraEvents
from onvif_recorder.engine.key_memory import KeyFile
from onvif_recorder.engine.pre_event import PreEventBuffers
from onvif_recorder.engine.receiver_supervisor import (
    IngestMediaFlow,
    ReceiverStates,
    ReceiverSupervisor,
)
from onvif_recorder.engine.receiver_task import IngestConfig
from onvif_recorder.engine.recording_supervisor import EngineSettings, RecordingSupervisor
from onvif_recorder.engine.recording_tasks import RecordingTasks, TaskRunner
from onvif_recorder.engine.statistics import Statistics, collect
from onvif_recorder.engine.storage_writer import StorageThread
from onvif_recorder.engine.uploads import UploadManager, UploadSettings
from onvif_recorder.events.camera_topics import CameraTopics
from onvif_recorder.ingest.backoff import BackoffPolicy
from onvif_recorder.recording.flow import FlowTracker
from onvif_recorder.recording.plan import seconds
from onvif_recorder.service.events import EventBus
from onvif_recorder.service.job_states import EngineEvents
from onvif_recorder.service.state import StateHolder
from onvif_recorder.settings import RecorderSettings
from onvif_recorder.soap.mapping.recorded_events import recorded_notifications
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.media_roots import MediaRoots
from onvif_recorder.storage.object_sink import reconcile_object_rows
from onvif_recorder.storage.object_store import StoreTimeouts
from onvif_recorder.storage.retention import Retention
from onvif_recorder.storage.segment_index import SegmentIndex
from onvif_recorder.storage.spool_recovery import sweep
from onvif_recorder.storage.upload_queue import SpoolEntry, UploadSpool

Context = Callable[[web.Application], AsyncIterator[None]]


class StatisticsSource(Protocol):
    def statistics(self) -> Statistics: ...


@dataclass(slots=True)
class RunningEngine:
    """The engine's parts while it runs (None before start and after stop): what the
    metrics collector reads its counters from."""

    ingest: ReceiverSupervisor | None = None
    tasks: RecordingTasks | None = None
    uploads: UploadManager | None = None
    receiver_states: ReceiverStates | None = None
    workers: StatisticsSource | None = None
    """The worker pool, when recording happens in worker processes."""
    replay_connections: Sized = ()
    """The replay RTSP server's open connections (``engine.rtsp_server``)."""

    def statistics(self) -> Statistics:
        if self.workers is not None:
            return self.workers.statistics()
        tasks = self.tasks
        receivers = [] if self.ingest is None else list(self.ingest.holder.state.receivers)
        return collect(receivers, self.ingest, tasks,
                       None if tasks is None else tasks.pre_event)


def engine_media_flow() -> IngestMediaFlow:
    return IngestMediaFlow(ReceiverStates(), FlowTracker())


def local_storage(settings: RecorderSettings) -> LocalStorage:
    index = SegmentIndex(settings.database_path)
    roots = MediaRoots(settings.media_root, settings.all_media_roots)
    return LocalStorage(roots, index, settings.fsync_interval)


def open_spool(settings: RecorderSettings, index: SegmentIndex) -> UploadSpool:
    """The upload spool; what it drops is forgotten by the segment index too."""
    spool = UploadSpool(settings.data_dir / "spool", settings.database_path,
                        settings.spool_max_bytes, fsync_interval=settings.fsync_interval)

    def forget(entries: list[SpoolEntry]) -> None:
        for entry in entries:
            index.delete([entry.key], entry.storage)

    spool.drop_listeners.append(forget)
    return spool


def upload_manager(settings: RecorderSettings, holder: StateHolder,
                   index: SegmentIndex, thread: StorageThread | None = None) -> UploadManager:
    """The drainers over a swept spool whose segment index rows are settled."""
    spool = open_spool(settings, index)
    sweep(spool)  # before any upload: reconcile_object_rows reads the repaired files
    reconcile_object_rows(index, spool)

    def config(token: str) -> StorageConfigurationData | None:
        found = holder.state.storage.get(token)
        return None if found is None else found.data

    def retention() -> list[tuple[str, float]]:
        return [(r.token, seconds(r.configuration.maximum_retention_time))
                for r in holder.state.recordings.values()]

    return UploadManager(spool, config, upload_settings(settings), retention, thread=thread)


def upload_settings(settings: RecorderSettings) -> UploadSettings:
    longest = settings.upload_backoff_max
    return UploadSettings(
        backoff=BackoffPolicy(initial=min(0.5, longest), maximum=longest),
        timeouts=StoreTimeouts(settings.upload_connect_timeout,
                               settings.upload_progress_timeout, settings.upload_min_rate))


@dataclass(slots=True)
class DataSide:
    """What owns the recorded data as a whole, in the process that keeps the
    configuration: local storage, the storage thread, the upload drainers, the generated
    keys, and the recording supervisor over them (recovery, retention, deletion)."""

    storage: LocalStorage
    thread: StorageThread
    uploads: UploadManager
    keys: KeyFile

    @classmethod
    def open(cls, settings: RecorderSettings, holder: StateHolder) -> DataSide:
        storage = local_storage(settings)
        thread = StorageThread()
        return cls(storage, thread, upload_manager(settings, holder, storage.index, thread),
                   KeyFile(settings.data_dir / "generated-keys.json"))

    def supervisor(self, settings: RecorderSettings, holder: StateHolder, bus: EventBus,
                   runner: TaskRunner) -> RecordingSupervisor:
        return RecordingSupervisor(
            holder, self.storage, runner, EngineSettings(settings.segment_duration),
            Retention(self.storage, bus, settings.disk_reserve), bus, self.thread, self.keys)

    async def close(self) -> None:
        await self.uploads.stop()
        self.thread.close()
        self.uploads.spool.close()
        self.storage.index.close()


def engine_context(settings: RecorderSettings, holder: StateHolder, bus: EventBus,
                   events: EngineEvents, media: IngestMediaFlow,
                   ingest_config: IngestConfig | None = None,
                   running: RunningEngine | None = None,
                   camera_topics: CameraTopics | None = None) -> Context:
    flow = media.inner
    if not isinstance(flow, FlowTracker):
        raise TypeError("build the services with engine_media_flow()")
    tracker: FlowTracker = flow

    async def run(_: web.Application) -> AsyncIterator[None]:
        tracker.on_change = events.media_flow_changed
        ingest = ReceiverSupervisor(holder, events, ingest_config, states=media.states)
        ingest.camera_events = CameraEvents(bus, recorded_notifications, camera_topics)
        data = DataSide.open(settings, holder)
        pre_event = PreEventBuffers(holder, ingest, settings.limits.pre_event_max_bytes)
        tasks = RecordingTasks(data.storage, tracker, ingest, data.thread,
                               spool=data.uploads.spool, keys=data.keys, pre_event=pre_event)
        engine = data.supervisor(settings, holder, bus, tasks)
        await data.uploads.start()
        await engine.start()
        await ingest.start()
        pre_event.start()
        if running is not None:
            running.ingest, running.tasks, running.uploads = ingest, tasks, data.uploads
            running.receiver_states = media.states
        yield
        if running is not None:
            running.ingest, running.tasks, running.uploads = None, None, None
        await engine.stop()
        await pre_event.stop()
        await ingest.stop()
        await data.close()

    return run
