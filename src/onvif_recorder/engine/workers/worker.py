"""A worker process: receivers and recording tasks of the recordings placed on it.

It runs the same parts as the one-process engine (``engine.runtime``) over a *replica*
of the configuration: a ``StateHolder`` whose state is replaced by every ``Snapshot`` the
front end sends (never committed here), so the receiver supervisor, the pre-event buffers
and the recording tasks reconcile exactly as they do in one process. What they report
goes back over the pipe (``messages``). The front end keeps the data duties (recovery,
retention, deletion, uploads); a worker only writes segments, the index rows of what it
wrote and the upload spool, all of which are safe to share between processes (SQLite
in WAL mode, files of one recording written by one process).

The worker ends when the front end says ``Shutdown`` (spans closed, TEARDOWN sent). It
never outlives the front end: if that dies (``kill -9``, a crash), the kernel kills the
worker at once (``PR_SET_PDEATHSIG``), as if the whole recorder had been killed, so the
next start repairs what both left and no old worker writes beside the new ones; the
front end also waits for the lock every worker holds (``WorkerLock``) before it
recovers anything. Its pipe closing (any other way the front end goes) stops it too.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import gc
import logging
import multiprocessing
import os
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection

from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.engine.camera_events import CameraEvents
from onvif_recorder.engine.key_memory import KeyFile
from onvif_recorder.engine.pre_event import PreEventBuffers
from onvif_recorder.engine.receiver_supervisor import ReceiverSupervisor
from onvif_recorder.engine.receiver_task import IngestConfig
from onvif_recorder.engine.recording_tasks import RecordingTasks
from onvif_recorder.engine.runtime import local_storage, open_spool
from onvif_recorder.engine.statistics import Statistics, collect, this_process
from onvif_recorder.engine.storage_writer import StorageThread
from onvif_recorder.engine.workers.channel import Channel
from onvif_recorder.engine.workers.lock import WorkerLock
from onvif_recorder.engine.workers.messages import (
    Applied,
    FlowChanged,
    Published,
    ReceiverChanged,
    ReceiverFailed,
    Shutdown,
    Snapshot,
    Spooled,
)
from onvif_recorder.engine.workers.replica import Replica
from onvif_recorder.logs import configure as configure_logging
from onvif_recorder.recording.flow import FlowTracker
from onvif_recorder.recording.plan import plans
from onvif_recorder.service.events import DomainEvent
from onvif_recorder.settings import RecorderSettings
from onvif_recorder.soap.mapping.recorded_events import recorded_notifications
from onvif_recorder.storage.spool_recovery import recover as recover_spooled

log = logging.getLogger(__name__)
STATISTICS_INTERVAL = 1.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class WorkerArgs:
    number: int
    settings: RecorderSettings
    ingest: IngestConfig
    log_level: str = "WARNING"
    log_format: str = "text"


def run(connection: Connection, args: WorkerArgs) -> None:
    """The worker process's entry point (``multiprocessing`` spawn target)."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the front end, which
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stops its workers in order
    configure_logging(args.log_level, args.log_format)
    with WorkerLock(args.settings.data_dir).shared():
        asyncio.run(Worker(connection, args).serve())


def die_with_parent() -> None:
    """Linux: SIGKILL when the process that started this one dies (prctl(2))."""
    parent = multiprocessing.parent_process()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: the pipe's end of file still stops the worker
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)  # the parent died before prctl: nothing would kill us later


class _Forwarded:
    """What the engine reports here, sent to the front end instead."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def publish(self, *events: DomainEvent) -> None:
        self._channel.send(Published(events))

    def receiver_state_changed(self, receiver_token: str, state: ReceiverState,
                               media_uri: str | None = None) -> None:
        self._channel.send(ReceiverChanged(receiver_token, state, media_uri))

    def receiver_connection_failed(self, receiver_token: str, media_uri: str) -> None:
        self._channel.send(ReceiverFailed(receiver_token, media_uri))


class Worker:
    def __init__(self, connection: Connection, args: WorkerArgs) -> None:
        self.args = args
        self.settings = args.settings
        self.replica = Replica()
        self.channel = Channel(connection, f"worker {args.number}")
        self.forward = _Forwarded(self.channel)
        self.flow = FlowTracker(self._flow_changed)
        self.done = asyncio.Event()
        self._inbox: asyncio.Queue[Snapshot | Shutdown] = asyncio.Queue()
        self._flow_pending = False

    async def serve(self) -> None:
        settings = self.settings
        holder = self.replica.holder
        self.storage = local_storage(settings)
        self.thread = StorageThread()
        self.spool = open_spool(settings, self.storage.index)
        self.spool.listeners.append(lambda storage: self.channel.send(Spooled(storage)))
        self.ingest = ReceiverSupervisor(holder, self.forward, self.args.ingest)
        self.ingest.camera_events = CameraEvents(self.forward, recorded_notifications)
        self.pre_event = PreEventBuffers(holder, self.ingest,
                                         settings.limits.pre_event_max_bytes)
        self.tasks = RecordingTasks(self.storage, self.flow, self.ingest, self.thread,
                                    spool=self.spool, pre_event=self.pre_event,
                                    keys=KeyFile(settings.data_dir / "generated-keys.json"))
        self.channel.start(self._received, self._front_end_gone)
        gc.freeze()  # the modules and parts above live as long as the process
        await self.ingest.start()
        self.pre_event.start()
        ticker = asyncio.create_task(self._tick_forever())
        try:
            await self._handle_forever()
        finally:
            ticker.cancel()
            await self.tasks.stop()
            await self.pre_event.stop()
            await self.ingest.stop()
            self.thread.close()
            self.spool.close()
            self.storage.index.close()
            self.channel.close()

    async def _handle_forever(self) -> None:
        while isinstance(message := await self._inbox.get(), Snapshot):
            if message.recover:
                await self._recover(message.recover)
            self.replica.apply(message)
            await self.tasks.apply(plans(
                self.replica.holder.state, self.settings.segment_duration,
                self.replica.holder.overrides, self.replica.holder.conditions.eligible,
                {job: w.topic for job, w in self.replica.holder.conditions.windows.items()}))
            self.channel.send(Applied(message.serial))

    async def _recover(self, recordings: frozenset[str]) -> None:
        """What this worker's killed predecessor left half-written, repaired first."""
        for recording in sorted(recordings):
            report = await self.thread.run(functools.partial(self.storage.recover, recording))
            if report.repaired or report.dropped:
                log.warning("recording %s recovered: %d repaired, %d dropped", recording,
                            len(report.repaired), len(report.dropped))
        for entry in await self.thread.run(self.spool.building):
            if entry.recording in recordings:
                await self.thread.run(functools.partial(recover_spooled, self.spool, entry))

    def _received(self, message: object) -> None:
        if isinstance(message, Snapshot | Shutdown):
            self._inbox.put_nowait(message)

    def _front_end_gone(self) -> None:
        self._inbox.put_nowait(Shutdown())

    def _flow_changed(self) -> None:
        if not self._flow_pending:  # one report for a burst of changes
            self._flow_pending = True
            asyncio.get_running_loop().call_soon(self._send_flow)

    def _send_flow(self) -> None:
        """With the counters: a job reported Active has samples written in /metrics."""
        self._flow_pending = False
        self.channel.send(self._statistics())
        self.channel.send(FlowChanged(self.flow.active_keys(), dict(self.flow.errors())))

    def _statistics(self) -> Statistics:
        counted = collect(self.replica.holder.state.receivers, self.ingest, self.tasks,
                          self.pre_event)
        cpu, resident = this_process()
        counted.workers[str(self.args.number)] = (cpu, resident, 0)  # restarts: front end's
        return counted

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(STATISTICS_INTERVAL)
            self.tasks.tick()
            self.channel.send(self._statistics())
