"""Reading recorded segments back, sans-IO: the tracks of the ``moov`` and the samples of
every ``moof``/``mdat`` pair (ISO/IEC 14496-12 §8.8.7-§8.8.12), the reader side of
``mp4/fragment.py``.

A sample's decode time is counted from the span start (``tfdt`` of the segmenter), so its
UTC is ``SegmentInfo.span_start_utc + decode_time / timescale`` and the capture time of
the frame adds the composition offset.
"""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.mp4.fields import FieldReader
from onvif_recorder.mp4.inspect import ParsedBox, find, find_all, read_boxes
from onvif_recorder.mp4.user_data import SegmentInfo

_NON_SYNC = 0x00010000  # sample_is_non_sync_sample (§8.8.3.1 sample flags)
_TFHD_DEFAULT_BASE_IS_MOOF = 0x020000


@dataclass(frozen=True, slots=True)
class StoredTrack:
    track_id: int
    timescale: int
    handler: str
    """``vide``, ``soun`` or ``meta``."""
    entry: ParsedBox
    """The sample entry (``avc1``, ``hvc1``, ``mp4a``, ``ulaw``, ``alaw``, ``metx``…)."""


@dataclass(frozen=True, slots=True)
class StoredSample:
    track_id: int
    decode_time: int
    duration: int
    composition_offset: int
    sync: bool
    data: bytes

    @property
    def presentation_time(self) -> int:
        return self.decode_time + self.composition_offset


@dataclass(frozen=True, slots=True)
class StoredSegment:
    info: SegmentInfo | None
    tracks: dict[int, StoredTrack]
    samples: list[StoredSample]
    """In file order: fragment by fragment, each fragment's tracks in ``traf`` order."""

    def utc(self, track_id: int, time: int) -> float:
        """UTC of ``time`` (the track's timescale) on this segment's span timeline."""
        start = self.info.span_start_utc if self.info else 0.0
        return start + time / self.tracks[track_id].timescale


def read_segment(data: bytes) -> StoredSegment:
    """Tracks and samples of one segment file (a truncated tail is ignored)."""
    boxes = read_boxes(data)
    moov = find(boxes, "moov")
    tracks = {} if moov is None else _tracks(moov)
    info = None if moov is None else _segment_info(moov)
    samples: list[StoredSample] = []
    for moof in (b for b in boxes if b.name == "moof" and not b.truncated):
        for traf in moof.find_all("traf"):
            samples += _traf_samples(data, moof.offset, traf)
    return StoredSegment(info, tracks, [s for s in samples if s.track_id in tracks])


def _segment_info(moov: ParsedBox) -> SegmentInfo | None:
    for uuid in moov.find_all("udta/uuid"):
        info = SegmentInfo.decode(uuid.payload)
        if info is not None:
            return info
    return None


def _tracks(moov: ParsedBox) -> dict[int, StoredTrack]:
    tracks: dict[int, StoredTrack] = {}
    for trak in moov.find_all("trak"):
        tkhd, mdhd, hdlr = (trak.find(p) for p in ("tkhd", "mdia/mdhd", "mdia/hdlr"))
        entries = trak.find_all("mdia/minf/stbl/stsd")
        if tkhd is None or mdhd is None or hdlr is None or not entries or not entries[0].children:
            continue
        track_id = _tkhd_track_id(tkhd)
        tracks[track_id] = StoredTrack(track_id, _mdhd_timescale(mdhd),
                                       hdlr.payload[8:12].decode("latin-1"),
                                       entries[0].children[0])
    return tracks


def _tkhd_track_id(tkhd: ParsedBox) -> int:
    offset = 4 + (16 if tkhd.payload[0] == 1 else 8)
    return int.from_bytes(tkhd.payload[offset:offset + 4], "big")


def _mdhd_timescale(mdhd: ParsedBox) -> int:
    offset = 4 + (16 if mdhd.payload[0] == 1 else 8)
    return int.from_bytes(mdhd.payload[offset:offset + 4], "big")


@dataclass(slots=True)
class _Defaults:
    track_id: int
    base: int
    duration: int = 0
    size: int = 0
    flags: int = 0


def _tfhd(payload: bytes, moof_offset: int) -> _Defaults:
    r = FieldReader(payload)
    _, flags = r.full()
    defaults = _Defaults(r.uint(4), moof_offset)
    if flags & 0x000001:
        defaults.base = r.uint(8)
    if flags & 0x000002:
        r.uint(4)
    if flags & 0x000008:
        defaults.duration = r.uint(4)
    if flags & 0x000010:
        defaults.size = r.uint(4)
    if flags & 0x000020:
        defaults.flags = r.uint(4)
    return defaults


def _traf_samples(data: bytes, moof_offset: int, traf: ParsedBox) -> list[StoredSample]:
    tfhd, tfdt = traf.find("tfhd"), traf.find("tfdt")
    if tfhd is None:
        return []
    defaults = _tfhd(tfhd.payload, moof_offset)
    time = 0
    if tfdt is not None:
        r = FieldReader(tfdt.payload)
        version, _ = r.full()
        time = r.uint(8 if version else 4)
    samples: list[StoredSample] = []
    for trun in traf.find_all("trun"):
        run = _trun(data, trun.payload, defaults, time)
        samples += run
        time = run[-1].decode_time + run[-1].duration if run else time
    return samples


def _trun(data: bytes, payload: bytes, d: _Defaults, time: int) -> list[StoredSample]:
    r = FieldReader(payload)
    version, flags = r.full()
    count = r.uint(4)
    offset = d.base + (r.sint(4) if flags & 0x000001 else 0)
    first_flags = r.uint(4) if flags & 0x000004 else None
    samples: list[StoredSample] = []
    for index in range(count):
        duration = r.uint(4) if flags & 0x100 else d.duration
        size = r.uint(4) if flags & 0x200 else d.size
        sample_flags = r.uint(4) if flags & 0x400 else d.flags
        if index == 0 and first_flags is not None:
            sample_flags = first_flags
        cto = (r.sint(4) if version else r.uint(4)) if flags & 0x800 else 0
        if offset + size > len(data):
            break  # a truncated mdat: the samples written so far
        samples.append(StoredSample(d.track_id, time, duration, cto,
                                    not sample_flags & _NON_SYNC, data[offset:offset + size]))
        offset += size
        time += duration
    return samples


__all__ = ["StoredSample", "StoredSegment", "StoredTrack", "find_all", "read_segment"]
