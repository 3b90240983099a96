"""Which worker process records what: pure, no I/O.

The unit placed on a worker is a *component*: recordings and the receivers their jobs
name, joined transitively (a receiver feeding two recordings keeps both on one worker, so
a camera is connected once). A receiver no job names is a component of its own (an
AlwaysConnect receiver is still connected by some worker).

Placement is sticky: a component keeps the worker it was given while that worker lives
and restarts. A new component goes to the worker with the fewest recordings (then the
fewest receivers, then the lowest number). When a job joins components placed on
different workers, the merged component stays where most of its members are; the others
*move*: ``Placement.moves`` names them, and the pool shows them to their new worker only
once the old one has stopped recording them (``WorkerPool``), so a recording is never
written by two processes at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from onvif_recorder.service.jobs_common import receiver_tokens
from onvif_recorder.service.state import RecorderState

Node = tuple[str, str]
"""("recording", token) or ("receiver", token)."""


@dataclass(frozen=True, slots=True)
class Shard:
    recordings: frozenset[str] = frozenset()
    receivers: frozenset[str] = frozenset()


@dataclass(slots=True)
class Placement:
    shards: list[Shard]
    moves: dict[Node, tuple[int, int]] = field(default_factory=dict)
    """Node → (old worker, new worker) for what changed worker in this placement."""


def components(state: RecorderState) -> list[set[Node]]:
    """Recordings and receivers joined by the jobs that name them (union-find)."""
    parent: dict[Node, Node] = {}

    def root(node: Node) -> Node:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for token in state.recordings:
        root(("recording", token))
    for token in state.receivers:
        root(("receiver", token))
    for job in state.jobs.values():
        recording = root(("recording", job.configuration.recording_token))
        for receiver in receiver_tokens(job):
            parent[root(("receiver", receiver))] = recording
            recording = root(recording)
    groups: dict[Node, set[Node]] = {}
    for node in list(parent):
        groups.setdefault(root(node), set()).add(node)
    return list(groups.values())


class ShardMap:
    """The sticky placement of components on ``workers`` worker processes."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("at least one worker")
        self.workers = workers
        self._owner: dict[Node, int] = {}

    def owner(self, node: Node) -> int | None:
        return self._owner.get(node)

    def place(self, state: RecorderState) -> Placement:
        found = components(state)
        present = {node for group in found for node in group}
        self._owner = {n: w for n, w in self._owner.items() if n in present}
        moves: dict[Node, tuple[int, int]] = {}
        loads = _loads(self._owner, self.workers)
        for group in sorted(found, key=_order):
            worker = self._worker_for(group, loads)
            for node in group:
                old = self._owner.get(node)
                if old is not None and old != worker:
                    moves[node] = (old, worker)
                    loads[old] = _less(loads[old], node)
                if old != worker:
                    self._owner[node] = worker
                    loads[worker] = _more(loads[worker], node)
        return Placement(self._shards(), moves)

    def _worker_for(self, group: set[Node], loads: list[tuple[int, int, int]]) -> int:
        owners = [self._owner[n] for n in group if n in self._owner]
        if owners:
            return max(sorted(set(owners)), key=owners.count)
        return min(loads)[2]

    def _shards(self) -> list[Shard]:
        recordings: list[set[str]] = [set() for _ in range(self.workers)]
        receivers: list[set[str]] = [set() for _ in range(self.workers)]
        for (kind, token), worker in self._owner.items():
            (recordings if kind == "recording" else receivers)[worker].add(token)
        return [Shard(frozenset(r), frozenset(c)) for r, c in zip(recordings, receivers,
                                                                    strict=True)]


def _order(group: set[Node]) -> tuple[Node, ...]:
    """Components placed in a stable order: the same state, the same placement."""
    return tuple(sorted(group))


def _loads(owner: dict[Node, int], workers: int) -> list[tuple[int, int, int]]:
    """(recordings, receivers, worker) per worker: ``min`` picks the least loaded."""
    loads = [(0, 0, worker) for worker in range(workers)]
    for node, worker in owner.items():
        loads[worker] = _more(loads[worker], node)
    return loads


def _more(load: tuple[int, int, int], node: Node) -> tuple[int, int, int]:
    recordings, receivers, worker = load
    return ((recordings + 1, receivers, worker) if node[0] == "recording"
            else (recordings, receivers + 1, worker))


def _less(load: tuple[int, int, int], node: Node) -> tuple[int, int, int]:
    recordings, receivers, worker = load
    return ((recordings - 1, receivers, worker) if node[0] == "recording"
            else (recordings, receivers - 1, worker))


def shard_state(state: RecorderState, shard: Shard,
                withheld: Iterable[Node] = ()) -> RecorderState:
    """What a worker is shown: its recordings with their jobs and its receivers, minus
    ``withheld`` (moving here, still recorded by their old worker); the storage
    configurations and keys recordings refer to; no users."""
    held = set(withheld)
    recordings = {t: r for t, r in state.recordings.items()
                  if t in shard.recordings and ("recording", t) not in held}
    receivers = {t: r for t, r in state.receivers.items()
                 if t in shard.receivers and ("receiver", t) not in held}
    jobs = {t: j for t, j in state.jobs.items() if j.configuration.recording_token in recordings}
    return replace(state, recordings=recordings, jobs=jobs, receivers=receivers, users={},
                   schedules={}, special_day_groups={})
