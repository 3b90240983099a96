"""What the services publish after a successful commit (RC §5.26), and the JobState
property derived from every job (RC §5.26.1), over a real SQLite store."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from onvif_recorder.domain.duration import ZERO
from onvif_recorder.domain.job import (
    JobMode,
    JobSource,
    JobState,
    JobTrack,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.domain.recording import (
    RecordingConfiguration,
    RecordingSource,
    TrackConfiguration,
    TrackType,
)
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.service.events import (
    DomainEvent,
    EventBus,
    JobConfigurationChanged,
    JobStateChanged,
    PropertyOperation,
    ReceiverConnectionFailed,
    ReceiverStateChanged,
    RecordingConfigurationChanged,
    RecordingCreated,
    RecordingDeleted,
    Subscriber,
    TrackConfigurationChanged,
    TrackCreated,
    TrackDeleted,
)
from onvif_recorder.service.job_states import EngineEvents, JobStates
from onvif_recorder.service.jobs import JobService
from onvif_recorder.service.recordings import RecordingService
from onvif_recorder.service.state import Changes, StateHolder
from onvif_recorder.settings import Limits
from tests.flowing_media import FlowingMedia

SOURCE = RecordingSource("urn:x", "cam", "hall", "door", "http://192.0.2.1/")
CONFIG = RecordingConfiguration(SOURCE, "content", ZERO)
INITIALIZED, CHANGED, DELETED = (
    PropertyOperation.INITIALIZED,
    PropertyOperation.CHANGED,
    PropertyOperation.DELETED,
)


@dataclass
class World:
    bus: EventBus
    holder: StateHolder
    recordings: RecordingService
    jobs: JobService
    engine: EngineEvents
    flow: FlowingMedia
    seen: Subscriber

    def events(self) -> list[DomainEvent]:
        return [n.event for n in self.seen.take(1000)]


class FailingStore(SqliteStore):
    """A real store whose commits fail, as a full disk would make them."""

    def commit(self, changes: Changes) -> None:
        raise OSError("disk full")


def make_world(store: SqliteStore) -> World:
    bus = EventBus()
    holder = StateHolder(store, bus)
    flow = FlowingMedia()
    job_states = JobStates(holder, flow, bus)
    limits = Limits()
    return World(
        bus,
        holder,
        RecordingService(holder, limits),
        JobService(holder, limits, flow),
        EngineEvents(bus, job_states),
        flow,
        bus.subscribe(),
    )


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(SqliteStore(tmp_path / "db.sqlite3"))


def job_config(recording: str, mode: JobMode = JobMode.IDLE) -> RecordingJobConfiguration:
    source = JobSource(SourceReference(""), auto_create_receiver=True)
    return RecordingJobConfiguration(recording, mode, 1, (source,))


def test_create_recording_announces_the_recording_and_each_default_track(world: World) -> None:
    token = world.recordings.create_recording(CONFIG).token
    assert world.events() == [
        RecordingCreated(token),
        TrackCreated(token, "VIDEO001"),
        TrackCreated(token, "AUDIO001"),
        TrackCreated(token, "META001"),
    ]


def test_delete_recording_announces_each_track_then_the_recording_then_its_jobs(
    world: World,
) -> None:
    token = world.recordings.create_recording(CONFIG).token
    extra = world.recordings.create_track(token, TrackConfiguration(TrackType.VIDEO, "x")).token
    job = world.jobs.create_job(job_config(token)).token
    world.events()
    world.recordings.delete_recording(token)
    assert world.events() == [
        TrackDeleted(token, "VIDEO001"),
        TrackDeleted(token, "AUDIO001"),
        TrackDeleted(token, "META001"),
        TrackDeleted(token, extra),
        RecordingDeleted(token),
        JobStateChanged(job, DELETED, None),
    ]


def test_configuration_events_carry_what_get_returns_and_only_on_change(world: World) -> None:
    token = world.recordings.create_recording(CONFIG).token
    world.events()
    long_content = replace(CONFIG, content="x" * 5000)  # truncated to 1024 when stored
    world.recordings.set_recording_configuration(token, long_content)
    stored = world.recordings.recording(token).configuration
    assert len(stored.content) == 1024
    assert world.events() == [RecordingConfigurationChanged(token, stored)]
    world.recordings.set_recording_configuration(token, long_content)
    assert world.events() == []


def test_track_events(world: World) -> None:
    token = world.recordings.create_recording(CONFIG).token
    world.events()
    track = world.recordings.create_track(token, TrackConfiguration(TrackType.AUDIO, "mic"))
    world.recordings.set_track_configuration(
        token, track.token, TrackConfiguration(TrackType.VIDEO, "new")
    )
    stored = world.recordings.track(token, track.token).configuration
    world.recordings.set_track_configuration(token, track.token, stored)
    world.recordings.delete_track(token, track.token)
    assert stored == TrackConfiguration(TrackType.AUDIO, "new")  # TrackType never changes
    assert world.events() == [
        TrackCreated(token, track.token),
        TrackConfigurationChanged(token, track.token, stored),
        TrackDeleted(token, track.token),
    ]


def test_job_lifecycle_as_property_and_configuration_events(world: World) -> None:
    recording = world.recordings.create_recording(CONFIG).token
    world.events()
    job = world.jobs.create_job(job_config(recording))
    idle = world.jobs.job_state(job.token)
    assert world.events() == [JobStateChanged(job.token, INITIALIZED, idle)]
    world.jobs.set_job_mode(job.token, JobMode.ACTIVE)
    active = world.jobs.job_state(job.token)
    assert active.state is JobState.ACTIVE
    configuration = world.jobs.job(job.token).configuration
    assert world.events() == [
        JobConfigurationChanged(job.token, configuration),
        JobStateChanged(job.token, CHANGED, active),
    ]
    world.jobs.set_job_mode(job.token, JobMode.ACTIVE)  # no change, no event
    world.jobs.delete_job(job.token)
    assert world.events() == [JobStateChanged(job.token, DELETED, None)]


def test_only_a_change_of_the_state_field_is_announced(world: World) -> None:
    """RC §5.26.1: a priority change that leaves the job Idle changes nothing visible."""
    recording = world.recordings.create_recording(CONFIG).token
    job = world.jobs.create_job(job_config(recording)).token
    world.events()
    world.jobs.set_job_configuration(job, replace(world.jobs.job(job).configuration, priority=7))
    assert [type(e) for e in world.events()] == [JobConfigurationChanged]


def test_engine_reports_change_job_states_and_receiver_events(world: World) -> None:
    recording = world.recordings.create_recording(CONFIG).token
    job = world.jobs.create_job(job_config(recording, JobMode.ACTIVE)).token
    world.events()
    world.flow.stopped = True
    world.engine.media_flow_changed()
    [event] = world.events()
    assert event == JobStateChanged(job, CHANGED, world.jobs.job_state(job))
    assert world.jobs.job_state(job).state is JobState.IDLE
    world.engine.receiver_state_changed("Receiver_1", ReceiverState.CONNECTING, "rtsp://x/")
    world.engine.receiver_connection_failed("Receiver_1", "rtsp://x/")
    assert world.events() == [
        ReceiverStateChanged("Receiver_1", ReceiverState.CONNECTING, "rtsp://x/"),
        ReceiverConnectionFailed("Receiver_1", "rtsp://x/"),
    ]


def test_a_new_subscriber_is_told_every_job_state(world: World) -> None:
    recording = world.recordings.create_recording(CONFIG).token
    first = world.jobs.create_job(job_config(recording)).token
    second = world.jobs.create_job(job_config(recording, JobMode.ACTIVE)).token
    initial = [n.event for n in world.bus.subscribe().take(10)]
    assert initial == [
        JobStateChanged(first, INITIALIZED, world.jobs.job_state(first)),
        JobStateChanged(second, INITIALIZED, world.jobs.job_state(second)),
    ]


def test_tracks_arbitrated_per_track_make_a_partially_active_job(world: World) -> None:
    recording = world.recordings.create_recording(CONFIG).token
    tracks = (JobTrack("video", "VIDEO001"), JobTrack("audio", "AUDIO001"))
    low = RecordingJobConfiguration(
        recording, JobMode.ACTIVE, 1, (JobSource(SourceReference(""), tracks, True),)
    )
    job = world.jobs.create_job(low).token
    high = replace(low, priority=5, sources=(JobSource(SourceReference(""), tracks[:1], True),))
    world.events()
    world.jobs.create_job(high)
    changed = [e for e in world.events() if isinstance(e, JobStateChanged) and e.job_token == job]
    assert [e.operation for e in changed] == [CHANGED]
    assert changed[0].state == world.jobs.job_state(job)
    assert world.jobs.job_state(job).state is JobState.PARTIALLY_ACTIVE


def test_a_failed_write_publishes_nothing(tmp_path: Path) -> None:
    world = make_world(FailingStore(tmp_path / "db.sqlite3"))
    with pytest.raises(OSError):
        world.recordings.create_recording(CONFIG)
    assert world.events() == []
