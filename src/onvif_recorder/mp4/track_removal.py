"""Remove one track from a finished segment (RC §5.10 DeleteTrack). Pure: bytes in, out.

A multiplexed MP4 segment (RC Annex B.6) holds every track of its span; deleting one
track rewrites the segment without it, the way the recorder would have written it
without that track:

* ``moov``: the track's ``trak`` and its ``mvex/trex`` go; the recovery box
  (``mp4.user_data``) loses the track from ``track_ids``; in an encrypted segment the
  W3C ``pssh`` lists only the KIDs still in use, and ``pssh`` boxes of a KID no track
  uses any more go (RC B.8);
* each ``moof``: the track's ``traf`` goes, the other ``traf``s are kept byte for byte
  except their ``trun`` data_offset (relative to the ``moof``: our writer sets
  default-base-is-moof), recomputed for the smaller ``moof`` and ``mdat``, and the
  ``saio`` offsets of encrypted tracks (RC B.8), moved with their ``traf``;
* each ``mdat``: the track's sample bytes go; a fragment left without any ``traf`` goes
  entirely, with the ``prft`` before it;
* a ``prft`` that referenced the track is re-pointed to the first remaining track: all
  tracks of one of our segments share one timescale and one decode timeline, so its
  ``media_time`` stays true;
* the ``mfra`` is rebuilt from the new ``moof`` offsets (``mp4.repair``).

Only segments this recorder wrote are accepted (``ValueError`` otherwise): one ``trun``
or more per ``traf``, each with a data_offset, and base-is-moof addressing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from onvif_recorder.cenc.boxes import W3C_SYSTEM_ID, w3c_pssh
from onvif_recorder.mp4.boxes import HEADER_SIZE, box, box_header, u32
from onvif_recorder.mp4.fields import FieldReader
from onvif_recorder.mp4.inspect import ParsedBox, read_boxes
from onvif_recorder.mp4.repair import repair_segment
from onvif_recorder.mp4.user_data import SegmentInfo

_TFHD_BASE_DATA_OFFSET = 0x000001
_TFHD_DEFAULT_SIZE = 0x000010
_TFHD_DEFAULT_BASE_IS_MOOF = 0x020000
_TRUN_DATA_OFFSET = 0x000001
_TRUN_FIRST_FLAGS = 0x000004
_TRUN_SIZE = 0x000200
_TRUN_PER_SAMPLE = (0x100, 0x200, 0x400, 0x800)


@dataclass(frozen=True, slots=True)
class TrackRemoved:
    data: bytes
    remaining: tuple[int, ...]
    """track_IDs left in the segment, in ``moov`` order (empty: nothing left to keep)."""


def track_ids(data: bytes) -> tuple[int, ...]:
    """track_IDs of the ``trak``s of a segment's ``moov``, in order."""
    return tuple(_trak_id(trak) for trak in _moov(read_boxes(data)).find_all("trak"))


def remove_track(data: bytes, track_id: int) -> TrackRemoved:
    """``data`` without track ``track_id``; unchanged if it has no such track."""
    boxes = read_boxes(data)
    moov = _moov(boxes)
    remaining = tuple(i for i in (_trak_id(t) for t in moov.find_all("trak")) if i != track_id)
    if len(remaining) == len(moov.find_all("trak")):
        return TrackRemoved(data, remaining)
    if not remaining:
        return TrackRemoved(b"", ())
    if any(b.truncated for b in boxes):
        raise ValueError("segment is truncated: repair it first")
    parts = [_raw(data, boxes[0]), _without_track_moov(data, moov, track_id)]
    parts += _fragments(data, boxes[2:], track_id, remaining[0])
    return TrackRemoved(repair_segment(b"".join(parts)).data, remaining)


def _moov(boxes: list[ParsedBox]) -> ParsedBox:
    if len(boxes) < 2 or [b.name for b in boxes[:2]] != ["ftyp", "moov"] or boxes[1].truncated:
        raise ValueError("not a segment: no complete ftyp + moov")
    return boxes[1]


def _raw(data: bytes, parsed: ParsedBox) -> bytes:
    return data[parsed.offset : parsed.offset + parsed.size]


def _trak_id(trak: ParsedBox) -> int:
    tkhd = trak.find("tkhd")
    if tkhd is None:
        raise ValueError("trak without tkhd")
    reader = FieldReader(tkhd.payload)
    version, _ = reader.full()
    reader.take(16 if version else 8)  # creation and modification times
    return reader.uint(4)


def _payload_id(parsed: ParsedBox) -> int:
    """track_ID of a ``trex``/``tfhd`` (the first field after version and flags)."""
    return int.from_bytes(parsed.payload[4:8], "big")


def _without_track_moov(data: bytes, moov: ParsedBox, track_id: int) -> bytes:
    children: list[bytes] = []
    kids = _kids_in_use(moov, track_id)
    for child in moov.children:
        if child.name == "pssh":
            children += _pssh_for(data, child, kids)
            continue
        if child.name == "trak" and _trak_id(child) == track_id:
            continue
        if child.name == "mvex":
            kept = [_raw(data, c) for c in child.children
                    if not (c.name == "trex" and _payload_id(c) == track_id)]
            children.append(box(b"mvex", *kept))
        elif child.name == "udta":
            children.append(box(b"udta", *(_user_data(data, c, track_id)
                                           for c in child.children)))
        else:
            children.append(_raw(data, child))
    return box(b"moov", *children)


def _kids_in_use(moov: ParsedBox, track_id: int) -> list[bytes]:
    """The ``tenc`` default KIDs of the tracks that stay, in track order."""
    kids: list[bytes] = []
    for trak in moov.find_all("trak"):
        if _trak_id(trak) == track_id:
            continue
        for tenc in trak.find_all("mdia/minf/stbl/stsd/encv/sinf/schi/tenc") + trak.find_all(
                "mdia/minf/stbl/stsd/enca/sinf/schi/tenc"):
            kids.append(tenc.payload[8:24])
        entry = trak.find("mdia/minf/stbl/stsd")
        if entry is not None and entry.payload[12:16] == b"encm":
            at = entry.payload.rfind(b"tenc")
            kids.append(entry.payload[at + 12:at + 28])
    return list(dict.fromkeys(kids))


def _pssh_for(data: bytes, pssh: ParsedBox, kids: list[bytes]) -> list[bytes]:
    """RC B.8: the W3C ``pssh`` lists the KIDs still in use; a KID's own boxes (B.8.2)
    go with its last track; other systems' boxes stay as they are."""
    system, version = pssh.payload[4:20], pssh.payload[0]
    if system == W3C_SYSTEM_ID:
        return [w3c_pssh(kids)] if kids else []
    if version and int.from_bytes(pssh.payload[20:24], "big") == 1 and \
            pssh.payload[24:40] not in kids:
        return []
    return [_raw(data, pssh)]


def _user_data(data: bytes, child: ParsedBox, track_id: int) -> bytes:
    info = SegmentInfo.decode(child.payload) if child.name == "uuid" else None
    if info is None:
        return _raw(data, child)
    tokens = {tid: token for tid, token in info.track_tokens.items() if tid != track_id}
    return replace(info, track_tokens=tokens).encode()


def _fragments(data: bytes, boxes: list[ParsedBox], track_id: int,
               fallback: int) -> list[bytes]:
    """Every ``[prft] moof mdat`` without the track; an old ``mfra`` is left out."""
    parts: list[bytes] = []
    prft: bytes | None = None
    index = 0
    while index < len(boxes):
        current = boxes[index]
        if current.name == "prft":
            prft, index = _repointed_prft(data, current, track_id, fallback), index + 1
            continue
        if current.name == "moof":
            if index + 1 >= len(boxes) or boxes[index + 1].name != "mdat":
                raise ValueError("moof without its mdat")
            fragment = _fragment(data, current, boxes[index + 1], track_id)
            if fragment:
                parts += [prft or b"", fragment]
            prft, index = None, index + 2
            continue
        if current.name != "mfra":
            parts.append(_raw(data, current))
        prft, index = None, index + 1
    return parts


def _repointed_prft(data: bytes, prft: ParsedBox, track_id: int, fallback: int) -> bytes:
    raw = bytearray(_raw(data, prft))
    at = prft.header_size + 4  # after version and flags
    if int.from_bytes(raw[at : at + 4], "big") == track_id:
        raw[at : at + 4] = u32(fallback)
    return bytes(raw)


@dataclass(frozen=True, slots=True)
class _KeptTraf:
    raw: bytearray
    trun_offsets: list[tuple[int, int, int]]
    """(position of data_offset within ``raw``, old data_offset, run byte size)."""
    aux_offsets: list[tuple[int, int]]
    """(position of a 32-bit ``saio`` offset within ``raw``, its target within ``raw``)."""


def _fragment(data: bytes, moof: ParsedBox, mdat: ParsedBox, track_id: int) -> bytes:
    """``moof`` + ``mdat`` without the track's ``traf`` and bytes; b"" if nothing is left."""
    kept = [_kept_traf(data, t, moof) for t in moof.children
            if t.name == "traf" and _traf_id(t) != track_id]
    if not kept:
        return b""
    others = [_raw(data, c) for c in moof.children if c.name != "traf"]
    moof_size = HEADER_SIZE + sum(map(len, others)) + sum(len(t.raw) for t in kept)
    sizes = [size for traf in kept for _, _, size in traf.trun_offsets]
    position = moof_size + len(box_header(b"mdat", sum(sizes)))
    payload: list[bytes] = []
    traf_start = HEADER_SIZE + sum(map(len, others))
    for traf in kept:
        for at, target in traf.aux_offsets:
            traf.raw[at : at + 4] = (traf_start + target).to_bytes(4, "big")
        traf_start += len(traf.raw)
        for at, old_offset, size in traf.trun_offsets:
            start = moof.offset + old_offset
            if start < mdat.offset + mdat.header_size or start + size > mdat.offset + mdat.size:
                raise ValueError("trun data outside its mdat")
            payload.append(data[start : start + size])
            traf.raw[at : at + 4] = position.to_bytes(4, "big", signed=True)
            position += size
    new_moof = box(b"moof", *others, *(bytes(t.raw) for t in kept))
    return new_moof + box(b"mdat", *payload)


def _traf_id(traf: ParsedBox) -> int:
    tfhd = traf.find("tfhd")
    if tfhd is None:
        raise ValueError("traf without tfhd")
    return _payload_id(tfhd)


def _kept_traf(data: bytes, traf: ParsedBox, moof: ParsedBox) -> _KeptTraf:
    tfhd = traf.find("tfhd")
    assert tfhd is not None  # _traf_id checked it
    flags, default_size = _tfhd_addressing(tfhd)
    if flags & _TFHD_BASE_DATA_OFFSET or not flags & _TFHD_DEFAULT_BASE_IS_MOOF:
        raise ValueError("only default-base-is-moof addressing can be rewritten")
    offsets = []
    for trun in traf.find_all("trun"):
        old_offset, size = _trun_extent(trun, default_size)
        offsets.append((trun.offset - traf.offset + trun.header_size + 8, old_offset, size))
    aux = [(at, old - (traf.offset - moof.offset))
           for saio in traf.find_all("saio") for at, old in _saio_offsets(saio, traf)]
    return _KeptTraf(bytearray(_raw(data, traf)), offsets, aux)


def _saio_offsets(saio: ParsedBox, traf: ParsedBox) -> list[tuple[int, int]]:
    """(position within the ``traf``, value) of each offset of a version 0 ``saio``."""
    reader = FieldReader(saio.payload)
    version, flags = reader.full()
    if version != 0:
        raise ValueError("only 32-bit saio offsets can be rewritten")
    if flags & 1:
        reader.take(8)  # aux_info_type, aux_info_type_parameter
    start = saio.offset - traf.offset + saio.header_size
    found = []
    for _ in range(reader.uint(4)):
        found.append((start + reader.pos, reader.uint(4)))
    return found


def _tfhd_addressing(tfhd: ParsedBox) -> tuple[int, int]:
    """(tfhd flags, default_sample_size or 0)."""
    reader = FieldReader(tfhd.payload)
    _, flags = reader.full()
    reader.take(4)  # track_ID
    for bit, width in ((0x1, 8), (0x2, 4), (0x8, 4)):
        if flags & bit:
            reader.take(width)
    return flags, reader.uint(4) if flags & _TFHD_DEFAULT_SIZE else 0


def _trun_extent(trun: ParsedBox, default_size: int) -> tuple[int, int]:
    """(data_offset, bytes of sample data) of a ``trun`` (§8.8.8)."""
    reader = FieldReader(trun.payload)
    _, flags = reader.full()
    count = reader.uint(4)
    if not flags & _TRUN_DATA_OFFSET:
        raise ValueError("trun without data_offset")
    offset = reader.sint(4)
    if flags & _TRUN_FIRST_FLAGS:
        reader.take(4)
    if not flags & _TRUN_SIZE:
        return offset, default_size * count
    total = 0
    for _ in range(count):
        for bit in _TRUN_PER_SAMPLE:
            if flags & bit:
                value = reader.uint(4)
                total += value if bit == _TRUN_SIZE else 0
    return offset, total
