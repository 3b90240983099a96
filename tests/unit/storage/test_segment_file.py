"""The shared durable segment writer, and its crash repair tested once for both users.

``SegmentFile`` on real files (an fsync spy records what reaches the disk when);
``repair_partial`` through local storage (``LocalStorage.recover``) and the upload
spool (``spool_recovery.sweep``) alike, with a real segmenter, real SQLite, and
PyAV/ffprobe as the oracle.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import pytest

from onvif_recorder.mp4.events import Event, FragmentWritten, SegmentOpened
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import read_boxes
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.object_key import KeyLayout
from onvif_recorder.storage.object_sink import ObjectSink
from onvif_recorder.storage.segment_file import PARTIAL, TEMPORARY, SegmentFile
from onvif_recorder.storage.segment_index import SegmentIndex
from onvif_recorder.storage.sink import LocalSink
from onvif_recorder.storage.spool_recovery import sweep
from onvif_recorder.storage.upload_queue import UploadSpool
from tests.unit.mp4 import media

RECORDING = "Recording_1"
TOKENS = {1: "VIDEO001", 2: "AUDIO001"}


@dataclass
class Fsyncs:
    files: int = 0
    directories: int = 0


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fsyncs]:
    """Counts fsyncs of files and of directories, then does the real one."""
    seen, real = Fsyncs(), os.fsync

    def spy(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            seen.directories += 1
        else:
            seen.files += 1
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    yield seen


# --- the writer ------------------------------------------------------------------------

def test_append_reaches_the_kernel_and_fsyncs_at_most_every_interval(
        tmp_path: Path, fsyncs: Fsyncs) -> None:
    now = [0.0]
    seen: list[bytes] = []
    final = tmp_path / "a" / "b.mp4"
    file = SegmentFile(final, fsync_interval=5.0, clock=lambda: now[0], on_write=seen.append)
    for step, chunk in enumerate([b"head", b"frag1", b"frag2", b"frag3"]):
        now[0] = step * 2.0
        file.append(chunk)
        assert file.path.read_bytes().endswith(chunk)  # no user-space buffer
    assert file.path == tmp_path / "a" / ("b.mp4" + PARTIAL) and not final.exists()
    assert fsyncs.files == 1  # at 6.0 s; not at 0, 2 or 4 s
    assert file.finish() == 4 + 5 * 3
    assert (fsyncs.files, fsyncs.directories) == (2, 1)  # before the rename, dir after
    assert final.read_bytes() == b"headfrag1frag2frag3" == b"".join(seen)
    assert not file.path.exists()


def test_abandon_keeps_the_partial_for_repair_and_discard_removes_it(tmp_path: Path) -> None:
    kept, dropped = SegmentFile(tmp_path / "k.mp4"), SegmentFile(tmp_path / "d.mp4")
    kept.append(b"x")
    dropped.append(b"y")
    kept.abandon()
    kept.abandon()  # a second failure report is harmless
    dropped.discard()
    assert kept.path.read_bytes() == b"x" and not dropped.path.exists()


def test_the_spool_fsyncs_while_writing_and_the_directory_after_the_rename(
        tmp_path: Path, fsyncs: Fsyncs) -> None:
    """What had drifted: the spool's copy never did either."""
    spool = open_spool(tmp_path, fsync_interval=0.0)
    file = spool.open_file(RECORDING, "x/0.mp4")
    for chunk in (b"head", b"frag"):
        spool.append(file, chunk)
    assert fsyncs.files == 2
    finished = spool.finish_file(file)
    assert (fsyncs.files, fsyncs.directories) == (3, 1)
    assert finished.md5 == hashlib.md5(b"headfrag").hexdigest() and finished.size == 8


# --- crash repair, once for both users --------------------------------------------------

def open_spool(data_dir: Path, fsync_interval: float = 5.0) -> UploadSpool:
    data_dir.mkdir(parents=True, exist_ok=True)
    SqliteStore(data_dir / "recorder.sqlite3").close()  # runs the migrations
    return UploadSpool(data_dir / "spool", data_dir / "recorder.sqlite3",
                       fsync_interval=fsync_interval)


class LocalUser:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.storage = self._open()
        self.root = self.storage.root
        self.sink = LocalSink(self.storage, RECORDING, TOKENS)

    def _open(self) -> LocalStorage:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        SqliteStore(self.data_dir / "recorder.sqlite3").close()
        return LocalStorage(self.data_dir / "media",
                            SegmentIndex(self.data_dir / "recorder.sqlite3"))

    def restart(self) -> None:
        self.storage.index.close()
        self.storage = self._open()
        self.storage.recover()

    def recorded(self, final: Path) -> tuple[int, str | None]:
        """Size and MD5 of the segment as its index row records them (no MD5 there)."""
        row = self.storage.index.get(final.relative_to(self.root).as_posix())
        assert row is not None and row.complete
        return row.size, None


class SpoolUser:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.spool = open_spool(data_dir)
        self.root = self.spool.root
        self.sink = ObjectSink(self.spool, RECORDING, "Storage_1", KeyLayout("site"), TOKENS)

    def restart(self) -> None:
        self.spool.close()
        self.spool = open_spool(self.data_dir)
        sweep(self.spool)

    def recorded(self, final: Path) -> tuple[int, str | None]:
        """Size and MD5 of the object as its journal row records them."""
        relative = final.relative_to(self.root).as_posix()
        (entry,) = [e for e in self.spool.entries() if e.path == relative]
        return entry.size, entry.md5


User = LocalUser | SpoolUser
USERS: dict[str, Callable[[Path], User]] = {"local": LocalUser, "spool": SpoolUser}


def recording_events() -> list[Event]:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2)
    config = SegmenterConfig(format=Brand.MP4, segment_duration=1.0, fragment_duration=0.2,
                             recording=RECORDING, track_tokens=TOKENS)
    segmenter = Segmenter([video, audio], config)
    events: list[Event] = []
    for sample in media.merge(video_samples, audio_samples):
        events += segmenter.push(sample)
    return events  # not closed: the process dies with segment 1 open


def video_samples(fragments: bytes) -> int:
    count = 0
    for moof in (b for b in read_boxes(fragments) if b.name == "moof"):
        for traf in moof.find_all("traf"):
            tfhd, trun = traf.find("tfhd"), traf.find("trun")
            assert tfhd is not None and trun is not None
            if int.from_bytes(tfhd.payload[4:8], "big") == 1:
                count += int.from_bytes(trun.payload[4:8], "big")
    return count


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(container.streams.video[0]))


@pytest.mark.parametrize("kept", [1, 3])
@pytest.mark.parametrize("tear", [0, 8, 0.5, -1], ids=["boundary", "in-box-header",
                                                       "mid-fragment", "last-byte-missing"])
@pytest.mark.parametrize("user_name", sorted(USERS))
def test_a_partial_cut_by_a_crash_keeps_every_complete_fragment(
        tmp_path: Path, user_name: str, kept: int, tear: float) -> None:
    events = recording_events()
    opened = next(i for i, e in enumerate(events)
                  if isinstance(e, SegmentOpened) and e.counter == 1)
    fragments = [i for i, e in enumerate(events[opened:], opened)
                 if isinstance(e, FragmentWritten)]
    assert len(fragments) > kept, "the clip must give segment 1 enough fragments"
    user = USERS[user_name](tmp_path / "data")
    user.sink.handle(events[: fragments[kept - 1] + 1])
    (partial,) = user.root.rglob("*" + PARTIAL)
    torn = events[fragments[kept]]
    assert isinstance(torn, FragmentWritten)
    with open(partial, "ab") as handle:  # the next fragment, cut where kill -9 hit it
        handle.write(torn.data[: int(len(torn.data) * tear) if tear < 1 else int(tear)])

    user.restart()

    final = partial.with_name(partial.name.removesuffix(PARTIAL))
    assert not list(user.root.rglob("*" + PARTIAL)) and not list(user.root.rglob("*" + TEMPORARY))
    header = events[opened]
    assert isinstance(header, SegmentOpened)
    complete = b"".join(e.data for e in events[opened + 1 : fragments[kept - 1] + 1]
                        if isinstance(e, FragmentWritten))
    data = final.read_bytes()
    assert data.startswith(header.header + complete)
    assert [b.name for b in read_boxes(data[len(header.header + complete):])] == ["mfra"]
    check = subprocess.run(["ffprobe", "-v", "error", str(final)], capture_output=True,
                           text=True)
    assert check.returncode == 0 and check.stderr == ""
    assert decoded_frames(final) == video_samples(complete) > 0
    size, md5 = user.recorded(final)
    assert size == len(data)
    assert md5 == (None if isinstance(user, LocalUser) else hashlib.md5(data).hexdigest())


@pytest.mark.parametrize("length", [20, "header", "header+half"])
@pytest.mark.parametrize("user_name", sorted(USERS))
def test_a_partial_without_a_complete_fragment_leaves_no_file(
        tmp_path: Path, user_name: str, length: int | str) -> None:
    events = recording_events()
    opened = next(i for i, e in enumerate(events)
                  if isinstance(e, SegmentOpened) and e.counter == 1)
    user = USERS[user_name](tmp_path / "data")
    user.sink.handle(events[: opened + 1])
    (partial,) = user.root.rglob("*" + PARTIAL)
    fragment = events[opened + 1]
    assert isinstance(fragment, FragmentWritten)
    header = partial.read_bytes()
    if length == "header+half":
        partial.write_bytes(header + fragment.data[: len(fragment.data) // 2])
    elif isinstance(length, int):
        partial.write_bytes(header[:length])

    user.restart()

    final = partial.with_name(partial.name.removesuffix(PARTIAL))
    assert not partial.exists() and not final.exists()
    assert not list(user.root.rglob("*" + TEMPORARY))
