"""Writes the export files of one recording (blocking: runs on a worker thread).

Reads the recording's segments (through ``fetch``) in time order, remuxes them (``mp4/export_file``)
into ``DIR/.NAME.partial`` while hashing what is written, appends the signed ``meta``
(``mp4/export_boxes``, ``service/export_signature``; not for FileFormat MP4) and only
then renames the file to ``DIR/NAME``: a file under its final name is always complete
(and signed). A change of
tracks or codecs inside the range starts another file (``NAME-2.mp4``, ...); a CMAF
recording gives a file per track (video, then audio, then metadata).
``cancel`` is checked between segments; a cancelled or failed file is removed.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from onvif_recorder.mp4.export_boxes import export_meta
from onvif_recorder.mp4.export_file import (
    ExportTimeline,
    TrackLayout,
    export_head,
    segment_encrypted,
)
from onvif_recorder.mp4.fragment_reader import StoredSegment, read_segment
from onvif_recorder.service.export_signature import sign_digest
from onvif_recorder.service.exports import RecordingExport
from onvif_recorder.storage.media_roots import local_path
from onvif_recorder.storage.segment_index import Location, SegmentRow
from onvif_recorder.storage.signing_identity import SigningIdentity


class ExportCancelled(Exception):
    """StopExportRecordedData: the files not finished are gone."""


class ExportFailed(Exception):
    """The recording cannot be exported as asked (nothing in range, encrypted media)."""


Progress = Callable[[float], None]


Fetch = Callable[[SegmentRow], bytes | None]
"""The bytes of a segment, None when it cannot be read (gone, or not local)."""


CMAF_FILE_ORDER = {"m4v": 0, "m4a": 1, "m4m": 2}


def local_segments(root: Path) -> Fetch:
    """Segments under local storage's ``root`` (finished, or still ``.partial``)."""
    def fetch(row: SegmentRow) -> bytes | None:
        if row.location is not Location.LOCAL:
            return None
        final = local_path(root, row.root, row.key)
        # Finished, still being written, or renamed between the two looks.
        for path in (final, final.with_name(f"{final.name}.partial"), final):
            try:
                return path.read_bytes()
            except FileNotFoundError:
                continue
        return None

    return fetch


@dataclass(slots=True)
class _OpenFile:
    final: Path
    partial: Path
    out: BinaryIO
    hasher: hashlib._Hash
    timeline: ExportTimeline
    layout: TrackLayout
    track_tokens: dict[int, str]

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.hasher.update(data)


def write_recording(job: RecordingExport, rows: Sequence[SegmentRow], fetch: Fetch,
                    directory: Path, identity: SigningIdentity, cancel: threading.Event,
                    progress: Progress) -> list[Path]:
    """The finished files, in order; ``progress`` gets 0..1 by segment bytes read."""
    directory.mkdir(parents=True, exist_ok=True)
    total = max(sum(max(r.size, 1) for r in rows), 1)
    done, files = 0, list[Path]()
    current: _OpenFile | None = None
    try:
        for row in sorted(rows, key=_file_order):
            if cancel.is_set():
                raise ExportCancelled(job.recording)
            current = _add_segment(job, fetch(row), directory, identity, current, files)
            done += max(row.size, 1)
            progress(done / total)
        if current is not None:
            files.append(_finish(job, current, identity))
            current = None
    except BaseException:
        if current is not None:
            current.out.close()
            current.partial.unlink(missing_ok=True)
        for path in files:
            path.unlink(missing_ok=True)
        raise
    if not files:
        raise ExportFailed(f"recording {job.recording!r} has no readable media in the range")
    return files


def _file_order(row: SegmentRow) -> tuple[int, float]:
    """MP4 segments in time order; a CMAF recording's per-track objects (Annex B.5: ``m4v``,
    ``m4a``, ``m4m``) track by track, so each track gives one file instead of a new file at
    every alternation."""
    return CMAF_FILE_ORDER.get(row.extension, 0), row.start_utc


def _add_segment(job: RecordingExport, data: bytes | None, directory: Path,
                 identity: SigningIdentity, current: _OpenFile | None,
                 files: list[Path]) -> _OpenFile | None:
    if data is None:
        return current
    segment = read_segment(data)
    if not segment.tracks or not segment.samples:
        return current
    if segment_encrypted(segment):
        raise ExportFailed(f"recording {job.recording!r} is encrypted (RC Annex B.8)")
    layout = TrackLayout.of(segment)
    if current is not None and current.layout != layout and current.timeline.origin_utc:
        files.append(_finish(job, current, identity))
        current = None
    if current is None:
        current = _open(job, directory, len(files), data, segment, layout)
    for fragment in current.timeline.fragments(segment):
        current.write(fragment)
    return current


def _open(job: RecordingExport, directory: Path, index: int, data: bytes,
          segment: StoredSegment, layout: TrackLayout) -> _OpenFile:
    name = job.name if index == 0 else job.name.replace(".mp4", f"-{index + 1}.mp4")
    final = directory / name
    partial = directory / f".{name}.partial"
    opened = _OpenFile(final, partial, partial.open("wb"), hashlib.sha256(),
                       ExportTimeline(job.start_utc, job.end_utc), layout,
                       dict(segment.info.track_tokens) if segment.info else {})
    opened.write(export_head(data, job.location))
    return opened


def _finish(job: RecordingExport, current: _OpenFile, identity: SigningIdentity) -> Path:
    timeline = current.timeline
    origin = timeline.origin_utc or job.start_utc
    tracks = [t[0] for t in current.layout.tracks]
    # TS-EFF A.1: one suep entry per moov/trak; SourceLine names the recording's track.
    sources = [replace(job.source, track_id=t, line=current.track_tokens.get(t, str(t)))
               for t in tracks]
    facts = replace(job.facts, start_utc=origin,
                    duration=max((timeline.last_utc or origin) - origin, 0.0),
                    start_track=tracks[0],
                    sources=sources,
                    fragment_id=uuid.uuid4().bytes)
    if job.signed:
        meta = export_meta(facts, identity.certificate_der, identity.signature_size)
        current.hasher.update(meta.data)
        signature = sign_digest(identity.key, current.hasher.digest())
        at = meta.signature_offset
        current.out.write(meta.data[:at] + signature + meta.data[at + len(signature):])
    current.out.flush()
    os.fsync(current.out.fileno())
    current.out.close()
    os.replace(current.partial, current.final)
    return current.final
