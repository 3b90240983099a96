"""The engine of ``onvif-recorder serve``: the front end and its worker processes.

The front end (this process: SOAP, events, web, replay, search) keeps the configuration
and everything that touches recorded data as a whole: start-up recovery, the deletion of
what a crash left, data deletion (RC §5.5, §5.10), retention, the upload drainers and the
generated keys' cleanup. Receivers and recording tasks run in ``count`` worker processes
(``[recording] workers``, 0: one per CPU core), placed by ``engine.workers.shards``. The
recording supervisor is the same as in one process (``engine.runtime``); its
``TaskRunner`` is the ``WorkerPool``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator

from aiohttp import web

from onvif_recorder.engine.receiver_supervisor import IngestMediaFlow, ReceiverStates
from onvif_recorder.engine.runtime import Context, DataSide, RunningEngine
from onvif_recorder.engine.workers.lock import WorkerLock
from onvif_recorder.engine.workers.pool import PoolPeers, WorkerPool
from onvif_recorder.engine.workers.remote_flow import RemoteFlow
from onvif_recorder.engine.workers.worker import WorkerArgs
from onvif_recorder.events.camera_topics import CameraTopics
from onvif_recorder.events.topics import message_of
from onvif_recorder.service.events import CameraEvent, DomainEvent, EventBus
from onvif_recorder.service.job_states import EngineEvents
from onvif_recorder.service.state import StateHolder
from onvif_recorder.settings import RecorderSettings

log = logging.getLogger(__name__)


def worker_count(settings: RecorderSettings) -> int:
    return settings.workers or os.cpu_count() or 1


def pool_media_flow() -> IngestMediaFlow:
    """The ``MediaFlow`` to build the services with when workers record."""
    return IngestMediaFlow(ReceiverStates(), RemoteFlow())


def workers_context(settings: RecorderSettings, holder: StateHolder, bus: EventBus,
                    events: EngineEvents, media: IngestMediaFlow,
                    worker: WorkerArgs, running: RunningEngine | None = None,
                    camera_topics: CameraTopics | None = None) -> Context:
    """``worker``: what every worker is started with (its ``number`` is replaced)."""
    flow = media.inner
    if not isinstance(flow, RemoteFlow):
        raise TypeError("build the services with pool_media_flow()")
    remote: RemoteFlow = flow

    def publish(found: tuple[DomainEvent, ...]) -> None:
        for event in found:
            if isinstance(event, CameraEvent) and camera_topics is not None:
                camera_topics.add(message_of(event).topic)  # GetEventProperties lists it
        bus.publish(*found)

    async def run(_: web.Application) -> AsyncIterator[None]:
        remote.on_change = events.media_flow_changed
        if not WorkerLock(settings.data_dir).wait_for_old_workers():
            log.error("a recording worker of an earlier run still holds %s/workers.lock",
                      settings.data_dir)
        data = DataSide.open(settings, holder)
        peers = PoolPeers(events, media.states, remote, publish, data.uploads.wake)
        pool = WorkerPool(holder, peers, lambda number: _numbered(worker, number),
                          worker_count(settings))
        engine = data.supervisor(settings, holder, bus, pool)
        await data.uploads.start()
        await pool.start()
        await engine.start()  # recovery first: the first snapshot goes out after it
        if running is not None:
            running.uploads, running.workers = data.uploads, pool
            running.receiver_states = media.states
        yield
        if running is not None:
            running.uploads, running.workers = None, None
        await engine.stop()
        await data.close()

    return run


def _numbered(worker: WorkerArgs, number: int) -> WorkerArgs:
    return WorkerArgs(number, worker.settings, worker.ingest, worker.log_level,
                      worker.log_format)

