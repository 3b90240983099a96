"""What the ingest integration tests share: an event recorder, a sample collector, quick
reconnect settings, and counters for leaks (tasks and file descriptors)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from onvif_recorder.domain.receiver import (
    ReceiverConfiguration,
    ReceiverMode,
    ReceiverState,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.engine.connection import ConnectionConfig
from onvif_recorder.engine.receiver_task import IngestConfig
from onvif_recorder.engine.samples import SampleQueue
from onvif_recorder.ingest.backoff import BackoffPolicy
from onvif_recorder.ingest.items import IngestItem, MediaSample, SessionStarted
from onvif_recorder.rtsp.events import SessionConfig

QUICK = IngestConfig(
    ConnectionConfig(connect_timeout=2.0, teardown_timeout=1.0, media_timeout=2.0,
                     session=SessionConfig(request_timeout=2.0)),
    BackoffPolicy(initial=0.2, maximum=1.0, stable_after=5.0),
)
"""Fail and come back fast: a test waits seconds, not the production half-minute."""


def receiver(uri: str, udp: bool = True,
             mode: ReceiverMode = ReceiverMode.ALWAYS_CONNECT) -> ReceiverConfiguration:
    protocol = TransportProtocol.UDP if udp else TransportProtocol.RTSP
    return ReceiverConfiguration(mode, uri, StreamType.RTP_UNICAST, Transport(protocol))


@dataclass
class RecordedEvents:
    """A ``ReceiverEvents`` that keeps what it is told, with the time it was told."""

    log: list[tuple[float, str, str, ReceiverState | None]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def receiver_state_changed(self, receiver_token: str, state: ReceiverState,
                               media_uri: str | None = None) -> None:
        self.log.append((time.monotonic(), "ChangeState", receiver_token, state))
        self.changed.set()

    def receiver_connection_failed(self, receiver_token: str, media_uri: str) -> None:
        self.log.append((time.monotonic(), "ConnectionFailed", receiver_token, None))
        self.changed.set()

    def states(self, token: str) -> list[ReceiverState]:
        return [s for _, kind, t, s in self.log if t == token and s is not None]

    def failures(self, token: str) -> int:
        return sum(1 for _, kind, t, _ in self.log if t == token and kind == "ConnectionFailed")

    async def reach(self, token: str, state: ReceiverState, after: int = 0) -> None:
        """Wait until the ``after``-th or a later state of ``token`` is ``state`` (callers
        bound the wait with ``asyncio.wait_for``)."""
        while state not in self.states(token)[after:]:
            self.changed.clear()
            await self.changed.wait()


@dataclass
class Collector:
    """Drains one sample queue into ``items`` until the queue is closed."""

    queue: SampleQueue
    items: list[IngestItem] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    """Set after every batch; may be shared by several collectors."""

    def start(self) -> Collector:
        self.task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while batch := await self.queue.get_batch():
            self.items.extend(batch)
            self.arrived.set()

    async def until(self, done: Callable[[], bool]) -> None:
        while not done():
            self.arrived.clear()
            await self.arrived.wait()

    def samples(self, media_index: int, session: int | None = None) -> list[MediaSample]:
        return [i for i in self.items if isinstance(i, MediaSample)
                and i.media_index == media_index and session in (None, i.session)]

    def sessions(self) -> list[SessionStarted]:
        return [i for i in self.items if isinstance(i, SessionStarted)]

    async def stop(self) -> None:
        self.queue.close()
        if self.task is not None:
            await self.task


def open_sockets() -> int:
    """Sockets this process holds (pipes to cameras and files are not counted)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor)
    return count


def other_tasks() -> set[asyncio.Task[object]]:
    current = asyncio.current_task()
    return {task for task in asyncio.all_tasks() if task is not current}
