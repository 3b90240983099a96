"""Several spans in one export: one timeline placed by UTC while the tracks stay the same,
another file when they change; a cancelled export leaves nothing behind."""

from __future__ import annotations

import threading
from itertools import pairwise
from pathlib import Path

import pytest

from onvif_recorder.mp4.export_boxes import ExportSource
from onvif_recorder.mp4.fragment_reader import read_segment
from onvif_recorder.service.export_signature import verify_export
from onvif_recorder.service.exports import RecordingExport
from onvif_recorder.storage.export_writer import (
    ExportCancelled,
    ExportFailed,
    local_segments,
    write_recording,
)
from onvif_recorder.storage.signing_identity import load_or_create
from tests.unit.export.support import facts, recorded, write
from tests.unit.mp4 import media

TIMESCALE = 720_000  # the segmenter's LCM of 90 kHz video and the AAC rate


def test_a_later_span_lands_at_its_utc_on_the_same_timeline(tmp_path: Path) -> None:
    first, samples = recorded(tmp_path / "media", name="a")
    second, _ = recorded(tmp_path / "media", shift=10.0, name="b")
    [file] = write(tmp_path, first + second)
    verify_export(file.read_bytes())
    video = [s for s in read_segment(file.read_bytes()).samples if s.track_id == 1]
    per_span = len([s for s in samples if s.track_id == 1])
    assert len(video) >= 2 * (per_span - 1)
    times = [s.decode_time for s in video]
    assert times == sorted(times)
    gap = [b - a for a, b in pairwise(times) if b - a > TIMESCALE]
    assert len(gap) == 1 and abs(gap[0] - (10.0 - per_span / media.FPS) * TIMESCALE) < \
        TIMESCALE / media.FPS * 2


def test_a_codec_change_starts_another_signed_file(tmp_path: Path) -> None:
    first, _ = recorded(tmp_path / "media", name="a")
    hevc = media.h265_track(1)
    second, _ = recorded(tmp_path / "media", ([hevc[0]], hevc[1]), shift=10.0, name="b")
    files = write(tmp_path, first + second)
    assert [f.name for f in files] == ["REC-export.mp4", "REC-export-2.mp4"]
    entries = [{t.entry.name for t in read_segment(f.read_bytes()).tracks.values()}
               for f in files]
    assert entries == [{"avc1", "mp4a", "metx"}, {"hvc1"}]
    for file in files:
        verify_export(file.read_bytes())


def test_cancel_and_an_empty_range_leave_no_file(tmp_path: Path) -> None:
    rows, _ = recorded(tmp_path / "media")
    job = RecordingExport("REC", 0.0, 1e11, "REC-export.mp4", "", facts(), ExportSource(0))
    cancel = threading.Event()
    cancel.set()
    identity, fetch = load_or_create(tmp_path / "data"), local_segments(tmp_path / "media")
    with pytest.raises(ExportCancelled):
        write_recording(job, rows, fetch, tmp_path / "out", identity, cancel, lambda _: None)
    with pytest.raises(ExportFailed):
        write_recording(job, [], fetch, tmp_path / "out", identity, threading.Event(),
                        lambda _: None)
    assert list((tmp_path / "out").iterdir()) == []
