"""``MediaFlow`` in the front end: what the worker processes last reported, merged.

Each worker reports which (job, source, track) keys are flowing and which have errors
(``FlowChanged``); the union answers the service layer, as ``FlowTracker`` does in one
process. When a worker dies, every key it had flowing (or in error) turns into an error ("recording
worker restarting", RC §5.19: the job shows Error) until a worker reports that key
again, flowing or with an error of its own, or until ``LOST_FOR`` seconds after the
replacement started recording (a key it never reports, e.g. a job made Idle meanwhile,
must not stay in Error).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.engine.workers.messages import FlowChanged, FlowKey

LOST_FOR = 20.0
LOST_MESSAGE = "Recording worker restarting"


class RemoteFlow:
    def __init__(self, on_change: Callable[[], None] = lambda: None) -> None:
        self.on_change = on_change
        self._flowing: dict[int, frozenset[FlowKey]] = {}
        self._errors: dict[int, dict[FlowKey, str]] = {}
        self._lost: dict[FlowKey, str] = {}
        self._all_flowing: frozenset[FlowKey] = frozenset()
        self._all_errors: dict[FlowKey, str] = {}

    # --- MediaFlow -----------------------------------------------------------------

    def flowing(self, job_token: str, source_token: str, destination: str) -> bool:
        return (job_token, source_token, destination) in self._all_flowing

    def errors(self) -> Mapping[FlowKey, str]:
        return self._all_errors

    def receiver_state(self, receiver_token: str) -> ReceiverState:
        return ReceiverState.UNKNOWN  # the receiver states are kept next to this

    # --- what the workers report ---------------------------------------------------

    def update(self, worker: int, report: FlowChanged) -> None:
        self._flowing[worker] = report.flowing
        self._errors[worker] = dict(report.errors)
        for key in [k for k in self._lost if k in report.flowing or k in report.errors]:
            del self._lost[key]
        self._merge()

    def worker_lost(self, worker: int) -> None:
        """Its flowing keys and those in error become ``LOST_MESSAGE`` errors."""
        for key in (*self._flowing.pop(worker, frozenset()), *self._errors.pop(worker, {})):
            self._lost[key] = LOST_MESSAGE
        self._merge()

    def replacement_started(self) -> None:
        """A restarted worker applied its first snapshot: give it ``LOST_FOR`` seconds."""
        lost = set(self._lost)
        asyncio.get_running_loop().call_later(LOST_FOR, self._forget_lost, lost)

    def _forget_lost(self, keys: set[FlowKey]) -> None:
        forgotten = [key for key in keys if self._lost.pop(key, None) is not None]
        if forgotten:
            self._merge()

    def _merge(self) -> None:
        flowing = frozenset().union(*self._flowing.values())
        errors = dict(self._lost)
        for part in self._errors.values():
            errors.update(part)
        if flowing != self._all_flowing or errors != self._all_errors:
            self._all_flowing, self._all_errors = flowing, errors
            self.on_change()
