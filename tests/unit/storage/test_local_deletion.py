"""LocalStorage's deletion file work on real segments: rewrite without a track (and
again after a crash cut the index update), and a recording's files removed."""

from __future__ import annotations

from pathlib import Path

import av

from onvif_recorder.storage.local import REWRITE
from onvif_recorder.storage.segment_scan import scan_segment
from tests.unit.storage.test_local import RECORDING, open_storage, record


def test_rewrite_without_audio_keeps_video_and_is_idempotent(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "data")
    rows = record(storage)
    assert all(r.tracks == ("VIDEO001", "AUDIO001") for r in rows)
    for row in rows:
        before = storage.path_of(row.key).read_bytes()
        result = storage.rewrite_without_track(row.key, "AUDIO001")
        after = storage.path_of(row.key).read_bytes()
        assert result.codecs == {"VIDEO001": "avc1"} and result.size == len(after) < len(before)
        assert scan_segment(after).tracks == ("VIDEO001",)
        with av.open(str(storage.path_of(row.key))) as container:
            assert len(container.streams.audio) == 0
            assert sum(1 for _ in container.decode(video=0)) > 0
        again = storage.rewrite_without_track(row.key, "AUDIO001")  # index update lost
        assert again == result and storage.path_of(row.key).read_bytes() == after
    assert not list(storage.root.rglob("*" + REWRITE))


def test_recording_files_go_with_their_directory(tmp_path: Path) -> None:
    storage = open_storage(tmp_path / "data")
    record(storage, close=False)  # a .partial too
    assert storage.recordings_on_disk() == [RECORDING]
    storage.delete_recording_files(RECORDING)
    assert storage.recordings_on_disk() == [] and list(storage.root.rglob("*")) == []
