"""Which receivers are connected, decided from the stored configuration after every commit.

Receiver spec "Receiver modes": ``AlwaysConnect`` - keep a connection; ``NeverConnect`` -
do not connect (a connected receiver is torn down); ``AutoConnect`` - connect on demand,
here: while a recording job in Active mode names the receiver as a source (whether the
job wins the arbitration for its tracks is the recording engine's business; the stream is
wanted either way). A receiver without a MediaUri (an auto-created one not yet
configured) is never connected.

The supervisor reconciles after every ``StateHolder`` commit (``engine.reconciler``), one
pass at a time: receivers no longer wanted, or whose MediaUri or StreamSetup changed
(ConfigureReceiver), are stopped first (TEARDOWN), then missing ones are started. Changing
only between AlwaysConnect and AutoConnect keeps the connection. The state every task
reports is kept in ``ReceiverStates``, which ``IngestMediaFlow`` answers GetReceiverState
from (the ``MediaFlow`` seam of the service layer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from onvif_recorder.domain.job import JobMode
from onvif_recorder.domain.receiver import ReceiverConfiguration, ReceiverMode, ReceiverState
from onvif_recorder.engine.receiver_task import IngestConfig, ReceiverEvents, ReceiverTask
from onvif_recorder.engine.reconciler import CommitReconciler
from onvif_recorder.engine.samples import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ITEMS,
    SampleFanout,
    SampleQueue,
)
from onvif_recorder.ingest.items import MediaSample
from onvif_recorder.service.arbitration import Eligible
from onvif_recorder.service.jobs_common import receiver_tokens
from onvif_recorder.service.media_flow import MediaFlow, NoMediaFlow
from onvif_recorder.service.state import RecorderState, StateHolder


def desired_receivers(state: RecorderState, eligible: Eligible | None = None
                      ) -> dict[str, ReceiverConfiguration]:
    """The receivers that should be connected now, with their configuration
    (``eligible``: the job conditions besides Mode, e.g. its schedule)."""
    demanded: set[str] = set()
    for job in state.jobs.values():
        if job.configuration.mode is JobMode.ACTIVE and (eligible is None or eligible(job)):
            demanded |= receiver_tokens(job)
    wanted = {}
    for token, receiver in state.receivers.items():
        configuration = receiver.configuration
        mode = configuration.mode
        if configuration.media_uri and (
            mode is ReceiverMode.ALWAYS_CONNECT
            or (mode is ReceiverMode.AUTO_CONNECT and token in demanded)
        ):
            wanted[token] = configuration
    return wanted


def connection_key(configuration: ReceiverConfiguration) -> tuple[object, ...]:
    """What a running connection depends on: the Mode is not part of it."""
    return configuration.media_uri, configuration.stream, configuration.transport


class ReceiverStates:
    """The last state each receiver task reported; NotConnected for any other token."""

    def __init__(self) -> None:
        self._states: dict[str, ReceiverState] = {}

    def get(self, token: str) -> ReceiverState:
        return self._states.get(token, ReceiverState.NOT_CONNECTED)

    def update(self, token: str, state: ReceiverState) -> None:
        self._states[token] = state

    def retain(self, tokens: set[str]) -> None:
        """Forget every receiver not in ``tokens``."""
        for token in [t for t in self._states if t not in tokens]:
            del self._states[token]


class IngestMediaFlow:
    """``MediaFlow`` with real receiver states; job media flow is still ``inner``'s answer
    (the recording engine's, when it exists)."""

    def __init__(self, states: ReceiverStates, inner: MediaFlow | None = None) -> None:
        self.states = states
        self.inner = inner or NoMediaFlow()

    def flowing(self, job_token: str, source_token: str, destination: str) -> bool:
        return self.inner.flowing(job_token, source_token, destination)

    def errors(self) -> Mapping[tuple[str, str, str], str]:
        return self.inner.errors()

    def receiver_state(self, receiver_token: str) -> ReceiverState:
        return self.states.get(receiver_token)


class _TrackedEvents:
    """Records each state in ``ReceiverStates`` before publishing it."""

    def __init__(self, states: ReceiverStates, events: ReceiverEvents) -> None:
        self.states = states
        self.events = events

    def receiver_state_changed(self, receiver_token: str, state: ReceiverState,
                               media_uri: str | None = None) -> None:
        self.states.update(receiver_token, state)
        self.events.receiver_state_changed(receiver_token, state, media_uri)

    def receiver_connection_failed(self, receiver_token: str, media_uri: str) -> None:
        self.events.receiver_connection_failed(receiver_token, media_uri)


class ReceiverSupervisor:
    def __init__(self, holder: StateHolder, events: ReceiverEvents,
                 config: IngestConfig | None = None,
                 states: ReceiverStates | None = None) -> None:
        self.holder = holder
        self.config = config or IngestConfig()
        self.states = states or ReceiverStates()
        self._events = _TrackedEvents(self.states, events)
        self._tasks: dict[str, ReceiverTask] = {}
        self._retiring: set[ReceiverTask] = set()
        self._fanouts: dict[str, SampleFanout] = {}
        self.camera_events: Callable[[str, MediaSample], None] | None = None
        """Sees each receiver's ONVIF metadata samples (``engine.camera_events``)."""
        self._reconciler = CommitReconciler(self.reconcile, "receivers")
        holder.observe(self._reconciler.changed)

    async def start(self) -> None:
        self._reconciler.start()

    async def stop(self) -> None:
        """Tear every receiver down (TEARDOWN for the connected ones)."""
        await self._reconciler.stop()
        tasks = [*self._tasks.values(), *self._retiring]
        self._tasks = {}
        await asyncio.gather(*(task.stop() for task in tasks))
        self._retiring.clear()
        for fanout in self._fanouts.values():
            fanout.close()

    def media_flow(self, inner: MediaFlow | None = None) -> IngestMediaFlow:
        return IngestMediaFlow(self.states, inner)

    def task(self, token: str) -> ReceiverTask | None:
        return self._tasks.get(token)

    def subscribe(self, token: str, max_items: int = DEFAULT_MAX_ITEMS,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> SampleQueue:
        """A bounded queue of the receiver's sessions and samples (``engine.samples``)."""
        return self._fanout(token).subscribe(max_items, max_bytes)

    def unsubscribe(self, token: str, queue: SampleQueue) -> None:
        fanout = self._fanouts.get(token)
        if fanout is not None:
            fanout.unsubscribe(queue)

    def _fanout(self, token: str) -> SampleFanout:
        fanout = self._fanouts.get(token)
        if fanout is None:
            observer = self.camera_events
            fanout = SampleFanout(None if observer is None
                                  else lambda sample: observer(token, sample))
            self._fanouts[token] = fanout
        return fanout

    async def reconcile(self) -> None:
        """Stop what is no longer wanted (or changed), then start what is missing."""
        wanted = desired_receivers(self.holder.state, self.holder.conditions.may_connect)
        stale = [token for token, task in self._tasks.items()
                 if token not in wanted
                 or connection_key(wanted[token]) != connection_key(task.configuration)]
        retiring = {self._tasks.pop(token) for token in stale}
        self._retiring |= retiring  # stop() finishes them if this pass is cancelled
        await asyncio.gather(*(task.stop() for task in retiring))
        self._retiring -= retiring
        for token, configuration in wanted.items():
            if token not in self._tasks:
                task = ReceiverTask(token, configuration, self._events, self._fanout(token),
                                    self.config)
                self._tasks[token] = task
                task.start()
            else:
                self._tasks[token].configuration = configuration
        self._forget_deleted()

    def _forget_deleted(self) -> None:
        existing = set(self.holder.state.receivers)
        for token in [t for t in self._fanouts if t not in existing]:
            if self._fanouts[token].subscribers == 0:
                del self._fanouts[token]
        self.states.retain(existing | set(self._tasks))
