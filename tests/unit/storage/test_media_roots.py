"""Several media roots: where new segments go (healthy roots, turns, a failed or full root
skipped), that every segment is found, repaired, reconciled and deleted on its own root,
and that each root keeps its own reserve."""

from __future__ import annotations

from pathlib import Path

import pytest

from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.service.events import EventBus
from onvif_recorder.settings import MediaRoot
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.media_roots import FAILED_FOR, MediaRoots
from onvif_recorder.storage.retention import Retention
from onvif_recorder.storage.segment_index import SegmentIndex
from tests.unit.storage.test_local import RECORDING, record

Usage = dict[str, float]


def roots(tmp_path: Path, free: Usage, reserves: tuple[float, float] = (0.05, 0.05),
          now: list[float] | None = None) -> MediaRoots:
    clock = now or [0.0]
    a, b = tmp_path / "a", tmp_path / "b"

    def usage(path: str) -> tuple[int, int, int]:
        if not Path(path).is_dir():
            raise FileNotFoundError(path)
        left = int(free[Path(path).name] * 1000)
        return 1000, 1000 - left, left

    return MediaRoots(tmp_path / "data" / "media", (MediaRoot(a, reserves[0]),
                                                    MediaRoot(b, reserves[1])),
                      clock=lambda: clock[0], disk_usage=usage)


def names(found: list[MediaRoot]) -> list[str]:
    return [r.path.name for r in found]


def test_alike_roots_take_turns_and_the_emptier_root_comes_first(tmp_path: Path) -> None:
    alike = roots(tmp_path, {"a": 0.5, "b": 0.505})
    assert {names(alike.choose())[0] for _ in range(4)} == {"a", "b"}
    apart = roots(tmp_path, {"a": 0.3, "b": 0.6})
    assert [names(apart.choose()) for _ in range(3)] == [["b", "a"]] * 3


def test_a_root_below_its_reserve_is_only_a_last_resort(tmp_path: Path) -> None:
    found = roots(tmp_path, {"a": 0.5, "b": 0.2}, reserves=(0.05, 0.25))
    assert [names(found.choose())[0] for _ in range(3)] == ["a"] * 3
    everything_full = roots(tmp_path, {"a": 0.01, "b": 0.04})
    assert names(everything_full.choose()) == ["b", "a"]  # recording goes on somewhere


def test_a_failed_root_is_left_out_for_a_while(tmp_path: Path) -> None:
    now = [100.0]
    found = roots(tmp_path, {"a": 0.5, "b": 0.5}, now=now)
    found.failed(found.name(found.roots[1]))
    assert [names(found.choose()) for _ in range(2)] == [["a"]] * 2
    now[0] += FAILED_FOR + 1
    assert set(names(found.choose())) == {"a", "b"}


def test_a_root_that_cannot_be_created_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "b").write_text("not a directory: a failed mount")
    assert names(roots(tmp_path, {"a": 0.5, "b": 0.9}).choose()) == ["a"]


def storage_on(tmp_path: Path, media_roots: MediaRoots) -> LocalStorage:
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    SqliteStore(data / "recorder.sqlite3").close()
    return LocalStorage(media_roots, SegmentIndex(data / "recorder.sqlite3"))


def test_segments_spread_are_found_recovered_and_deleted_on_their_roots(
        tmp_path: Path) -> None:
    storage = storage_on(tmp_path, roots(tmp_path, {"a": 0.5, "b": 0.5}))
    record(storage)
    record(storage)  # a second recording session: two more segments
    rows = storage.index.segments(RECORDING)
    assert {Path(r.root).name for r in rows} == {"a", "b"}
    for row in rows:
        assert storage.path_of(row.key) == Path(row.root) / row.key
        assert storage.path_of(row.key).is_file()
    assert storage.recover().forgotten == []
    assert storage.index.segments(RECORDING) == rows
    storage.delete(rows[:1])
    assert not (Path(rows[0].root) / rows[0].key).exists()
    storage.delete_recording_files(RECORDING)
    assert not list((tmp_path / "a").rglob("*.mp4")) and not list((tmp_path / "b").rglob("*.mp4"))


def test_a_root_failing_to_take_a_segment_hands_it_to_the_next(tmp_path: Path) -> None:
    media_roots = roots(tmp_path, {"a": 0.5, "b": 0.9})
    storage = storage_on(tmp_path, media_roots)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / RECORDING).write_text("a file where the recording's directory goes")
    record(storage)  # b has more room, but cannot take the files
    assert {Path(r.root).name for r in storage.index.segments(RECORDING)} == {"a"}
    assert names(media_roots.choose()) == ["a"]  # and b is left out for now


def test_a_missing_root_keeps_its_rows_at_start_up(tmp_path: Path) -> None:
    storage = storage_on(tmp_path, roots(tmp_path, {"a": 0.5, "b": 0.5}))
    record(storage)
    record(storage)
    on_b = [r for r in storage.index.segments(RECORDING) if Path(r.root).name == "b"]
    (tmp_path / "b").rename(tmp_path / "b-unmounted")
    storage.recover()
    assert [r for r in storage.index.segments(RECORDING) if Path(r.root).name == "b"] == on_b


@pytest.mark.parametrize("short", ["a", "b"])
def test_each_root_keeps_its_own_reserve(tmp_path: Path, short: str) -> None:
    free = {"a": 0.5, "b": 0.5}
    storage = storage_on(tmp_path, roots(tmp_path, free))
    record(storage)
    record(storage)
    before = storage.index.segments(RECORDING)
    free[short] = 0.01
    keeper = Retention(storage, EventBus(), disk_usage=lambda path: (
        1000, 1000 - int(free[Path(path).name] * 1000), int(free[Path(path).name] * 1000)))
    keeper.enforce_reserve()
    after = storage.index.segments(RECORDING)
    assert after == [r for r in before if Path(r.root).name != short]


def test_a_segment_moved_to_another_root_is_found_there_after_start_up(
        tmp_path: Path) -> None:
    storage = storage_on(tmp_path, roots(tmp_path, {"a": 0.5, "b": 0.5}))
    record(storage)
    record(storage)
    moved = next(r for r in storage.index.segments(RECORDING) if Path(r.root).name == "b")
    target = tmp_path / "a" / moved.key
    target.parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "b" / moved.key).rename(target)
    assert storage.recover().forgotten == []
    assert storage.path_of(moved.key) == target
