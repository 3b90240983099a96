"""Faults against the real camera: killed mid-stream and back on the same port, hung (no
data, no answers), a URI nobody answers; every time the receiver reports its state, asks
again with backoff, and leaves no task and no socket behind."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.engine.receiver_task import ReceiverTask
from onvif_recorder.engine.samples import SampleFanout
from onvif_recorder.ingest.items import SessionEnded
from tests.camera import Camera
from tests.integration.ingest_support import (
    QUICK,
    Collector,
    RecordedEvents,
    open_sockets,
    other_tasks,
    receiver,
)

pytestmark = pytest.mark.slow
CONNECTED, NOT_CONNECTED = ReceiverState.CONNECTED, ReceiverState.NOT_CONNECTED


class Receivers:
    """Receivers of one test, with their collectors; ``stop`` ends them all."""

    def __init__(self) -> None:
        self.events = RecordedEvents()
        self.tasks: dict[str, ReceiverTask] = {}
        self.collectors: dict[str, Collector] = {}

    def start(self, token: str, uri: str, udp: bool) -> ReceiverTask:
        fanout = SampleFanout()
        self.collectors[token] = Collector(fanout.subscribe(max_items=100_000)).start()
        task = ReceiverTask(token, receiver(uri, udp), self.events, fanout, QUICK)
        self.tasks[token] = task
        task.start()
        return task

    async def reach(self, state: ReceiverState) -> None:
        """Wait until every receiver reaches ``state`` after the states seen so far."""
        marks = [len(self.events.states(token)) for token in self.tasks]
        for token, mark in zip(self.tasks, marks, strict=True):
            await self.events.reach(token, state, after=mark)

    async def stop(self) -> None:
        await asyncio.gather(*(task.stop() for task in self.tasks.values()))
        for collector in self.collectors.values():
            await collector.stop()


@pytest.fixture
async def leak_check() -> AsyncIterator[Receivers]:
    """Yields a ``Receivers``; afterwards no task of theirs runs and no socket is open that
    was not open before."""
    sockets, tasks = open_sockets(), other_tasks()
    receivers = Receivers()
    yield receivers
    await receivers.stop()
    await asyncio.sleep(0.1)  # transports close their sockets on the next loop iteration
    assert other_tasks() == tasks
    assert open_sockets() <= sockets  # no leak; an earlier test's socket may close meanwhile


@pytest.fixture
def camera() -> Iterator[Camera]:
    with Camera() as running:
        yield running


async def wait_for_samples(collector: Collector, session: int, count: int) -> None:
    await asyncio.wait_for(collector.until(lambda: len(collector.samples(0, session)) >= count),
                           10)


async def test_camera_killed_mid_stream_comes_back_on_the_same_port(
        camera: Camera, leak_check: Receivers) -> None:
    receivers = leak_check
    for token, udp in (("tcp", False), ("udp", True)):
        receivers.start(token, camera.url("/h264"), udp)
    await asyncio.wait_for(receivers.reach(CONNECTED), 10)
    for collector in receivers.collectors.values():
        await wait_for_samples(collector, 1, 25)

    camera.kill()
    await asyncio.wait_for(receivers.reach(NOT_CONNECTED), 5)
    await asyncio.sleep(1.0)  # a few attempts against a closed port
    for token in receivers.tasks:
        assert receivers.events.failures(token) >= 1  # ConnectionFailed while it is down
        ended = [i for i in receivers.collectors[token].items if isinstance(i, SessionEnded)]
        assert ended[0].session == 1 and ended[0].error is not None

    with Camera(port=camera.port):
        await asyncio.wait_for(receivers.reach(CONNECTED), 10)
        for collector in receivers.collectors.values():
            await wait_for_samples(collector, 2, 25)  # a new session, timestamps anew
            assert [s.session for s in collector.sessions()] == [1, 2]
        await receivers.stop()
    for token, task in receivers.tasks.items():
        assert task.state is NOT_CONNECTED and task.stats.sessions == 2
        assert receivers.events.states(token)[-1] is NOT_CONNECTED


async def test_a_hung_camera_times_out_and_is_reconnected(
        camera: Camera, leak_check: Receivers) -> None:
    """SIGSTOP: connections stay open but silent - only the timeouts can tell."""
    receivers = leak_check
    for token, udp in (("tcp", False), ("udp", True)):
        receivers.start(token, camera.url("/h264"), udp)
    await asyncio.wait_for(receivers.reach(CONNECTED), 10)
    camera.pause()
    try:
        timeout = QUICK.connection.media_timeout + 2
        await asyncio.wait_for(receivers.reach(NOT_CONNECTED), timeout)
        for task in receivers.tasks.values():
            assert task.stats.last_error is not None and "MediaTimeout" in task.stats.last_error
        await asyncio.wait_for(receivers.reach(NOT_CONNECTED), 5)  # next attempt: no answer
        for token, task in receivers.tasks.items():
            assert "ResponseTimeout" in (task.stats.last_error or "")
            assert receivers.events.failures(token) >= 1
    finally:
        camera.resume()
    await asyncio.wait_for(receivers.reach(CONNECTED), 10)


async def test_a_closed_port_fails_at_once(leak_check: Receivers) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    task = leak_check.start("closed", f"rtsp://127.0.0.1:{port}/x", udp=True)
    await asyncio.wait_for(leak_check.events.reach("closed", NOT_CONNECTED), 2)
    assert leak_check.events.failures("closed") >= 1
    assert leak_check.events.states("closed")[:2] == [ReceiverState.CONNECTING, NOT_CONNECTED]
    assert "ConnectionRefusedError" in (task.stats.last_error or "")


async def test_a_server_that_never_answers_fails_after_the_request_timeout(
        leak_check: Receivers) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts in the kernel, says nothing
        uri = f"rtsp://127.0.0.1:{silent.getsockname()[1]}/stream"
        task = leak_check.start("silent", uri, udp=False)
        await asyncio.wait_for(leak_check.events.reach("silent", NOT_CONNECTED), 5)
        assert leak_check.events.failures("silent") == 1
        assert "ResponseTimeout" in (task.stats.last_error or "")
        await leak_check.stop()
