"""What a segment file says about its media: per track the sample entry, picture size or
sample rate, sample count and bytes (pure, bytes in; GetMediaAttributes reads it).

Sample entry layouts: ISO/IEC 14496-12 §12.1.3 (VisualSampleEntry: width and height at
payload offset 24) and §12.2.3 (AudioSampleEntry: samplerate 16.16 at offset 24).
"""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.mp4.fields import FieldReader
from onvif_recorder.mp4.inspect import ParsedBox, read_boxes
from onvif_recorder.mp4.user_data import parse_segment_info
from onvif_recorder.storage.segment_scan import parse_track_ids, scan_segment


@dataclass(slots=True)
class TrackMedia:
    entry: str  # sample entry type: avc1, hvc1, mp4a, ulaw, alaw, metx
    width: int = 0
    height: int = 0
    samplerate: int = 0
    samples: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class SegmentMedia:
    duration: float  # seconds of media in the segment
    tracks: dict[str, TrackMedia]  # by track token


def segment_media(data: bytes) -> SegmentMedia:
    """ValueError if the segment has no usable header (as ``scan_segment``)."""
    facts = scan_segment(data)
    boxes = read_boxes(data)
    moov = next(b for b in boxes if b.name == "moov" and not b.truncated)
    info = next(filter(None, (parse_segment_info(b.payload)
                              for b in moov.find_all("udta/uuid"))), {})
    names = parse_track_ids(info.get("track_ids"))
    by_id = {track_id: media for track_id, media in _entries(moov).items()}
    for moof in (b for b in boxes if b.name == "moof" and not b.truncated):
        for traf in moof.find_all("traf"):
            _count(traf, by_id)
    tracks = {names.get(i, str(i)): media for i, media in by_id.items()}
    return SegmentMedia(max(facts.end_utc - facts.start_utc, 0.0), tracks)


def _entries(moov: ParsedBox) -> dict[int, TrackMedia]:
    found: dict[int, TrackMedia] = {}
    for trak in moov.find_all("trak"):
        tkhd, stsd = trak.find("tkhd"), trak.find("mdia/minf/stbl/stsd")
        if tkhd is None or stsd is None or not stsd.children:
            continue
        reader = FieldReader(tkhd.payload)
        version, _ = reader.full()
        reader.take(16 if version else 8)
        entry = stsd.children[0]
        media = TrackMedia(entry.name)
        payload = entry.payload
        if trak.find("mdia/minf/vmhd") is not None and len(payload) >= 28:
            media.width = int.from_bytes(payload[24:26], "big")
            media.height = int.from_bytes(payload[26:28], "big")
        elif trak.find("mdia/minf/smhd") is not None and len(payload) >= 28:
            media.samplerate = int.from_bytes(payload[24:26], "big")
        found[reader.uint(4)] = media
    return found


def _count(traf: ParsedBox, by_id: dict[int, TrackMedia]) -> None:
    tfhd, trun = traf.find("tfhd"), traf.find("trun")
    if tfhd is None or trun is None:
        return
    head = FieldReader(tfhd.payload)
    _, head_flags = head.full()
    media = by_id.get(head.uint(4))
    if media is None:
        return
    for bit, width in ((0x1, 8), (0x2, 4), (0x8, 4)):
        if head_flags & bit:
            head.take(width)
    default_size = head.uint(4) if head_flags & 0x10 else 0
    reader = FieldReader(trun.payload)
    _, flags = reader.full()
    count = reader.uint(4)
    media.samples += count
    reader.take(4 * (bool(flags & 0x1) + bool(flags & 0x4)))
    if not flags & 0x200:
        media.bytes += default_size * count
        return
    for _ in range(count):
        if flags & 0x100:
            reader.take(4)
        media.bytes += reader.uint(4)
        reader.take(4 * sum(1 for bit in (0x400, 0x800) if flags & bit))


def metadata_samples(data: bytes) -> dict[str, list[bytes]]:
    """The samples of every ``metx`` track (ONVIF metadata documents), by track token, in
    decode order. ``data_offset`` counts from the ``moof`` start (default-base-is-moof,
    as ``mp4.fragment`` writes it)."""
    boxes = read_boxes(data)
    moov = next((b for b in boxes if b.name == "moov" and not b.truncated), None)
    if moov is None:
        return {}
    info = next(filter(None, (parse_segment_info(b.payload)
                              for b in moov.find_all("udta/uuid"))), {})
    names = parse_track_ids(info.get("track_ids"))
    wanted = {i: names.get(i, str(i)) for i, m in _entries(moov).items() if m.entry == "metx"}
    found: dict[str, list[bytes]] = {token: [] for token in wanted.values()}
    for moof in (b for b in boxes if b.name == "moof" and not b.truncated):
        for traf in moof.find_all("traf"):
            located = _sample_ranges(traf, moof.offset)
            if located is not None and located[0] in wanted:
                found[wanted[located[0]]] += [data[a:b] for a, b in located[1]]
    return found


def _sample_ranges(traf: ParsedBox, moof_offset: int
                   ) -> tuple[int, list[tuple[int, int]]] | None:
    tfhd, trun = traf.find("tfhd"), traf.find("trun")
    if tfhd is None or trun is None:
        return None
    head = FieldReader(tfhd.payload)
    _, head_flags = head.full()
    track_id = head.uint(4)
    for bit, width in ((0x1, 8), (0x2, 4), (0x8, 4)):
        if head_flags & bit:
            head.take(width)
    default_size = head.uint(4) if head_flags & 0x10 else 0
    reader = FieldReader(trun.payload)
    _, flags = reader.full()
    count = reader.uint(4)
    position = moof_offset + (reader.uint(4) if flags & 0x1 else 0)
    reader.take(4 * bool(flags & 0x4))
    ranges = []
    for _ in range(count):
        if flags & 0x100:
            reader.take(4)
        size = reader.uint(4) if flags & 0x200 else default_size
        reader.take(4 * sum(1 for bit in (0x400, 0x800) if flags & bit))
        ranges.append((position, position + size))
        position += size
    return track_id, ranges
