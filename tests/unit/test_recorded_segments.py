"""RC 26.06 segment listing and export planning (service.recorded_segments) over a real
store, with segments described as the segment index holds them: stable answers, paging
that never skips or repeats a segment, B.4 export keys, the StorageStrategy faults."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from onvif_recorder.domain import errors
from onvif_recorder.domain.duration import ZERO, XsDuration
from onvif_recorder.domain.export import InvalidStorage
from onvif_recorder.domain.recording import RecordingConfiguration, RecordingSource, RecordingTarget
from onvif_recorder.domain.storage import StorageConfiguration, StorageConfigurationData
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.service.recorded_segments import (
    ExportRequest,
    FinishedSegment,
    RecordedSegments,
    micros,
)
from onvif_recorder.service.recordings import RecordingService
from onvif_recorder.service.state import Changes, StateHolder
from onvif_recorder.service.storage_strategy import placement
from onvif_recorder.settings import Limits
from onvif_recorder.storage.local import layout_for
from onvif_recorder.storage.local_segments import export_key
from onvif_recorder.storage.object_key import segment_key

SOURCE = RecordingSource("urn:x", "cam", "hall", "door", "http://192.0.2.1/")
T0 = 1_780_000_000.123456
S3 = StorageConfigurationData("ObjectStorageS3", storage_uri="http://s3.test/bucket/")
NFS = StorageConfigurationData("NFS", local_path="/mnt/nfs")


class Segments:
    """The finished local segments, as ``storage.local_segments`` gives them."""

    def __init__(self) -> None:
        self.rows: list[FinishedSegment] = []

    def add(self, recording: str, start: float, end: float, extension: str = "mp4",
            counter: int = 0, tracks: tuple[str, ...] = ("VIDEO001",)) -> None:
        key = segment_key(layout_for(recording), start, counter, extension)
        self.rows.append(FinishedSegment(recording, key, "span", extension, start, end, tracks))

    def finished(self, recording: str, start: float, end: float) -> list[FinishedSegment]:
        return [r for r in self.rows if r.recording == recording and r.start_utc < end
                and r.end_utc > start]

    def path(self, row: FinishedSegment) -> Path:
        return Path("/media") / row.key

    def media_type(self, row: FinishedSegment) -> str:
        return {"mp4": 'video/mp4; codecs="avc1.64001F,mp4a.40.2"', "m4v": "video/mp4",
                "m4a": "audio/mp4", "m4m": "application/mp4"}[row.extension]

    def close(self) -> None:
        pass


@pytest.fixture
def holder(tmp_path: Path) -> StateHolder:
    holder = StateHolder(SqliteStore(tmp_path / "db.sqlite3"))
    holder.commit(Changes(storage=[StorageConfiguration("S3", S3),
                                   StorageConfiguration("NFS", NFS)]))
    return holder


def recording(holder: StateHolder, target: RecordingTarget | None = None,
              local_medium: bool = True) -> str:
    service = RecordingService(holder, Limits(), lambda: local_medium)
    return service.create_recording(RecordingConfiguration(SOURCE, "", ZERO, target)).token


def target(storage: str = "S3", strategy: str | None = "Local", fmt: str = "MP4",
           ) -> RecordingTarget:
    return RecordingTarget(storage, fmt, XsDuration.parse("PT1S"), "site-2", "camera-5",
                           storage_strategy=strategy)


def contiguous(segments: Segments, token: str, count: int, start: float = T0) -> None:
    for n in range(count):  # a sync sample every ~1.0 s: segments of slightly uneven length
        segments.add(token, start + n * 1.0 + n * 0.0137, start + (n + 1) * 1.0 + (n + 1) * 0.0137,
                     counter=n)


def walk(listing: RecordedSegments, token: str, start: int, until: int, size: int,
         ) -> list[tuple[int, int]]:
    """A client paging as §5.26 says: From = the last EndTime while HasMoreResults."""
    found: list[tuple[int, int]] = []
    while True:
        page = listing.list(token, start, until, size)
        assert len(page.segments) <= size
        found += [(s.start_us, s.end_us) for s in page.segments]
        if not page.has_more:
            return found
        assert page.segments, "HasMoreResults without a segment: the client cannot go on"
        start = page.segments[-1].end_us


def test_listing_is_stable_paged_and_only_appended(holder: StateHolder) -> None:
    segments = Segments()
    token = recording(holder)
    contiguous(segments, token, 7)
    listing = RecordedSegments(holder, segments, export_key)
    start, until = micros(T0 + 0.5), micros(T0 + 5.5)
    whole = listing.list(token, start, until)
    assert not whole.has_more
    assert len(whole.segments) == 6  # covering the range, first and last only partly
    assert whole.segments[0].start_us == micros(T0) < start
    assert whole.segments == listing.list(token, start, until).segments
    assert [s.start_us for s in whole.segments] == sorted(s.start_us for s in whole.segments)
    for size in (1, 2, 3, 5):
        assert walk(listing, token, start, until, size) == [
            (s.start_us, s.end_us) for s in whole.segments]
    segments.add(token, T0 + 7.1, T0 + 8.1, counter=7)  # recorded later
    later = listing.list(token, start, micros(T0 + 9)).segments
    assert later[:len(whole.segments) + 1][:-1] == whole.segments
    assert len(later) == len(whole.segments) + 2 and later[-1].start_us == micros(T0 + 7.1)


def test_paging_never_steps_over_a_cmaf_segment_inside_another(holder: StateHolder) -> None:
    segments = Segments()
    token = recording(holder, target(fmt="CMAF"))
    for n in range(5):
        base = T0 + 2.0 * n
        segments.add(token, base, base + 2.0, "m4v", n)
        segments.add(token, base + 0.02, base + 1.98, "m4a", n)  # inside the video one
        segments.add(token, base + 0.5, base + 1.0, "m4m", n)
    listing = RecordedSegments(holder, segments, export_key)
    every = sorted((micros(r.start_utc), micros(r.end_utc)) for r in segments.rows)
    whole = listing.list(token, micros(T0), micros(T0 + 10))  # all in one answer
    assert [(s.start_us, s.end_us) for s in whole.segments] == every and not whole.has_more
    for size in (2, 3, 4, 7):
        assert sorted(walk(listing, token, micros(T0), micros(T0 + 10), size)) == every


def test_list_faults(holder: StateHolder) -> None:
    listing = RecordedSegments(holder, Segments(), export_key)
    with pytest.raises(errors.NoRecording):
        listing.list("nope", 0, 1)
    token = recording(holder)
    with pytest.raises(errors.InvalidArgVal):
        listing.list(token, 0, 1, 0)
    assert listing.list(token, 10, 5).segments == ()  # Until before From: nothing


def test_export_plan_keys_names_and_track_filter(holder: StateHolder) -> None:
    segments = Segments()
    token = recording(holder, target(fmt="CMAF"))
    segments.add(token, T0, T0 + 1, "m4v", 0)
    segments.add(token, T0 + 0.01, T0 + 1, "m4a", 0)
    plans = RecordedSegments(holder, segments, export_key, lambda: "Op_1")
    request = ExportRequest(token, micros(T0), micros(T0 + 2), "alias")
    job = plans.plan_export(request, "http://nvr/onvif/recording_service")
    keys = [item.key for item in job.items]
    assert keys == ["site-2/2026-05-28/camera-5/20/26-40.123Z.0.m4v",
                    "site-2/2026-05-28/camera-5/20/26-40.133Z.0.m4a"]
    assert [item.file_name for item in job.items] == [f"http://s3.test/bucket/{k}" for k in keys]
    assert (job.token, job.storage, job.alias) == ("Op_1", "S3", "alias")
    audio = plans.plan_export(replace(request, track="Audio"), "x")
    assert [item.key for item in audio.items] == keys[1:]
    assert plans.plan_export(replace(request, track="Metadata"), "x").items == ()


def test_export_without_target_keeps_the_local_key(holder: StateHolder) -> None:
    segments = Segments()
    token = recording(holder)
    segments.add(token, T0, T0 + 1, "mp4", 3)
    plans = RecordedSegments(holder, segments, export_key)
    job = plans.plan_export(ExportRequest(token, micros(T0), micros(T0 + 1), storage="S3"), "x")
    assert [item.key for item in job.items] == [segments.rows[0].key]
    with pytest.raises(InvalidStorage):
        plans.plan_export(ExportRequest(token, micros(T0), micros(T0 + 1)), "x")


def test_local_and_both_need_a_local_medium(holder: StateHolder) -> None:
    for strategy in ("Local", "Both"):
        with pytest.raises(errors.NoLocalRecording):
            recording(holder, target(strategy=strategy), local_medium=False)
    recording(holder, target(strategy="External"), local_medium=False)  # uploads only


def test_placement_decides_local_and_upload() -> None:
    assert placement(None, None) == placement(target("NFS"), NFS)
    assert placement(target(strategy=None), S3) == placement(target(strategy="External"), S3)
    cases = {"External": (False, True), "Local": (True, False), "Both": (True, True)}
    for strategy, (local, upload) in cases.items():
        where = placement(target(strategy=strategy), S3)
        assert (where.local, where.upload) == (local, upload), strategy
    assert (placement(None, None).local, placement(None, None).upload) == (True, False)


def test_storage_strategy_is_stored(holder: StateHolder, tmp_path: Path) -> None:
    token = recording(holder, target(strategy="Both"))
    reloaded = StateHolder(SqliteStore(tmp_path / "db.sqlite3"))
    stored = reloaded.state.recordings[token].configuration.target
    assert stored is not None and stored.storage_strategy == "Both"
