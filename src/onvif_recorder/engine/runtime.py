"""Composition of the running engine: ingest supervisor, recording engine, local storage.

``engine_media_flow()`` is the ``MediaFlow`` to build the services with (receiver states
from the ingest supervisor, job media flow from the recording engine's ``FlowTracker``);
``engine_context`` is the aiohttp cleanup context that starts both supervisors after the
app starts and stops them (spans closed, TEARDOWN sent) before the store closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from onvif_recorder.engine.flow import FlowTracker
from onvif_recorder.engine.receiver_task import IngestConfig
from onvif_recorder.engine.recorder import EngineSettings, RecordingEngine
from onvif_recorder.engine.retention import Retention
from onvif_recorder.engine.supervisor import IngestMediaFlow, IngestSupervisor, ReceiverStates
from onvif_recorder.service.events import EventBus
from onvif_recorder.service.job_states import EngineEvents
from onvif_recorder.service.state import StateHolder
from onvif_recorder.settings import RecorderSettings
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.segment_index import SegmentIndex

Context = Callable[[web.Application], AsyncIterator[None]]


def engine_media_flow() -> IngestMediaFlow:
    return IngestMediaFlow(ReceiverStates(), FlowTracker())


def local_storage(settings: RecorderSettings) -> LocalStorage:
    index = SegmentIndex(settings.database_path)
    return LocalStorage(settings.data_dir / "media", index, settings.fsync_interval)


def engine_context(settings: RecorderSettings, holder: StateHolder, bus: EventBus,
                   events: EngineEvents, media: IngestMediaFlow,
                   ingest_config: IngestConfig | None = None) -> Context:
    flow = media.inner
    if not isinstance(flow, FlowTracker):
        raise TypeError("build the services with engine_media_flow()")
    tracker: FlowTracker = flow

    async def run(_: web.Application) -> AsyncIterator[None]:
        tracker.on_change = events.media_flow_changed
        ingest = IngestSupervisor(holder, events, ingest_config, states=media.states)
        storage = local_storage(settings)
        engine = RecordingEngine(
            holder, storage, tracker, ingest, EngineSettings(settings.segment_duration),
            Retention(storage, bus, settings.disk_reserve))
        await engine.start()
        await ingest.start()
        yield
        await engine.stop()
        await ingest.stop()
        storage.index.close()

    return run
