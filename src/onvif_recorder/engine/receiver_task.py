"""One task per receiver that should be connected: connect, play, publish, reconnect.

Life of a ``ReceiverTask`` (Receiver spec "Receiver modes", tt:ReceiverState):

    Connecting --PLAY answered--> Connected --connection ends--> NotConnected
        ^   \\--attempt fails--> NotConnected (+ ConnectionFailed)      |
        \\------------------- backoff delay <--------------------------/

Every change of state is published as ``tns1:Receiver/ChangeState`` and every attempt
that fails before PLAY is answered as ``tns1:Receiver/ConnectionFailed`` (state first, so
GetReceiverState already answers NotConnected when the event is read). Any failure ends
the attempt: refused or reset connection, a timeout (connect, RTSP answer, no media for
``media_timeout``), an RTSP error answer or malformed message, the server closing or
tearing down the session. The next attempt follows after ``BackoffPolicy`` delays.

``stop()`` ends the receiver in order: a playing session gets its TEARDOWN and a bounded
wait for the answer, anything else is cancelled (a session being set up still gets a
TEARDOWN written), then the state is NotConnected. Nothing is left behind: no task, no
socket. URIs in events and logs have their credentials removed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from onvif_recorder.domain.receiver import ReceiverConfiguration, ReceiverState
from onvif_recorder.engine.connection import ConnectionConfig, RtspConnection
from onvif_recorder.engine.samples import SampleFanout
from onvif_recorder.ingest.backoff import Backoff, BackoffPolicy
from onvif_recorder.ingest.errors import (
    RETRYABLE,
    NoSupportedMedia,
    Redirect,
    forget_tracebacks,
)
from onvif_recorder.ingest.items import SessionEnded, SessionStarted
from onvif_recorder.ingest.media import MediaPipeline, select_media
from onvif_recorder.ingest.transport_plan import delivery, tunnelled
from onvif_recorder.rtp.stream import StreamStats
from onvif_recorder.rtsp.auth import split_userinfo
from onvif_recorder.rtsp.sdp import SessionDescription

log = logging.getLogger(__name__)
_USERINFO = re.compile(r"(?<=://)[^/@]*@")


class ReceiverEvents(Protocol):
    """Where state changes go: ``service.job_states.EngineEvents`` in the application."""

    def receiver_state_changed(self, receiver_token: str, state: ReceiverState,
                               media_uri: str | None = None) -> None: ...

    def receiver_connection_failed(self, receiver_token: str, media_uri: str) -> None: ...


@dataclass(frozen=True, slots=True)
class IngestConfig:
    connection: ConnectionConfig = field(default_factory=ConnectionConfig)
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)


@dataclass(slots=True)
class ReceiverStats:
    attempts: int = 0
    sessions: int = 0
    """Attempts that reached Connected."""
    failures: int = 0
    last_error: str | None = None
    skipped_media: tuple[str, ...] = ()
    streams: dict[int, StreamStats] = field(default_factory=dict)
    """Per media index, of the current (or last) session."""


def public_uri(uri: str) -> str:
    """``uri`` without ``user:password@``: what events and logs may show."""
    try:
        return split_userinfo(uri)[0]
    except ValueError:
        return _USERINFO.sub("", uri)


class ReceiverTask:
    def __init__(self, token: str, configuration: ReceiverConfiguration,
                 events: ReceiverEvents, fanout: SampleFanout,
                 config: IngestConfig | None = None,
                 rng: Callable[[], float] = random.random) -> None:
        self.token = token
        self.configuration = configuration
        self.uri = public_uri(configuration.media_uri)
        self.events = events
        self.fanout = fanout
        self.config = config or IngestConfig()
        self.state = ReceiverState.NOT_CONNECTED
        self.stats = ReceiverStats()
        self._backoff = Backoff(self.config.backoff, rng)
        self._task: asyncio.Task[None] | None = None
        self._connection: RtspConnection | None = None
        self._session = 0
        self._open_session: int | None = None
        self._stopping = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._main(), name=f"receiver {self.token}")

    async def stop(self) -> None:
        """TEARDOWN (or cancel), then NotConnected; idempotent."""
        self._stopping = True
        task = self._task
        connection = self._connection
        if connection is not None and self.state is ReceiverState.CONNECTED:
            await connection.teardown()
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
        self._end_session(None)
        self._set_state(ReceiverState.NOT_CONNECTED)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # --- the loop ---------------------------------------------------------------------------

    async def _main(self) -> None:
        # The task's top-level guard: a bug in one attempt must not end the receiver for good
        # (errors the protocol allows are handled in _run; this is for everything else).
        while not self._stopping:
            try:
                await self._run()
            except Exception:
                log.exception("receiver %s: unexpected error; restarting", self.token)
                self._failed(False, "internal error")
                await asyncio.sleep(self._backoff.next_delay(None))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._set_state(ReceiverState.CONNECTING)
            self.stats.attempts += 1
            connected_at: list[float] = []
            try:
                error = _describe(await self._attempt(connected_at))
            except RETRYABLE as exc:
                error = _describe(exc)
            if self._stopping:
                return
            self._failed(bool(connected_at), error)
            connected_for = loop.time() - connected_at[0] if connected_at else None
            await asyncio.sleep(self._backoff.next_delay(connected_for))

    async def _attempt(self, connected_at: list[float]) -> BaseException | None:
        """One connection, from TCP connect to its end; appends the time it was Connected."""
        how = delivery(self.configuration)
        connection, description = await self._connect()
        self._connection = connection
        try:
            pipeline = self._pipeline(description)
            media = sorted(pipeline.streams)
            await connection.play(media, how, pipeline)
            self.stats.streams = {i: s.stats for i, s in pipeline.streams.items()}
            connected_at.append(asyncio.get_running_loop().time())
            self.stats.sessions += 1
            self._set_state(ReceiverState.CONNECTED)
            self._open_session = pipeline.session
            self.fanout.publish(SessionStarted(self.token, pipeline.session, self.uri,
                                               pipeline.infos))
            return await connection.wait_closed()
        finally:
            connection.close()
            self._connection = None

    async def _connect(self) -> tuple[RtspConnection, SessionDescription]:
        """OPTIONS and DESCRIBE, following redirects (their number is capped by the session)."""
        uri, redirects = self.configuration.media_uri, 0
        tunnel = tunnelled(self.configuration)
        while True:
            connection = await RtspConnection.open(uri, None, self.config.connection, redirects,
                                                   tunnel)
            self._connection = connection
            try:
                return connection, await connection.describe()
            except Redirect as redirect:
                log.info("receiver %s: redirected to %s", self.token,
                         public_uri(redirect.location))
                uri, redirects = redirect.location, redirect.count
            except BaseException:
                connection.close()
                raise
            connection.close()

    def _pipeline(self, description: SessionDescription) -> MediaPipeline:
        selected, skipped = select_media(description)
        self.stats.skipped_media = tuple(skipped)
        if not selected:
            raise NoSupportedMedia("no media to receive: " + "; ".join(skipped))
        self._session += 1
        return MediaPipeline(self._session, selected, self.fanout)

    # --- state ------------------------------------------------------------------------------

    def _failed(self, was_connected: bool, error: str) -> None:
        self.stats.failures += 1
        self.stats.last_error = error
        log.warning("receiver %s (%s): %s", self.token, self.uri, error)
        self._end_session(error)
        self._set_state(ReceiverState.NOT_CONNECTED)
        if not was_connected:
            self.events.receiver_connection_failed(self.token, self.uri)

    def _end_session(self, error: str | None) -> None:
        if self._open_session is not None:
            self.fanout.publish(SessionEnded(self._open_session, error))
            self._open_session = None

    def _set_state(self, state: ReceiverState) -> None:
        if state is not self.state:
            self.state = state
            self.events.receiver_state_changed(self.token, state, self.uri)


def _describe(error: BaseException | None) -> str:
    """The reason for logs and stats. The error itself is not kept: its traceback holds the
    frames of the attempt, whose connection holds the error again (a reference cycle that
    only the cyclic GC would free, so a camera failing for a week would pile attempts
    up between collections); its tracebacks are cleared here to free it at once."""
    if error is None:
        return "the server ended the session"
    forget_tracebacks(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
