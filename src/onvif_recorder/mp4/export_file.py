"""Remuxing stored segments into one export file, sans-IO (EFF 25.12; EFF 26.06 §5.1).

Box tree of an export file (``meta`` from ``mp4/export_boxes.py``)::

    |ftyp|                 major 'isom' (EFF Annex B), compatible isom, iso6, mp41
    |moov|
    |    |mvhd|            of the first segment
    |    |trak|            of the first segment, verbatim (video, audio, metadata 'metx')
    |    |mvex|            of the first segment (trex per track)
    |    |udta|
    |    |    |loci|       only when the recording's Source has a Location
    |moof|mdat|            one pair per GOP: every traf has exactly one tfdt (EFF §5.2)
    |meta|                 suep, sumi, ipro/sinf/schm/schi/sibo/cert/cstb

Samples are copied byte for byte (EFF 26.06 §5.1: NAL units, their order and SEI kept);
only their timing is rewritten onto one timeline whose time 0 is ``origin_utc``, the
decode time of the first exported sample. Segments join one file only while their tracks
stay the same (``TrackLayout``): a codec or track change starts another file.

Range: samples whose decode time lies in ``[start, end)``, beginning at the last video
key frame at or before ``start`` so the file starts decodable (Streaming §6.5.4 idea).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from onvif_recorder.mp4.boxes import box, u32
from onvif_recorder.mp4.export_boxes import loci
from onvif_recorder.mp4.fragment import FragmentSample, TrackRun, encode_fragment
from onvif_recorder.mp4.fragment_reader import StoredSample, StoredSegment
from onvif_recorder.mp4.inspect import ParsedBox, read_boxes

PROTECTED = frozenset({"encv", "enca", "encm"})


@dataclass(frozen=True, slots=True)
class TrackLayout:
    """What must not change inside one file: per track_ID its timescale and sample entry."""

    tracks: tuple[tuple[int, int, str, bytes], ...]

    @classmethod
    def of(cls, segment: StoredSegment) -> TrackLayout:
        return cls(tuple((t.track_id, t.timescale, t.entry.name, t.entry.payload)
                         for t in sorted(segment.tracks.values(), key=lambda t: t.track_id)))


def segment_encrypted(segment: StoredSegment) -> bool:
    """RC B.8 encrypted tracks: their samples are ciphertext, not exportable as media."""
    return any(t.entry.name in PROTECTED for t in segment.tracks.values())


def export_head(segment_data: bytes, location: str = "") -> bytes:
    """``ftyp`` + ``moov`` of an export file from a stored segment's ``moov``."""
    moov = next(b for b in read_boxes(segment_data) if b.name == "moov" and not b.truncated)
    kept = [_raw(segment_data, child) for child in moov.children if child.name != "udta"]
    if location:
        kept.append(box(b"udta", loci(location)))
    return box(b"ftyp", b"isom", u32(0), b"isom", b"iso6", b"mp41") + box(b"moov", *kept)


def _raw(data: bytes, parsed: ParsedBox) -> bytes:
    return data[parsed.offset:parsed.offset + parsed.size]


@dataclass(slots=True)
class ExportTimeline:
    """Places the samples of consecutive segments on the file's one timeline."""

    start_utc: float
    end_utc: float
    origin_utc: float | None = None
    sequence: int = 0
    last_utc: float | None = None
    """UTC just after the last sample written (for ``sumi`` duration)."""

    def fragments(self, segment: StoredSegment) -> Iterator[bytes]:
        """``moof`` + ``mdat`` pairs of the samples of ``segment`` that are in range."""
        samples = self._in_range(segment)
        if not samples:
            return
        if self.origin_utc is None:
            self.origin_utc = min(segment.utc(s.track_id, s.decode_time) for s in samples)
        for group in _gops(segment, samples):
            self.sequence += 1
            runs = [self._run(segment, track_id, items) for track_id, items in group]
            yield encode_fragment(self.sequence, runs).data
        for s in samples:
            end = segment.utc(s.track_id, s.decode_time + s.duration)
            self.last_utc = end if self.last_utc is None else max(self.last_utc, end)

    def _in_range(self, segment: StoredSegment) -> list[StoredSample]:
        def utc(s: StoredSample) -> float:
            return segment.utc(s.track_id, s.decode_time)

        kept = [s for s in segment.samples if utc(s) < self.end_utc]
        if self.origin_utc is not None:
            return kept
        keys = [utc(s) for s in kept if s.sync and _is_video(segment, s)
                and utc(s) <= self.start_utc + 1e-6]
        cut = max(keys) if keys else self.start_utc
        return [s for s in kept if utc(s) >= cut - 1e-6]

    def _run(self, segment: StoredSegment, track_id: int,
             samples: Sequence[StoredSample]) -> TrackRun:
        assert self.origin_utc is not None
        # Offset of the span's timeline on the file's: segments of one span stay exactly
        # continuous (integer ticks), a new span is placed by its UTC.
        span_start = segment.info.span_start_utc if segment.info else 0.0
        offset = round((span_start - self.origin_utc) * segment.tracks[track_id].timescale)
        return TrackRun(track_id, max(offset + samples[0].decode_time, 0), [
            FragmentSample(s.data, s.duration, s.sync, s.composition_offset) for s in samples])


def _is_video(segment: StoredSegment, sample: StoredSample) -> bool:
    return segment.tracks[sample.track_id].handler == "vide"


def _gops(segment: StoredSegment, samples: list[StoredSample]
          ) -> Iterator[list[tuple[int, list[StoredSample]]]]:
    """Per GOP (from one video key frame to the next) the samples of each track, tracks
    in track_ID order; without video, everything in one fragment."""
    def utc(s: StoredSample) -> float:
        return segment.utc(s.track_id, s.decode_time)

    bounds = sorted(utc(s) for s in samples if s.sync and _is_video(segment, s))[1:]
    groups: list[dict[int, list[StoredSample]]] = [{} for _ in range(len(bounds) + 1)]
    for sample in sorted(samples, key=lambda s: (s.track_id, s.decode_time)):
        index = bisect_right(bounds, utc(sample) + 1e-9)
        groups[index].setdefault(sample.track_id, []).append(sample)
    for group in groups:
        if group:
            yield sorted(group.items())
