"""The checks of TS-EFF 21.06 EXPORT_FORMAT-1-1-1, written from the test text (not from
the recorder's writer): each returns nothing or raises AssertionError naming the step."""

from __future__ import annotations

import struct
from collections.abc import Callable

from onvif_recorder.mp4.inspect import ParsedBox, read_boxes


def _children(data: bytes, parent: ParsedBox, skip: int) -> list[ParsedBox]:
    return read_boxes(data, parent.offset + parent.header_size + skip, parent.offset + parent.size)


def _cstrings(payload: bytes, count: int, at: int) -> tuple[list[str], int]:
    found = []
    for _ in range(count):
        end = payload.index(b"\0", at)
        found.append(payload[at:end].decode("utf-8"))
        at = end + 1
    return found, at


def check_video_trak(data: bytes) -> None:
    moov = [b for b in read_boxes(data) if b.name == "moov"]
    assert len(moov) == 1, "one moov"
    handlers = [t.find("mdia/hdlr") for t in moov[0].find_all("trak")]
    assert any(h is not None and h.payload[8:12] == b"vide" for h in handlers), "a vide trak"


def _meta(data: bytes) -> ParsedBox:
    metas = [b for b in read_boxes(data) if b.name == "meta"]
    assert len(metas) == 1, "exactly one meta"
    return metas[0]


def check_suep(data: bytes) -> None:
    meta = _meta(data)
    sueps = [b for b in _children(data, meta, 4) if b.name == "suep"]
    assert len(sueps) == 1, "exactly one suep"
    payload = sueps[0].payload[4:]
    _, at = _cstrings(payload, 3, 0)  # ExportUnitName, URL, MAC
    at += 8  # UInt64 ExportUnitTime
    _, at = _cstrings(payload, 1, at)  # ExportOperator
    (count,) = struct.unpack_from(">I", payload, at)
    at += 4
    moov = next(b for b in read_boxes(data) if b.name == "moov")
    assert count == len(moov.find_all("trak")), "one suep entry per moov/trak"
    for _ in range(count):
        at += 2  # UInt16 TrackID
        _, at = _cstrings(payload, 4, at)
    assert at == len(payload), "suep fields in order, nothing after"


def check_sumi(data: bytes) -> None:
    sumis = [b for b in _children(data, _meta(data), 4) if b.name == "sumi"]
    assert len(sumis) == 1, "exactly one sumi"
    (start,) = struct.unpack_from(">Q", sumis[0].payload, 48)
    assert start >= 0, "sumi startTime unsigned"


def check_tfdt(data: bytes) -> None:
    trafs = [t for m in read_boxes(data) if m.name == "moof" for t in m.find_all("traf")]
    assert trafs and all(len(t.find_all("tfdt")) == 1 for t in trafs), "one tfdt per traf"


def _sinfs(data: bytes) -> list[ParsedBox]:
    ipros = [b for b in _children(data, _meta(data), 4) if b.name == "ipro"]
    assert len(ipros) == 1, "exactly one ipro"
    (count,) = struct.unpack_from(">H", ipros[0].payload, 4)
    assert count == 1, "protection_count = 1"
    sinfs = [b for b in _children(data, ipros[0], 6) if b.name == "sinf"]
    assert sinfs and all(len(s.find_all("schm")) == 1 for s in sinfs), "one schm per sinf"
    return sinfs


def check_oeff_sinf(data: bytes) -> None:
    oeff = [s for s in _sinfs(data) if s.find("schm").payload[4:8] == b"oeff"]  # type: ignore[union-attr]
    assert oeff, "a sinf with scheme oeff"
    for sinf in oeff:
        schm = sinf.find("schm")
        assert schm is not None and schm.payload[8:12] == b"\x00\x01\x00\x00", "version"
        cstbs = sinf.find_all("cstb")
        assert len(cstbs) <= 1, "cstb at most once"
        for cstb in cstbs:
            (entries,) = struct.unpack_from(">I", cstb.payload, 0)
            for i in range(entries):
                (track,) = struct.unpack_from(">I", cstb.payload, 4 + 12 * i)
                assert track != 0, "cstb track_ID non-zero"
        schis = sinf.find_all("schi")
        assert len(schis) == 1, "exactly one schi"
        assert len(schis[0].find_all("sibo")) == 1, "exactly one sibo"
        assert len(schis[0].find_all("cert")) == 1, "exactly one cert"


CHECKS: dict[str, Callable[[bytes], None]] = {
    "moov/trak with hdlr vide": check_video_trak,
    "one meta, one suep, fields in order": check_suep,
    "one sumi, unsigned startTime": check_sumi,
    "one tfdt per moof/traf": check_tfdt,
    "ipro count 1, oeff sinf with version, cstb, one schi/sibo/cert": check_oeff_sinf,
}
