"""Initialization segment: ``ftyp`` + ``moov`` with no samples (14496-12 §8.2, §8.3, §8.8.1).

Box tree of ``init_segment()``::

    |ftyp|
    |moov|
    |    |mvhd|                         one timescale for the movie and every track (B.9.1)
    |    |trak|                         one per track
    |    |    |tkhd|
    |    |    |mdia|
    |    |    |    |mdhd|
    |    |    |    |hdlr|
    |    |    |    |minf|
    |    |    |    |    |vmhd|smhd|nmhd|
    |    |    |    |    |dinf|
    |    |    |    |    |    |dref|
    |    |    |    |    |    |    |url |
    |    |    |    |    |stbl|
    |    |    |    |    |    |stsd|      → the codec's sample entry (Codec.sample_entry),
    |    |    |    |    |    |            as encv/enca/encm with a sinf when encrypted
    |    |    |    |    |    |stts|stsc|stsz|stco|   all empty
    |    |mvex|
    |    |    |trex|                    one per track
    |    |pssh|                         encrypted segments: the W3C pssh first (RC B.8)
    |    |udta|                         optional (user_data.py)

The ``ftyp`` brands: format MP4 uses major ``iso6`` (fragments with ``tfdt``, ``trun``
v1) and lists ``isom``/``mp41``; CMAF uses the structural brand ``cmfc``
(ISO/IEC 23000-19 §7.2) as major and lists ``iso6``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum

from onvif_recorder.mp4.boxes import (
    box,
    cstring,
    fixed16_16,
    full_box,
    u16,
    u32,
    uint,
    version_for,
)
from onvif_recorder.mp4.model import TrackInfo, TrackKind
from onvif_recorder.mp4.sample_entries import protected_sample_entry

MAC_EPOCH_OFFSET = 2_082_844_800  # seconds from 1904-01-01 to 1970-01-01 (§8.2.2.3)
_UNITY_MATRIX = (0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)
_LANGUAGE_UND = ((ord("u") - 0x60) << 10) | ((ord("n") - 0x60) << 5) | (ord("d") - 0x60)
_HANDLER_NAMES = {
    TrackKind.VIDEO: "VideoHandler",
    TrackKind.AUDIO: "SoundHandler",
    TrackKind.METADATA: "MetadataHandler",
}


class Brand(Enum):
    """Which flavour of fragmented MP4 a segment is (RC Annex B.6 / B.7)."""

    MP4 = "mp4"
    CMAF = "cmaf"


def mac_time(utc: float) -> int:
    """POSIX seconds → seconds since 1904-01-01 UTC, as ``mvhd``/``tkhd``/``mdhd`` store."""
    return max(0, int(utc // 1) + MAC_EPOCH_OFFSET)


def init_segment(tracks: Sequence[TrackInfo], timescale: int, brand: Brand, *,
                 creation_utc: float = 0.0, user_data: bytes = b"",
                 sinfs: Mapping[int, bytes] | None = None,
                 pssh: Sequence[bytes] = ()) -> bytes:
    """``ftyp`` + ``moov`` for ``tracks`` sharing ``timescale`` (see the module docstring).

    ``sinfs`` maps the track_ID of each encrypted track to its ``sinf`` box; ``pssh``
    are the protection system boxes of the ``moov``, in order.
    """
    if not tracks:
        raise ValueError("an initialization segment needs at least one track")
    when = mac_time(creation_utc) if creation_utc else 0
    sinfs = sinfs or {}
    traks = [trak(track, timescale, when, sinfs.get(track.track_id, b"")) for track in tracks]
    children = [mvhd(timescale, when, max(t.track_id for t in tracks) + 1), *traks,
                box(b"mvex", *(trex(t.track_id) for t in tracks)), *pssh]
    if user_data:
        children.append(box(b"udta", user_data))
    return ftyp(brand) + box(b"moov", *children)


def ftyp(brand: Brand) -> bytes:
    """FileTypeBox (§4.3): major brand, minor version 0, compatible brands."""
    if brand is Brand.CMAF:
        return box(b"ftyp", b"cmfc", u32(0), b"cmfc", b"iso6", b"isom")
    return box(b"ftyp", b"iso6", u32(0), b"iso6", b"isom", b"mp41")


def _matrix() -> bytes:
    return b"".join(u32(value) for value in _UNITY_MATRIX)


def mvhd(timescale: int, when: int, next_track_id: int) -> bytes:
    """MovieHeaderBox (§8.2.2), duration 0: the movie is fragmented (§8.8.1)."""
    version = version_for(when)
    return full_box(b"mvhd", version, 0,
                    uint(when, version), uint(when, version), u32(timescale), uint(0, version),
                    u32(0x00010000), u16(0x0100), bytes(10),  # rate 1.0, volume 1.0
                    _matrix(), bytes(24), u32(next_track_id))


def trak(track: TrackInfo, timescale: int, when: int, sinf: bytes = b"") -> bytes:
    """|trak| → |tkhd| |mdia| → |mdhd| |hdlr| |minf|"""
    return box(b"trak", tkhd(track, when),
               box(b"mdia", mdhd(timescale, when), hdlr(track.kind), minf(track, sinf)))


def tkhd(track: TrackInfo, when: int) -> bytes:
    """TrackHeaderBox (§8.3.2), flags enabled|in_movie, duration 0; size for video."""
    version = version_for(when)
    width, height = track.size
    volume = 0x0100 if track.kind is TrackKind.AUDIO else 0
    return full_box(b"tkhd", version, 0x000003,
                    uint(when, version), uint(when, version), u32(track.track_id), u32(0),
                    uint(0, version), bytes(8), u16(0), u16(0), u16(volume), u16(0),
                    _matrix(), fixed16_16(width), fixed16_16(height))


def mdhd(timescale: int, when: int) -> bytes:
    """MediaHeaderBox (§8.4.2): the segment's single timescale, language ``und``."""
    version = version_for(when)
    return full_box(b"mdhd", version, 0, uint(when, version), uint(when, version),
                    u32(timescale), uint(0, version), u16(_LANGUAGE_UND), u16(0))


def hdlr(kind: TrackKind) -> bytes:
    """HandlerBox (§8.4.3): ``vide``, ``soun`` or ``meta``."""
    return full_box(b"hdlr", 0, 0, u32(0), kind.value.encode("ascii"), bytes(12),
                    cstring(_HANDLER_NAMES[kind]))


def minf(track: TrackInfo, sinf: bytes = b"") -> bytes:
    """|minf| → media header, |dinf| → |dref| → |url |, |stbl|"""
    url = full_box(b"url ", 0, 0x000001)  # media data in the same file
    dinf = box(b"dinf", full_box(b"dref", 0, 0, u32(1), url))
    return box(b"minf", media_header(track.kind), dinf, stbl(track, sinf))


def media_header(kind: TrackKind) -> bytes:
    """``vmhd`` (§12.1.2), ``smhd`` (§12.2.2) or ``nmhd`` (§8.4.5.2) for metadata."""
    if kind is TrackKind.VIDEO:
        return full_box(b"vmhd", 0, 0x000001, u16(0), bytes(6))
    if kind is TrackKind.AUDIO:
        return full_box(b"smhd", 0, 0, u16(0), u16(0))
    return full_box(b"nmhd", 0, 0)


def stbl(track: TrackInfo, sinf: bytes = b"") -> bytes:
    """SampleTableBox (§8.5.1) holding only the sample description; no samples."""
    entry = track.codec.sample_entry()
    if sinf:
        entry = protected_sample_entry(entry, track.kind, sinf)
    return box(b"stbl",
               full_box(b"stsd", 0, 0, u32(1), entry),
               full_box(b"stts", 0, 0, u32(0)),
               full_box(b"stsc", 0, 0, u32(0)),
               full_box(b"stsz", 0, 0, u32(0), u32(0)),
               full_box(b"stco", 0, 0, u32(0)))


def trex(track_id: int) -> bytes:
    """TrackExtendsBox (§8.8.3): sample description 1; all other defaults in ``tfhd``."""
    return full_box(b"trex", 0, 0, u32(track_id), u32(1), u32(0), u32(0), u32(0))
