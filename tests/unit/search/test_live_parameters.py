"""Track/VideoParameters and AudioParameters published live (Search §5.17) from what the
segment index says was recorded: once per span start whose first segment is finished,
at the span start's time, the values FindEvents computes (``search.parameters``).

Real store and services; the recorded data is a table of ranges and facts (the port
``RecordedData``), the media flow one where every track flows (the engine's report)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onvif_recorder.domain.duration import ZERO
from onvif_recorder.domain.job import JobMode, JobSource, RecordingJobConfiguration, SourceReference
from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.domain.recording import RecordingConfiguration, RecordingSource
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.service.events import (
    EventBus,
    Notification,
    PropertyOperation,
    TrackAudioParameters,
    TrackVideoParameters,
    VideoRateControl,
)
from onvif_recorder.service.job_states import JobStates
from onvif_recorder.service.jobs import JobService
from onvif_recorder.service.live_track_parameters import LiveTrackParameters
from onvif_recorder.service.recordings import RecordingService
from onvif_recorder.service.search.recorded import (
    AudioFacts,
    MetadataFacts,
    MetadataSample,
    RecordedRange,
    TrackFacts,
    VideoFacts,
)
from onvif_recorder.service.state import StateHolder
from onvif_recorder.settings import Limits

CONFIG = RecordingConfiguration(RecordingSource("urn:x", "cam", "hall", "door", ""), "", ZERO)
INITIALIZED, CHANGED = PropertyOperation.INITIALIZED, PropertyOperation.CHANGED
VGA = VideoFacts("H264", 640, 360, 25.0, 800)
HD = VideoFacts("H265", 1280, 720, 30.0, 2000)


class Flowing:
    """Every track of every job receives media."""

    def flowing(self, job_token: str, source_token: str, destination: str) -> bool:
        return True

    def errors(self) -> Mapping[tuple[str, str, str], str]:
        return {}

    def receiver_state(self, receiver_token: str) -> ReceiverState:
        return ReceiverState.CONNECTED


class Recorded:
    """What the segment index would say: ranges per recording, facts per span start."""

    def __init__(self) -> None:
        self.tracks: dict[str, dict[str, list[RecordedRange]]] = {}
        self.finished: dict[tuple[str, float], dict[str, TrackFacts]] = {}

    def ranges(self, recording: str) -> dict[str, list[RecordedRange]]:
        return self.tracks.get(recording, {})

    def facts(self, recording: str, at: float) -> dict[str, TrackFacts]:
        return self.facts_from(recording, at)

    def facts_from(self, recording: str, start: float) -> dict[str, TrackFacts]:
        return self.finished.get((recording, start), {})

    def metadata(self, recording: str, low: float, high: float) -> list[MetadataSample]:
        return []

    def close(self) -> None:
        pass


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.bus = EventBus()
        self.holder = StateHolder(SqliteStore(tmp_path / "db.sqlite3"), self.bus)
        self.recordings = RecordingService(self.holder, Limits())
        self.jobs = JobService(self.holder, Limits(), Flowing())
        self.job_states = JobStates(self.holder, Flowing(), self.bus)
        self.data = Recorded()
        self.token = self.recordings.create_recording(CONFIG).token
        source = JobSource(SourceReference(""), auto_create_receiver=True)
        self.job = self.jobs.create_job(
            RecordingJobConfiguration(self.token, JobMode.IDLE, 1, (source,))).token

    def live(self) -> LiveTrackParameters:
        live = LiveTrackParameters(self.holder, self.job_states, self.bus, self.data)
        self._subscriber = self.bus.subscribe(
            lambda e: isinstance(e, TrackVideoParameters | TrackAudioParameters),
            initialize=False)
        return live

    def poll(self, live: LiveTrackParameters) -> list[Notification]:
        """What one poll published."""
        live.poll()
        return self._subscriber.take(100)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def parameters(notification: Notification) -> TrackVideoParameters | TrackAudioParameters:
    event = notification.event
    assert isinstance(event, TrackVideoParameters | TrackAudioParameters)
    return event


def test_a_span_is_published_once_its_first_segment_is_finished(world: World) -> None:
    live = world.live()
    world.jobs.set_job_mode(world.job, JobMode.ACTIVE)
    world.data.tracks[world.token] = {"VIDEO001": [RecordedRange(100.25, 100.25, open=True)],
                                      "AUDIO001": [RecordedRange(100.25, 100.25, open=True)]}
    assert world.poll(live) == []  # its first segment is still being written
    world.data.tracks[world.token] = {"VIDEO001": [RecordedRange(100.25, 102.25, open=True)],
                                      "AUDIO001": [RecordedRange(100.25, 102.25, open=True)],
                                      "META001": [RecordedRange(100.25, 102.25, open=True)]}
    world.data.finished[(world.token, 100.25)] = {
        "VIDEO001": VGA, "AUDIO001": AudioFacts("AAC", 16, 32), "META001": MetadataFacts()}
    found = world.poll(live)
    assert [n.event for n in found] == [
        TrackVideoParameters(world.token, "VIDEO001", "H264", 640, 360, INITIALIZED,
                             VideoRateControl(25, 1, 800)),
        TrackAudioParameters(world.token, "AUDIO001", "AAC", 16, 32, INITIALIZED)]
    assert {n.utc_time for n in found} == {at(100.25)}  # the recording time (§5.17)
    assert world.poll(live) == []  # once


def test_later_spans_are_changes_and_subscribers_get_the_last_values(world: World) -> None:
    live = world.live()
    world.jobs.set_job_mode(world.job, JobMode.ACTIVE)
    world.data.finished[(world.token, 10)] = {"VIDEO001": VGA}
    world.data.finished[(world.token, 20)] = {"VIDEO001": HD}
    world.data.finished[(world.token, 50)] = {"VIDEO001": VGA}
    # A resolution change starts a span without a gap, then a gap, then a new range.
    world.data.tracks[world.token] = {"VIDEO001": [
        RecordedRange(10, 30, joined=(20,)), RecordedRange(50, 51, open=True)]}
    found = world.poll(live)
    videos = [(n.utc_time, n.event) for n in found if isinstance(n.event, TrackVideoParameters)]
    assert [(moment, video.operation, video.width) for moment, video in videos] == [
        (at(10), INITIALIZED, 640), (at(20), CHANGED, 1280), (at(50), CHANGED, 640)]
    synced = world.bus.subscribe(lambda e: isinstance(e, TrackVideoParameters))
    assert [n.event for n in synced.take(10)] == [
        TrackVideoParameters(world.token, "VIDEO001", "H264", 640, 360, INITIALIZED,
                             VideoRateControl(25, 1, 800))]


def test_what_was_recorded_before_is_history_not_news(world: World) -> None:
    world.data.tracks[world.token] = {"VIDEO001": [RecordedRange(10, 30)]}
    world.data.finished[(world.token, 10)] = {"VIDEO001": VGA}
    live = world.live()
    world.jobs.set_job_mode(world.job, JobMode.ACTIVE)
    assert world.poll(live) == []
    world.data.tracks[world.token]["VIDEO001"].append(RecordedRange(40, 42, open=True))
    world.data.finished[(world.token, 40)] = {"VIDEO001": HD}
    assert [parameters(n).operation for n in world.poll(live)] == [INITIALIZED]


def test_the_last_span_of_a_stopped_job_still_comes_and_deletion_ends_it(world: World) -> None:
    live = world.live()
    world.jobs.set_job_mode(world.job, JobMode.ACTIVE)
    world.data.tracks[world.token] = {"VIDEO001": [RecordedRange(10, 10, open=True)]}
    assert world.poll(live) == []
    world.jobs.set_job_mode(world.job, JobMode.IDLE)  # the segment closes after the job
    world.data.tracks[world.token] = {"VIDEO001": [RecordedRange(10, 12)]}
    world.data.finished[(world.token, 10)] = {"VIDEO001": VGA}
    assert len(world.poll(live)) == 1
    world.recordings.delete_recording(world.token)
    [deleted] = world.poll(live)
    assert parameters(deleted).operation is PropertyOperation.DELETED
    assert world.bus.subscribe(lambda e: isinstance(e, TrackVideoParameters)).take(10) == []
