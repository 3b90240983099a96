"""Retention on a fake clock and a fake file system size: whole segments, DeleteTrackData."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.recording import (
    Recording,
    RecordingConfiguration,
    RecordingSource,
)
from onvif_recorder.service.events import EventBus, TrackDataDeleted
from onvif_recorder.service.state import RecorderState
from onvif_recorder.storage.retention import Retention
from tests.unit.mp4 import media
from tests.unit.storage.test_local import RECORDING, open_storage, record


def state(retention: str) -> RecorderState:
    source = RecordingSource("id", "name", "", "", "")
    configuration = RecordingConfiguration(source, "", XsDuration.parse(retention))
    return RecorderState(recordings={RECORDING: Recording(RECORDING, configuration)})


def deleted(bus_events: list[object]) -> list[TrackDataDeleted]:
    return [e for e in bus_events if isinstance(e, TrackDataDeleted)]


def run(tmp_path: Path, retention: str, now: float,
        free: float = 0.5) -> tuple[Retention, list[TrackDataDeleted]]:
    storage = open_storage(tmp_path / "data")
    record(storage)
    bus = EventBus()
    subscriber = bus.subscribe(initialize=False)
    keeper = Retention(storage, bus, clock=lambda: now,
                       disk_usage=lambda _: (1000, int(1000 * (1 - free)), int(1000 * free)))
    keeper.enforce(state(retention))
    return keeper, deleted([n.event for n in subscriber.take(100)])


def test_unlimited_retention_keeps_everything(tmp_path: Path) -> None:
    keeper, events = run(tmp_path, "PT0S", media.T0 + 10 * 365 * 86400)
    assert keeper.deleted_segments == 0 and events == []


def test_segments_past_the_retention_time_go_with_their_range(tmp_path: Path) -> None:
    # Segments span T0..T0+1 and T0+1..T0+2; at T0+61.5 only the first is older than 60 s.
    keeper, events = run(tmp_path, "PT60S", media.T0 + 61.5)
    assert keeper.deleted_segments == 1
    assert {e.track_token for e in events} == {"VIDEO001", "AUDIO001"}
    video = next(e for e in events if e.track_token == "VIDEO001")
    assert video.recording_token == RECORDING
    assert video.start_time == datetime.fromtimestamp(media.T0, UTC)
    assert (video.end_time - video.start_time).total_seconds() == pytest.approx(1.0, abs=0.01)
    remaining = keeper.storage.index.segments(RECORDING)
    assert len(remaining) == 1 and keeper.storage.path_of(remaining[0].key).exists()


def test_disk_reserve_deletes_the_oldest_data_first(tmp_path: Path) -> None:
    keeper, events = run(tmp_path, "PT0S", media.T0, free=0.01)
    # The fake disk never frees up: everything finished goes, oldest first, with events.
    assert keeper.deleted_segments == 2 and keeper.storage.index.segments() == []
    assert sorted(e.track_token for e in events) == ["AUDIO001", "VIDEO001"]  # one pass
    assert all(e.start_time == datetime.fromtimestamp(media.T0, UTC) for e in events)
    assert all((e.end_time - e.start_time).total_seconds() >= 2.0 for e in events)


def span_ends(keeper: Retention) -> list[Path]:
    return sorted(keeper.storage.root.rglob("*_end"))


def test_a_span_end_goes_with_the_spans_last_segment(tmp_path: Path) -> None:
    keeper, _ = run(tmp_path, "PT60S", media.T0 + 61.5)
    assert len(span_ends(keeper)) == 1  # the span keeps its end while it has data
    keeper.clock = lambda: media.T0 + 3600
    keeper.enforce(state("PT60S"))
    assert keeper.storage.index.segments() == [] and span_ends(keeper) == []
    assert list(keeper.storage.root.iterdir()) == []  # no empty date or hour directory


def test_a_repaired_span_end_goes_with_its_data(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "data")
    record(storage, close=False)  # the second segment stays a .partial: "kill -9"
    storage.recover()  # repaired; its span end is written where its data ends
    assert len(sorted(storage.root.rglob("*_end"))) == 1
    keeper = Retention(storage, EventBus(), clock=lambda: media.T0 + 3600,
                       disk_usage=lambda _: (1000, 500, 500))
    keeper.enforce(state("PT60S"))
    assert storage.index.segments() == [] and list(storage.root.rglob("*")) == []
