"""Export tests' shared fixture: real H.264/AAC/metadata segments (the segmenter's own
output from the clips in tests/data/mp4) laid out as local segment files with index rows."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from onvif_recorder.mp4.export_boxes import ExportFacts, ExportSource
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import SegmenterConfig
from onvif_recorder.service.exports import RecordingExport
from onvif_recorder.storage.export_writer import local_segments, write_recording
from onvif_recorder.storage.segment_index import SegmentRow
from onvif_recorder.storage.signing_identity import load_or_create
from tests.unit.mp4 import media
from tests.unit.mp4.test_segmenter import av_streams, record


def recorded(root: Path, streams: tuple[list[TrackInfo], list[TrackSample]] | None = None,
             shift: float = 0.0, name: str = "seg") -> tuple[list[SegmentRow], list[TrackSample]]:
    """A span of segments (of ``streams``, default H.264+AAC+metadata) ``shift`` s later."""
    tracks, samples = streams or av_streams()
    samples = [replace(s, utc=s.utc + shift) for s in samples]
    spans = record(tracks, samples, SegmenterConfig(format=Brand.MP4, segment_duration=1.0))
    rows = []
    for index, segment in enumerate(spans[0].segments):
        key = f"REC/{name}{index}.mp4"
        (root / "REC").mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(bytes(segment.data))
        assert segment.closed is not None
        rows.append(SegmentRow("REC", key, f"REC/{name}0.mp4", "mp4", segment.opened.start_utc,
                               segment.closed.end_utc, len(segment.data), ("VIDEO001",),
                               {}, True))
    return rows, samples


def facts() -> ExportFacts:
    return ExportFacts("onvif-recorder", "http://nvr.example/onvif/device_service",
                       "08:00:27:00:0C:15", media.T0 + 100, "admin",
                       [], 0.0, 0.0, 1)


def export(tmp: Path, start: float = 0.0, end: float = 1e11, location: str = ""
           ) -> tuple[list[Path], list[TrackSample]]:
    root = tmp / "media"
    rows, samples = recorded(root)
    return write(tmp, rows, start, end, location), samples


def write(tmp: Path, rows: list[SegmentRow], start: float = 0.0, end: float = 1e11,
          location: str = "", signed: bool = True) -> list[Path]:
    job = RecordingExport("REC", start, end, "REC-export.mp4", location, facts(),
                          ExportSource(0, "camera", "rtsp://camera/av"), signed)
    return write_recording(job, rows, local_segments(tmp / "media"), tmp / "out",
                           load_or_create(tmp / "data"), threading.Event(), lambda _: None)
