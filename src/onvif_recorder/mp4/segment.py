"""One segment being assembled: header, fragments, random-access index (RC Annex B.3).

Box tree of a finished segment::

    |ftyp| |moov|               header: init_segment.py
    ([prft] |moof| |mdat|)+     fragments: fragment.py, one per ``add``
    |mfra|                      trailer: mfra.py (always for MP4, optional for CMAF)

The assembler keeps only byte counts and index entries, never the media: each
fragment's bytes go straight out in a ``FragmentWritten`` event. An encrypted segment's
runs pass through its ``SegmentProtection`` (``cenc.protector``) before encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onvif_recorder.cenc.protector import SegmentProtection
from onvif_recorder.mp4.events import TrackStats
from onvif_recorder.mp4.fragment import ProducerReference, TrackRun, encode_fragment
from onvif_recorder.mp4.mfra import RandomAccessEntry, encode_mfra


@dataclass(frozen=True, slots=True)
class SegmentHeader:
    """A segment's ``ftyp`` + ``moov`` and, if it is encrypted, its keys (RC B.8)."""

    data: bytes
    protection: SegmentProtection | None = None


class SegmentAssembler:
    """Byte offsets, ``mfhd`` sequence numbers and ``tfra`` entries of one segment."""

    def __init__(self, header: bytes, track_ids: Sequence[int],
                 protection: SegmentProtection | None = None) -> None:
        self.size = len(header)
        self.protection = protection
        self.sequence = 0
        self.entries: dict[int, list[RandomAccessEntry]] = {tid: [] for tid in track_ids}
        self.stats: dict[int, TrackStats] = {tid: TrackStats() for tid in track_ids}

    def add(self, runs: Sequence[TrackRun], reference: ProducerReference | None
            ) -> tuple[bytes, ...]:
        """Encode one fragment and index its sync samples; returns its bytes, in parts
        (``EncodedFragment.parts``)."""
        self.sequence += 1
        if self.protection is not None:
            runs = [self.protection.protect(run) for run in runs]
        fragment = encode_fragment(self.sequence, runs, reference)
        moof_offset = self.size + fragment.moof_offset
        for run in runs:
            if not run.samples:
                continue
            self._count(run)
            if run.samples[0].sync:
                number = fragment.traf_numbers[run.track_id]
                self.entries[run.track_id].append(
                    RandomAccessEntry(run.decode_time, moof_offset, number))
        self.size += fragment.size
        return fragment.parts

    def _count(self, run: TrackRun) -> None:
        old = self.stats[run.track_id]
        self.stats[run.track_id] = TrackStats(
            old.samples + len(run.samples),
            old.bytes + sum(map(len, [s.data for s in run.samples])),
            old.duration + sum(s.duration for s in run.samples))

    def trailer(self, with_mfra: bool) -> bytes:
        """The ``mfra`` closing the segment (B.6), or nothing."""
        data = encode_mfra(self.entries) if with_mfra else b""
        self.size += len(data)
        return data

    def random_access(self) -> dict[int, tuple[RandomAccessEntry, ...]]:
        return {tid: tuple(rows) for tid, rows in self.entries.items()}
