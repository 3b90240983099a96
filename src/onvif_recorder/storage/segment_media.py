"""What a segment file says about its media: per track the sample entry, picture size or
sample rate, sample count and bytes (pure, bytes in; GetMediaAttributes reads it).

Sample entry layouts: ISO/IEC 14496-12 §12.1.3 (VisualSampleEntry: width and height at
payload offset 24) and §12.2.3 (AudioSampleEntry: samplerate 16.16 at offset 24).
"""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.mp4.fields import FieldReader
from onvif_recorder.mp4.inspect import ParsedBox, read_boxes
from onvif_recorder.storage.segment_scan import PROTECTED_ENTRIES, original_format, scan_segment


@dataclass(slots=True)
class TrackMedia:
    entry: str  # sample entry type: avc1, hvc1, mp4a, ulaw, alaw, metx
    encrypted: bool = False
    """RC B.8: ``entry`` is the codec behind ``encv``/``enca``/``encm``; samples are
    ciphertext, so an encrypted metadata track is not searched."""
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
    names = facts.info.track_tokens
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
        media = TrackMedia(original_format(entry), entry.name in PROTECTED_ENTRIES)
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


def metadata_samples(data: bytes) -> dict[str, list[tuple[float, bytes]]]:
    """The samples of every ``metx`` track (ONVIF metadata documents) by track token, in
    decode order, each with its UTC time: the segment start plus its decode time past the
    segment's earliest ``tfdt`` (one timescale for every track, ``mp4.init_segment``).
    ``data_offset`` counts from the ``moof`` start (default-base-is-moof)."""
    facts = scan_segment(data)
    boxes = read_boxes(data)
    moov = next(b for b in boxes if b.name == "moov" and not b.truncated)
    names = facts.info.track_tokens
    wanted = {i: names.get(i, str(i)) for i, m in _entries(moov).items()
              if m.entry == "metx" and not m.encrypted}
    runs = [(moof.offset, traf) for moof in boxes if moof.name == "moof" and not moof.truncated
            for traf in moof.find_all("traf")]
    located = [found for offset, traf in runs if (found := _samples(traf, offset)) is not None]
    first = min((start for _, start, _ in located), default=0)
    result: dict[str, list[tuple[float, bytes]]] = {token: [] for token in wanted.values()}
    for track_id, _, samples in located:
        if track_id in wanted:
            result[wanted[track_id]] += [
                (facts.start_utc + (decode - first) / facts.timescale, data[a:b])
                for decode, a, b in samples]
    return result


def _samples(traf: ParsedBox, moof_offset: int
             ) -> tuple[int, int, list[tuple[int, int, int]]] | None:
    """(track_ID, tfdt, [(decode time, first byte, end byte)]) of one track fragment."""
    tfhd, tfdt, trun = traf.find("tfhd"), traf.find("tfdt"), traf.find("trun")
    if tfhd is None or tfdt is None or trun is None:
        return None
    head = FieldReader(tfhd.payload)
    _, head_flags = head.full()
    track_id = head.uint(4)
    for bit, width in ((0x1, 8), (0x2, 4)):
        if head_flags & bit:
            head.take(width)
    default_duration = head.uint(4) if head_flags & 0x8 else 0
    default_size = head.uint(4) if head_flags & 0x10 else 0
    decode_reader = FieldReader(tfdt.payload)
    version, _ = decode_reader.full()
    start = decode = decode_reader.uint(8 if version else 4)
    reader = FieldReader(trun.payload)
    _, flags = reader.full()
    count = reader.uint(4)
    position = moof_offset + (reader.sint(4) if flags & 0x1 else 0)
    reader.take(4 * bool(flags & 0x4))
    samples = []
    for _ in range(count):
        duration = reader.uint(4) if flags & 0x100 else default_duration
        size = reader.uint(4) if flags & 0x200 else default_size
        reader.take(4 * sum(1 for bit in (0x400, 0x800) if flags & bit))
        samples.append((decode, position, position + size))
        position += size
        decode += duration
    return track_id, start, samples
