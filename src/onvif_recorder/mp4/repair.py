"""Repair of a segment cut short by a crash (RC Annex B.3 segments must stay readable).

A segment is written as header, then whole ``[prft] moof mdat`` fragments, then the
``mfra``. After ``kill -9`` the file ends anywhere. ``repair_segment`` keeps the header
and every complete fragment, drops the torn tail, and appends an ``mfra`` rebuilt from
the kept ``moof`` boxes (one ``tfra`` entry per ``traf`` whose first sample is a sync
sample), so at most the last fragment is lost. Pure: bytes in, bytes out.
"""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.mp4.fields import FieldReader
from onvif_recorder.mp4.inspect import ParsedBox, read_boxes
from onvif_recorder.mp4.mfra import RandomAccessEntry, encode_mfra

_NON_SYNC = 0x00010000


@dataclass(frozen=True, slots=True)
class Repaired:
    data: bytes
    fragments: int
    dropped_bytes: int
    """Bytes of the torn tail (and of any old ``mfra``) left out."""


def repair_segment(data: bytes) -> Repaired:
    """Header + complete fragments + a fresh ``mfra``; raises if no header survived."""
    boxes = read_boxes(data)
    if len(boxes) < 2 or [b.name for b in boxes[:2]] != ["ftyp", "moov"] or boxes[1].truncated:
        raise ValueError("no complete ftyp + moov: nothing to repair")
    end = boxes[1].offset + boxes[1].size
    entries: dict[int, list[RandomAccessEntry]] = {
        _track_id(trex): [] for trex in boxes[1].find_all("mvex/trex")}
    fragments, index = 0, 2
    while index < len(boxes):
        box = boxes[index]
        if box.name == "prft" and not box.truncated:
            index += 1
            continue
        pair = boxes[index : index + 2]
        if len(pair) < 2 or [b.name for b in pair] != ["moof", "mdat"] or any(
                b.truncated for b in pair):
            break
        _index_moof(pair[0], entries)
        end, fragments, index = pair[1].offset + pair[1].size, fragments + 1, index + 2
    mfra = encode_mfra(entries)
    return Repaired(data[:end] + mfra, fragments, len(data) - end)


def _track_id(box: ParsedBox) -> int:
    return int.from_bytes(box.payload[4:8], "big")


def _index_moof(moof: ParsedBox, entries: dict[int, list[RandomAccessEntry]]) -> None:
    for number, traf in enumerate(moof.find_all("traf"), start=1):
        tfhd, tfdt, trun = traf.find("tfhd"), traf.find("tfdt"), traf.find("trun")
        if tfhd is None or tfdt is None or trun is None:
            continue
        track_id, default_flags = _tfhd(tfhd)
        reader = FieldReader(tfdt.payload)
        version, _ = reader.full()
        time = reader.uint(8 if version else 4)
        if not _first_sample_flags(trun, default_flags) & _NON_SYNC:
            entries.setdefault(track_id, []).append(
                RandomAccessEntry(time, moof.offset, number))


def _tfhd(tfhd: ParsedBox) -> tuple[int, int]:
    reader = FieldReader(tfhd.payload)
    _, flags = reader.full()
    track_id = reader.uint(4)
    for bit, width in ((0x1, 8), (0x2, 4), (0x8, 4), (0x10, 4)):
        if flags & bit:
            reader.take(width)
    return track_id, reader.uint(4) if flags & 0x20 else 0


def _first_sample_flags(trun: ParsedBox, default: int) -> int:
    reader = FieldReader(trun.payload)
    _, flags = reader.full()
    reader.take(4)  # sample_count
    if flags & 0x1:
        reader.take(4)
    if flags & 0x4:
        return reader.uint(4)
    if flags & 0x400:
        reader.take(4 * sum(1 for bit in (0x100, 0x200) if flags & bit))
        return reader.uint(4)
    return default
