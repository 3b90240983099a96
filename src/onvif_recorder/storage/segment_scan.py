"""What a segment file says about itself: times, tracks and codecs (pure, bytes in).

Start-up reconciliation rebuilds a segment index row from the file alone: the
segment's own description (``mp4.user_data.SegmentInfo``: start time, timescale,
recording and track tokens) comes from the recovery box in ``moov/udta``, the codecs
from each ``trak``'s sample entry, and the end from the last complete fragment: start +
(latest ``tfdt`` + durations - first ``tfdt``) / timescale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from onvif_recorder.mp4.fields import FieldReader
from onvif_recorder.mp4.inspect import ParsedBox, read_boxes
from onvif_recorder.mp4.sample_entries import PROTECTED_FOURCCS
from onvif_recorder.mp4.user_data import SegmentInfo

PROTECTED_ENTRIES = frozenset(kind.decode("ascii") for kind in PROTECTED_FOURCCS.values())
"""Sample entry types of encrypted tracks (ISO/IEC 14496-12 §8.12; RC B.8)."""


@dataclass(frozen=True, slots=True)
class SegmentFacts:
    info: SegmentInfo
    """The recovery box, as the segment's writer wrote it."""
    end_utc: float
    codecs: dict[str, str] = field(default_factory=dict)
    """Track token → sample entry type, in ``trak`` order."""

    @property
    def start_utc(self) -> float:
        return self.info.start_utc

    @property
    def timescale(self) -> int:
        return self.info.timescale

    @property
    def recording(self) -> str:
        return self.info.recording

    @property
    def tracks(self) -> tuple[str, ...]:
        return tuple(self.codecs)


def scan_segment(data: bytes) -> SegmentFacts:
    """Facts of a complete or repaired segment; ValueError if it has no usable header."""
    boxes = read_boxes(data)
    moov = next((b for b in boxes if b.name == "moov" and not b.truncated), None)
    if moov is None:
        raise ValueError("no complete moov")
    info = next(filter(None, (SegmentInfo.decode(b.payload)
                              for b in moov.find_all("udta/uuid"))), None)
    if info is None:
        raise ValueError("no usable recovery box in moov/udta")
    codecs = {info.token_of(track_id): entry
              for track_id, entry in _sample_entries(moov).items()}
    first, end = _decode_extent(boxes)
    return SegmentFacts(info, info.start_utc + max(0, end - first) / info.timescale, codecs)


def _sample_entries(moov: ParsedBox) -> dict[int, str]:
    entries: dict[int, str] = {}
    for trak in moov.find_all("trak"):
        tkhd = trak.find("tkhd")
        stsd = trak.find("mdia/minf/stbl/stsd")
        if tkhd is None or stsd is None or not stsd.children:
            continue
        reader = FieldReader(tkhd.payload)
        version, _ = reader.full()
        reader.take(16 if version else 8)  # creation and modification times
        entries[reader.uint(4)] = original_format(stsd.children[0])
    return entries


def original_format(entry: ParsedBox) -> str:
    """The codec's sample entry type; for an encrypted track (RC B.8) the one its
    ``sinf/frma`` names, so the index says ``avc1`` whether or not it was encrypted."""
    if entry.name not in PROTECTED_ENTRIES:
        return entry.name
    at = entry.payload.rfind(b"frma")
    if at < 4:
        raise ValueError(f"{entry.name} without sinf/frma")
    return entry.payload[at + 4:at + 8].decode("latin-1")


def _decode_extent(boxes: list[ParsedBox]) -> tuple[int, int]:
    """(earliest ``tfdt``, latest ``tfdt`` + run duration) over complete ``moof``s."""
    first: int | None = None
    end = 0
    for moof in (b for b in boxes if b.name == "moof" and not b.truncated):
        for traf in moof.find_all("traf"):
            extent = _traf_extent(traf)
            if extent is None:
                continue
            start, duration = extent
            first = start if first is None else min(first, start)
            end = max(end, start + duration)
    return (first or 0), max(end, first or 0)


def _traf_extent(traf: ParsedBox) -> tuple[int, int] | None:
    tfhd, tfdt, trun = traf.find("tfhd"), traf.find("tfdt"), traf.find("trun")
    if tfhd is None or tfdt is None or trun is None:
        return None
    reader = FieldReader(tfdt.payload)
    version, _ = reader.full()
    start = reader.uint(8 if version else 4)
    return start, _run_duration(trun, _default_duration(tfhd))


def _default_duration(tfhd: ParsedBox) -> int:
    reader = FieldReader(tfhd.payload)
    _, flags = reader.full()
    reader.take(4)  # track_ID
    for bit, width in ((0x1, 8), (0x2, 4)):
        if flags & bit:
            reader.take(width)
    return reader.uint(4) if flags & 0x8 else 0


def _run_duration(trun: ParsedBox, default: int) -> int:
    reader = FieldReader(trun.payload)
    _, flags = reader.full()
    count = reader.uint(4)
    reader.take(4 * (bool(flags & 0x1) + bool(flags & 0x4)))
    if not flags & 0x100:
        return default * count
    others = sum(1 for bit in (0x200, 0x400, 0x800) if flags & bit)
    total = 0
    for _ in range(count):
        total += reader.uint(4)
        reader.take(4 * others)
    return total
