"""The ONVIF Export File Format's own boxes (EFF 25.12 §5, TS-EFF 21.06), sans-IO.

Box tree of ``export_meta()``, the file-level ``meta`` appended after the last fragment::

    |meta|                   FullBox, file level, exactly one (EFF §5.1)
    |    |hdlr|              handler 'null' (ISO 14496-12 §8.11.1 wants one in meta)
    |    |suep|              SurveillanceExportBox, FullBox version 1 (EFF §5.1)
    |    |sumi|              AFIdentificationBox: TS-EFF requires it, EFF 22.12 dropped it
    |    |ipro|              ItemProtectionBox, protection_count = 1 (EFF §5.5.3.1)
    |    |    |sinf|
    |    |    |    |schm|    scheme 'oeff' (0x6F656666, as TS-EFF checks), version 0x00010000
    |    |    |    |schi|
    |    |    |    |    |sibo|  RSASSA-PSS signature, zero while the file is hashed (EFF §5.5)
    |    |    |    |    |cert|  DER certificate of the verification key
    |    |    |    |    |cstb|  CorrectStartTimeBox, where isosign and oxfplayer look (EFF §5.5.3.4)

and ``loci`` (3GPP TS 26.244 §8.4.2.2) for ``moov/udta``.

Two time bases: ``suep`` counts seconds since 1904-01-01 (ISO time, as oxfplayer reads it),
``cstb`` and ``sumi`` count 100 ns units since 1601-01-01 (Windows FILETIME).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from onvif_recorder.mp4.boxes import (
    HEADER_SIZE,
    box,
    cstring,
    full_box,
    u8,
    u16,
    u32,
    u64,
)
from onvif_recorder.mp4.init_segment import mac_time

OEFF = 0x6F656666
OEFF_VERSION = 0x00010000
FILETIME_UNIX_OFFSET = 11_644_473_600  # seconds from 1601-01-01 to 1970-01-01


def filetime(utc: float) -> int:
    """POSIX seconds → 100 ns units since 1601-01-01 (``cstb``, ``sumi``)."""
    return max(0, round((utc + FILETIME_UNIX_OFFSET) * 10_000_000))


@dataclass(frozen=True, slots=True)
class ExportSource:
    """One ``suep`` entry: a ``moov/trak`` and where its media came from."""

    track_id: int
    name: str = ""
    url: str = ""
    mac: str = ""
    line: str = ""


@dataclass(frozen=True, slots=True)
class ExportFacts:
    """What ``suep``, ``sumi`` and ``cstb`` say about one exported file."""

    unit_name: str
    unit_url: str
    unit_mac: str
    export_utc: float
    operator: str
    sources: Sequence[ExportSource]
    start_utc: float
    """UTC of media time 0 of ``start_track``."""
    duration: float
    start_track: int
    fragment_id: bytes = bytes(16)


def suep(facts: ExportFacts) -> bytes:
    """SurveillanceExportBox (EFF §5.1): fields in exactly this order (TS-EFF A.1)."""
    entries = b"".join(u16(s.track_id) + cstring(s.name) + cstring(s.url) + cstring(s.mac)
                       + cstring(s.line) for s in facts.sources)
    return full_box(b"suep", 1, 0, cstring(facts.unit_name), cstring(facts.unit_url),
                    cstring(facts.unit_mac), u64(mac_time(facts.export_utc)),
                    cstring(facts.operator), u32(len(facts.sources)), entries)


def sumi(facts: ExportFacts) -> bytes:
    """AFIdentificationBox (ISO 23000-10): this file's id, no predecessor or successor."""
    return box(b"sumi", facts.fragment_id.ljust(16, b"\0")[:16], bytes(32),
               u64(filetime(facts.start_utc)), u64(round(facts.duration * 10_000_000)),
               u16(0), u16(0))


def cstb(track_id: int, start_utc: float) -> bytes:
    """CorrectStartTimeBox (EFF §5.2): a plain Box, UTC of the track's media time 0."""
    return box(b"cstb", u32(1), u32(track_id), u64(filetime(start_utc)))


@dataclass(frozen=True, slots=True)
class ExportMeta:
    data: bytes
    signature_offset: int
    """Offset of the ``sibo`` payload within ``data``."""
    signature_size: int


def export_meta(facts: ExportFacts, certificate: bytes, signature_size: int) -> ExportMeta:
    """The file-level ``meta`` with a zero ``sibo`` of ``signature_size`` bytes."""
    schi_head = box(b"sibo", bytes(signature_size))
    schi = box(b"schi", schi_head, box(b"cert", certificate),
               cstb(facts.start_track, facts.start_utc))
    schm = full_box(b"schm", 0, 0, u32(OEFF), u32(OEFF_VERSION))
    sinf = box(b"sinf", schm, schi)
    ipro = full_box(b"ipro", 0, 0, u16(1), sinf)
    hdlr = full_box(b"hdlr", 0, 0, u32(0), b"null", bytes(12), cstring(""))
    head = hdlr + suep(facts) + sumi(facts)
    meta = full_box(b"meta", 0, 0, head, ipro)
    # meta header+version/flags, head, ipro header + count, sinf header, schm, schi and
    # sibo headers: then the signature bytes.
    offset = (HEADER_SIZE + 4 + len(head) + HEADER_SIZE + 4 + 2 + HEADER_SIZE + len(schm)
              + HEADER_SIZE + HEADER_SIZE)
    return ExportMeta(meta, offset, signature_size)


_COORDINATES = re.compile(r"(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)")


def loci(location: str) -> bytes:
    """3GPP LocationInformationBox for ``moov/udta``: the recording Source's Location as
    Name; "LAT,LON" in it (decimal degrees) fills the 16.16 fixed-point coordinates."""
    latitude = longitude = 0.0
    found = _COORDINATES.search(location)
    if found:
        latitude, longitude = float(found.group(1)), float(found.group(2))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        latitude = longitude = 0.0
    return full_box(b"loci", 0, 0, u16(0x55C4),  # language 'und'
                    cstring(location.replace("\0", "")), u8(1),  # Role 1: recording place
                    _fixed(longitude), _fixed(latitude), u32(0), cstring("earth"), cstring(""))


def _fixed(degrees: float) -> bytes:
    return u32(round(degrees * 65536) & 0xFFFFFFFF)
