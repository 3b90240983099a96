"""The front end's side of the worker processes: placement, snapshots, restarts.

``WorkerPool`` is the recording supervisor's ``TaskRunner`` when recording happens in
worker processes: ``apply`` places every component (``shards``), sends each worker its
``Snapshot`` and returns once every live worker has applied it, so when the supervisor
deletes a recording's data no worker is still writing it. A component that moves to
another worker is first withheld from its new worker and shown to it in a second round,
after its old worker applied the snapshot without it.

A worker that dies (a crash, ``kill -9``, the OOM killer) is noticed by its pipe's end of
file: its flowing tracks turn to Error (``RemoteFlow``), its receivers to NotConnected,
and after a back-off (1 s doubling to 30 s, reset once a worker has lived a minute) a new
process takes the same recordings, repairing what the old one left half-written first.
Processes are started with ``spawn`` (a clean interpreter: no inherited event loop,
threads or SQLite connections), each when placement first gives it something to record
or connect: a recorder with three cameras on a 32-core machine runs three workers.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess

from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.engine.receiver_supervisor import ReceiverStates
from onvif_recorder.engine.statistics import Statistics
from onvif_recorder.engine.workers.channel import Channel
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
from onvif_recorder.engine.workers.remote_flow import RemoteFlow
from onvif_recorder.engine.workers.shards import Node, Shard, ShardMap, shard_state
from onvif_recorder.engine.workers.worker import WorkerArgs, run
from onvif_recorder.recording.plan import RecordingPlan
from onvif_recorder.service.events import DomainEvent
from onvif_recorder.service.job_states import EngineEvents
from onvif_recorder.service.state import StateHolder

log = logging.getLogger(__name__)
APPLY_TIMEOUT = 15.0
STOP_TIMEOUT = 20.0
FIRST_BACKOFF, LONGEST_BACKOFF, HEALTHY_AFTER = 1.0, 30.0, 60.0


@dataclass(slots=True)
class _Worker:
    number: int
    process: BaseProcess
    channel: Channel
    started: float
    recover: frozenset[str] = frozenset()
    """Recordings its first snapshot asks it to repair (a killed predecessor's)."""
    replacement: bool = False
    applied: int = 0
    progress: asyncio.Event = field(default_factory=asyncio.Event)
    statistics: Statistics = field(default_factory=Statistics)
    alive: bool = True


@dataclass(slots=True)
class PoolPeers:
    """Where what the workers report goes in the front end."""

    events: EngineEvents
    receiver_states: ReceiverStates
    flow: RemoteFlow
    publish: Callable[[tuple[DomainEvent, ...]], None]
    spooled: Callable[[str], None] = lambda storage: None


class WorkerPool:
    def __init__(self, holder: StateHolder, peers: PoolPeers, args: Callable[[int], WorkerArgs],
                 count: int) -> None:
        self.holder = holder
        self.peers = peers
        self._args = args
        self.shards = ShardMap(count)
        self._workers: dict[int, _Worker] = {}
        self._serials = 0
        self._stopping = False
        self._backoff = [FIRST_BACKOFF] * count
        self.restarts = [0] * count
        self._context = multiprocessing.get_context("spawn")

    @property
    def count(self) -> int:
        return self.shards.workers

    async def start(self) -> None:
        """Nothing yet: a worker is started when the first thing is placed on it."""

    # --- TaskRunner ----------------------------------------------------------------

    async def apply(self, wanted: dict[str, RecordingPlan]) -> None:
        """Every worker shown its part of the configuration (``wanted`` is derived by
        each worker itself from the same state and conditions)."""
        placement = self.shards.place(self.holder.state)
        self.peers.receiver_states.retain(set(self.holder.state.receivers))
        for number, shard in enumerate(placement.shards):
            if number not in self._workers and (shard.recordings or shard.receivers):
                self._spawn(number)  # kept once started, even if its shard empties
        await self._send_round(placement.shards, set(placement.moves))
        if placement.moves:
            await self._send_round(placement.shards, set())

    def tick(self) -> None:
        pass  # each worker notices its own stopped tracks

    async def stop(self) -> None:
        self._stopping = True
        workers = [w for w in self._workers.values() if w.alive]
        for worker in workers:
            worker.channel.send(Shutdown())
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(None, w.process.join, STOP_TIMEOUT)
                               for w in workers))
        for worker in self._workers.values():
            if worker.process.is_alive():
                log.warning("recording worker %d did not stop; killed", worker.number)
                worker.process.kill()
            worker.channel.close()

    def statistics(self) -> Statistics:
        total = Statistics.merged(w.statistics for w in self._workers.values() if w.alive)
        for number in self._workers:
            cpu, resident, _ = total.workers.get(str(number), (0.0, 0, 0))
            total.workers[str(number)] = (cpu, resident, self.restarts[number])
        return total

    # --- snapshots -------------------------------------------------------------------

    async def _send_round(self, shards: list[Shard], withheld: set[Node]) -> None:
        sent = [(worker, self._send(worker, shards[worker.number], withheld))
                for worker in self._workers.values() if worker.alive]
        try:
            async with asyncio.timeout(APPLY_TIMEOUT):
                for worker, serial in sent:
                    while worker.alive and worker.applied < serial:
                        worker.progress.clear()
                        await worker.progress.wait()
        except TimeoutError:
            late = [w.number for w, serial in sent if w.alive and w.applied < serial]
            log.warning("recording workers %s did not apply the configuration within %.0f s",
                        late, APPLY_TIMEOUT)

    def _send(self, worker: _Worker, shard: Shard, withheld: set[Node]) -> int:
        self._serials += 1
        conditions = self.holder.conditions
        worker.channel.send(Snapshot(
            self._serials, shard_state(self.holder.state, shard, withheld),
            conditions.active_schedules, conditions.triggered_jobs, dict(conditions.windows),
            self.holder.overrides.actives(), worker.recover))
        worker.recover = frozenset()
        return self._serials

    # --- processes -----------------------------------------------------------------

    def _spawn(self, number: int, recover: frozenset[str] | None = None) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=run, args=(theirs, self._args(number)),
                                        name=f"onvif-recorder worker {number}", daemon=True)
        process.start()
        theirs.close()  # so that the worker's death is our end of file
        worker = _Worker(number, process, Channel(ours, f"front end to worker {number}"),
                         time.monotonic(), recover or frozenset(), recover is not None)
        worker.channel.start(lambda message: self._received(worker, message),
                             lambda: self._lost(worker))
        self._workers[number] = worker
        return worker

    def _received(self, worker: _Worker, message: object) -> None:
        peers = self.peers
        match message:
            case Applied(serial):
                if worker.applied == 0 and worker.replacement:
                    peers.flow.replacement_started()
                worker.applied = serial
                worker.progress.set()
            case FlowChanged():
                peers.flow.update(worker.number, message)
            case ReceiverChanged(token, state, uri) if self._owns(worker, token):
                peers.receiver_states.update(token, state)
                peers.events.receiver_state_changed(token, state, uri)
            case ReceiverFailed(token, uri) if self._owns(worker, token):
                peers.events.receiver_connection_failed(token, uri)
            case Published(events):
                peers.publish(events)
            case Spooled(storage):
                peers.spooled(storage)
            case Statistics():
                worker.statistics = message

    def _owns(self, worker: _Worker, receiver: str) -> bool:
        return self.shards.owner(("receiver", receiver)) == worker.number

    def _lost(self, worker: _Worker) -> None:
        worker.alive = False
        worker.progress.set()
        if self._stopping:
            return
        worker.process.join(0.5)  # it closed its pipe: it is exiting
        lived = time.monotonic() - worker.started
        number = worker.number
        if lived > HEALTHY_AFTER:
            self._backoff[number] = FIRST_BACKOFF
        delay = self._backoff[number]
        self._backoff[number] = min(LONGEST_BACKOFF, delay * 2)
        self.restarts[number] += 1
        log.error("recording worker %d exited (code %s) after %.0f s; restarting in %.0f s",
                  number, worker.process.exitcode, lived, delay)
        self.peers.flow.worker_lost(number)
        self._receivers_lost(number)
        asyncio.get_running_loop().call_later(delay, self._restart, number)

    def _receivers_lost(self, number: int) -> None:
        states = self.peers.receiver_states
        for token in self.holder.state.receivers:
            if self.shards.owner(("receiver", token)) == number and (
                    states.get(token) is not ReceiverState.NOT_CONNECTED):
                states.update(token, ReceiverState.NOT_CONNECTED)
                self.peers.events.receiver_state_changed(token, ReceiverState.NOT_CONNECTED)

    def _restart(self, number: int) -> None:
        if self._stopping:
            return
        recordings = frozenset(t for t in self.holder.state.recordings
                               if self.shards.owner(("recording", t)) == number)
        worker = self._spawn(number, recordings)
        placement = self.shards.place(self.holder.state)
        self._send(worker, placement.shards[number], set())
