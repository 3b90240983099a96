"""Memory stays flat while cameras fail (issue 18 item 6).

Thousands of failed attempts (refused, an RTSP error from the real camera, garbage
answers) leave no more than a small constant allocated (``tracemalloc`` snapshots after a
full collection, before and after). And what one attempt allocates is freed when it ends
by reference counting alone: during half of the attempts the cyclic GC is off and the
connections still alive are counted. Anything an attempt leaves in a reference cycle (an
error whose traceback holds the frames of the connection that holds the error) would
otherwise wait for a full collection, which comes rarely once a process has a large
heap, while a camera offline for a week retries thousands of times. (asyncio's own TCP
transport of Python 3.11 is such a cycle, about 1 KiB, out of our reach.)

The WS-UsernameToken replay cache is capped by size: a flood of unique nonces past the
cap allocates nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from _pytest.logging import LogCaptureHandler

from onvif_recorder.domain.receiver import (
    ReceiverConfiguration,
    ReceiverMode,
    ReceiverState,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.engine.connection import RtspConnection
from onvif_recorder.engine.receiver_task import IngestConfig, ReceiverTask
from onvif_recorder.engine.samples import SampleFanout
from onvif_recorder.ingest.backoff import BackoffPolicy
from onvif_recorder.soap.security.username_token import UsernameTokenVerifier
from tests.camera import Camera
from tests.integration.ingest_support import QUICK
from tests.unit.test_security_username_token import NOW, lookup, token

pytestmark = pytest.mark.slow
SMALL_CONSTANT = 64 * 1024
"""Bytes: what may stay from a run of attempts (cancelled timers not yet dropped by the
loop, interned strings, free lists), whatever the number of attempts."""
IN_FLIGHT = 2
"""Connections alive at any moment: the attempt running (and one ending)."""
NO_WAIT = IngestConfig(QUICK.connection, BackoffPolicy(initial=0.0001, maximum=0.0001))


@contextlib.contextmanager
def production_logging() -> Iterator[None]:
    """Warnings formatted and written to a stream as `serve` does, without pytest's
    capture handlers (installed for each test phase), which keep every record: they would
    be the growth measured."""
    loggers = [logging.getLogger(), logging.getLogger("onvif_recorder")]
    capturing = {logger: [h for h in logger.handlers if isinstance(h, LogCaptureHandler)]
                 for logger in loggers}
    with open(os.devnull, "w") as devnull:
        stream = logging.StreamHandler(devnull)
        loggers[1].addHandler(stream)
        for logger, handlers in capturing.items():
            for handler in handlers:
                logger.removeHandler(handler)
        try:
            yield
        finally:
            loggers[1].removeHandler(stream)
            for logger, handlers in capturing.items():
                for handler in handlers:
                    logger.addHandler(handler)


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class CountedEvents:
    """A ``ReceiverEvents`` that counts (the application's publishes to a bounded bus)."""

    def __init__(self) -> None:
        self.changes = self.failures = 0
        self.failed = asyncio.Event()

    def receiver_state_changed(self, receiver_token: str, state: ReceiverState,
                               media_uri: str | None = None) -> None:
        self.changes += 1

    def receiver_connection_failed(self, receiver_token: str, media_uri: str) -> None:
        self.failures += 1
        self.failed.set()


async def attempts_until(task: ReceiverTask, events: CountedEvents, count: int) -> None:
    while task.stats.attempts < count:
        events.failed.clear()
        await events.failed.wait()


@dataclass
class Outcome:
    grown: int
    """Bytes still allocated (after a full collection) once the attempts are over."""
    unfreed: int
    """Connections of ended attempts that reference counting alone did not free."""
    error: str | None


async def fail_repeatedly(uri: str, warm_up: int, measured: int) -> Outcome:
    """``measured`` failed attempts after ``warm_up`` ones; the first half without the
    cyclic GC, to count what only it would free."""
    configuration = ReceiverConfiguration(ReceiverMode.ALWAYS_CONNECT, uri,
                                          StreamType.RTP_UNICAST,
                                          Transport(TransportProtocol.RTSP))
    events = CountedEvents()
    task = ReceiverTask("failing", configuration, events, SampleFanout(), NO_WAIT)
    tracemalloc.start()  # before anything it will free is allocated
    try:
        with production_logging():
            task.start()
            await attempts_until(task, events, warm_up)
            gc.collect()
            before = tracemalloc.take_snapshot()
            with no_cyclic_gc():
                await attempts_until(task, events, warm_up + measured // 2)
                unfreed = sum(isinstance(o, RtspConnection) for o in gc.get_objects())
            await attempts_until(task, events, warm_up + measured)
            gc.collect()
            after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    await task.stop()
    assert task.stats.sessions == 0  # every attempt failed (the last one was stopped)
    assert events.failures >= task.stats.attempts - 1
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    return Outcome(grown, unfreed, task.stats.last_error)


def refusing_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again: connections are refused


def test_thousands_of_refused_connections_keep_nothing() -> None:
    outcome = asyncio.run(fail_repeatedly(f"rtsp://127.0.0.1:{refusing_port()}/x", 200, 3000))
    assert outcome.error is not None and outcome.error.startswith("ConnectionRefusedError")
    assert outcome.grown < SMALL_CONSTANT
    assert outcome.unfreed <= IN_FLIGHT


def test_a_thousand_rtsp_errors_keep_nothing() -> None:
    with Camera() as camera:  # a real server, a mount it does not have: DESCRIBE is 404
        outcome = asyncio.run(fail_repeatedly(camera.url("/missing"), 50, 1000))
    assert outcome.error is not None and "404 Not Found" in outcome.error
    assert outcome.grown < SMALL_CONSTANT
    assert outcome.unfreed <= IN_FLIGHT


async def serve_garbage() -> tuple[asyncio.Server, int]:
    """A "camera" that answers every connection with bytes that are not RTSP."""
    async def answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"\x00\xff garbage " * 300)
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


def test_thousands_of_garbage_answers_keep_nothing() -> None:
    async def run() -> Outcome:
        server, port = await serve_garbage()
        async with server:
            return await fail_repeatedly(f"rtsp://127.0.0.1:{port}/x", 200, 2000)

    outcome = asyncio.run(run())
    assert outcome.error is not None and "RemoteProtocolError" in outcome.error
    assert outcome.grown < SMALL_CONSTANT
    assert outcome.unfreed <= IN_FLIGHT


def test_a_flood_of_unique_nonces_stays_within_the_cap() -> None:
    """The WS-UsernameToken replay cache holds at most ``max_nonces`` (soap.security.nonces):
    past the cap, memory does not grow with the number of requests."""
    verifier = UsernameTokenVerifier(lookup, max_nonces=2000)

    def flood(start: int, count: int) -> None:
        for i in range(start, start + count):
            created = (NOW - timedelta(seconds=60) + timedelta(milliseconds=i))
            verifier.verify(token(i.to_bytes(8, "big"),
                                  created=created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")), NOW)

    tracemalloc.start()
    try:
        flood(0, 4000)  # full
        before = tracemalloc.take_snapshot()
        flood(4000, 20_000)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    assert verifier.nonce_cache_size == 2000
    assert sum(s.size_diff for s in after.compare_to(before, "filename")) < SMALL_CONSTANT
