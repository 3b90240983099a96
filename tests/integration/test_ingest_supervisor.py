"""The supervisor driven through the real services, against the real camera: receiver modes
(Receiver spec "Receiver modes"), configuration changes, GetReceiverState and the
tns1:Receiver events on the service layer's bus (RECEIVER-2-1-16/17/18)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from onvif_recorder.app import Services, build_services
from onvif_recorder.domain.duration import ZERO
from onvif_recorder.domain.job import JobMode, JobSource, RecordingJobConfiguration, SourceReference
from onvif_recorder.domain.receiver import ReceiverMode, ReceiverState
from onvif_recorder.domain.recording import RecordingConfiguration, RecordingSource
from onvif_recorder.engine.receiver_supervisor import (
    IngestMediaFlow,
    ReceiverStates,
    ReceiverSupervisor,
)
from onvif_recorder.ingest.items import SessionStarted
from onvif_recorder.service.events import (
    DomainEvent,
    ReceiverConnectionFailed,
    ReceiverStateChanged,
)
from onvif_recorder.settings import RecorderSettings
from tests.camera import Camera
from tests.integration.ingest_support import QUICK, open_sockets, other_tasks, receiver

pytestmark = pytest.mark.slow
CONNECTED, NOT_CONNECTED = ReceiverState.CONNECTED, ReceiverState.NOT_CONNECTED
SOURCE = RecordingSource("urn:x", "cam", "hall", "door", "http://192.0.2.1/")


class Recorder:
    """The services with the ingest attached, and a subscriber to the receiver events."""

    def __init__(self, services: Services, ingest: ReceiverSupervisor) -> None:
        self.services = services
        self.ingest = ingest
        self.published = asyncio.Event()
        self.subscriber = services.events.subscribe(is_receiver_event)
        self.subscriber.listener = self.published.set  # called on the loop's thread

    def state(self, token: str) -> ReceiverState:
        """GetReceiverState (what the ingest reports, for a receiver deleted meanwhile)."""
        if token not in self.services.holder.state.receivers:
            return self.ingest.states.get(token)
        return self.services.receivers.receiver_state(token)[0]

    async def reach(self, token: str, state: ReceiverState) -> None:
        while self.state(token) is not state:
            self.published.clear()
            await self.published.wait()

    async def wait_state(self, token: str, state: ReceiverState) -> None:
        await asyncio.wait_for(self.reach(token, state), 10)

    def events(self) -> list[DomainEvent]:
        return [n.event for n in self.subscriber.take(1000)]


def is_receiver_event(event: DomainEvent) -> bool:
    return isinstance(event, ReceiverStateChanged | ReceiverConnectionFailed)


@pytest.fixture
def camera() -> Iterator[Camera]:
    with Camera() as running:
        yield running


@pytest.fixture
async def recorder(tmp_path: Path) -> AsyncIterator[Recorder]:
    sockets, tasks = open_sockets(), other_tasks()
    states = ReceiverStates()
    services = build_services(RecorderSettings(data_dir=tmp_path), IngestMediaFlow(states))
    ingest = ReceiverSupervisor(services.holder, services.engine, QUICK, states)
    await ingest.start()
    yield Recorder(services, ingest)
    await ingest.stop()
    services.holder.store.close()
    await asyncio.sleep(0.1)
    # No leak: never more sockets than before (an earlier test's may close meanwhile).
    assert other_tasks() == tasks and open_sockets() <= sockets


def states_of(events: list[DomainEvent], token: str) -> list[ReceiverState]:
    return [e.new_state for e in events
            if isinstance(e, ReceiverStateChanged) and e.receiver_token == token]


async def test_always_connect_then_never_connect_tears_down(
        camera: Camera, recorder: Recorder) -> None:
    """RECEIVER-2-1-16 (UDP) and its NeverConnect half: TEARDOWN, NotConnected."""
    uri = camera.url("/h264")
    token = recorder.services.receivers.create_receiver(receiver(uri)).token
    await recorder.wait_state(token, CONNECTED)
    assert states_of(recorder.events(), token) == [ReceiverState.CONNECTING, CONNECTED]
    recorder.services.receivers.set_receiver_mode(token, ReceiverMode.NEVER_CONNECT)
    assert await asyncio.to_thread(camera.wait_for_request, "TEARDOWN /h264")
    await recorder.wait_state(token, NOT_CONNECTED)
    [changed] = recorder.events()
    assert changed == ReceiverStateChanged(token, NOT_CONNECTED, uri)


async def test_auto_connect_follows_the_active_job(camera: Camera, recorder: Recorder) -> None:
    services = recorder.services
    token = services.receivers.create_receiver(
        receiver(camera.url("/h264"), udp=False, mode=ReceiverMode.AUTO_CONNECT)).token
    recording = services.recordings.create_recording(RecordingConfiguration(SOURCE, "", ZERO))
    source = JobSource(SourceReference(token))
    job = services.jobs.create_job(
        RecordingJobConfiguration(recording.token, JobMode.IDLE, 1, (source,)))
    await asyncio.sleep(0.3)
    assert recorder.state(token) is NOT_CONNECTED and recorder.events() == []
    services.jobs.set_job_mode(job.token, JobMode.ACTIVE)
    await recorder.wait_state(token, CONNECTED)
    services.jobs.set_job_mode(job.token, JobMode.IDLE)
    await recorder.wait_state(token, NOT_CONNECTED)
    assert camera.requests == ["TEARDOWN /h264"]


async def test_a_new_media_uri_restarts_the_connection(camera: Camera, recorder: Recorder) -> None:
    services = recorder.services
    token = services.receivers.create_receiver(receiver(camera.url("/h264"))).token
    queue = recorder.ingest.subscribe(token)
    await recorder.wait_state(token, CONNECTED)
    services.receivers.configure_receiver(token, receiver(camera.url("/h265")))
    assert await asyncio.to_thread(camera.wait_for_request, "TEARDOWN /h264")
    await recorder.wait_state(token, CONNECTED)
    assert states_of(recorder.events(), token) == [
        ReceiverState.CONNECTING, CONNECTED, NOT_CONNECTED, ReceiverState.CONNECTING, CONNECTED]
    sessions = [i for i in await queue.get_batch(10_000) if isinstance(i, SessionStarted)]
    assert [(s.session, s.media_uri, s.streams[0].encoding) for s in sessions] == [
        (1, camera.url("/h264"), "H264"), (1, camera.url("/h265"), "H265")]
    mode_only = receiver(camera.url("/h265"), mode=ReceiverMode.AUTO_CONNECT)
    services.receivers.configure_receiver(token, mode_only)  # no job wants it: disconnects
    await recorder.wait_state(token, NOT_CONNECTED)


async def test_switching_always_to_auto_with_a_job_keeps_the_connection(
        camera: Camera, recorder: Recorder) -> None:
    services = recorder.services
    token = services.receivers.create_receiver(receiver(camera.url("/h264"))).token
    recording = services.recordings.create_recording(RecordingConfiguration(SOURCE, "", ZERO))
    services.jobs.create_job(RecordingJobConfiguration(
        recording.token, JobMode.ACTIVE, 1, (JobSource(SourceReference(token)),)))
    await recorder.wait_state(token, CONNECTED)
    services.receivers.set_receiver_mode(token, ReceiverMode.AUTO_CONNECT)
    await asyncio.sleep(0.5)
    assert recorder.state(token) is CONNECTED and camera.requests == []
    assert states_of(recorder.events(), token) == [ReceiverState.CONNECTING, CONNECTED]


async def test_an_invalid_uri_reports_connection_failed(recorder: Recorder) -> None:
    """RECEIVER-2-1-18: ConnectionFailed, and GetReceiverState NotConnected."""
    uri = "rtsp://127.0.0.1:1/no-camera-here"
    token = recorder.services.receivers.create_receiver(receiver(uri)).token
    events: list[DomainEvent] = []

    async def failed() -> None:
        while ReceiverConnectionFailed(token, uri) not in events:
            recorder.published.clear()
            await recorder.published.wait()
            events.extend(recorder.events())

    await asyncio.wait_for(failed(), 5)
    assert recorder.state(token) is NOT_CONNECTED


async def test_deleting_a_connected_receiver_tears_it_down(
        camera: Camera, recorder: Recorder) -> None:
    token = recorder.services.receivers.create_receiver(
        receiver(camera.url("/h264", "user", "secret"))).token
    await recorder.wait_state(token, CONNECTED)
    recorder.services.receivers.delete_receiver(token)
    assert await asyncio.to_thread(camera.wait_for_request, "TEARDOWN /h264")
    await recorder.wait_state(token, NOT_CONNECTED)
    assert recorder.ingest.task(token) is None
    uris = [e.media_uri for e in recorder.events() if isinstance(e, ReceiverStateChanged)]
    assert uris and all(uri is not None and "secret" not in uri for uri in uris)  # redacted
