"""Encrypted segments back to clear ones (``onvif-recorder decrypt``): bytes in, bytes out.

Every box keeps its size, so no offset (``trun`` data_offset, ``saio``, ``tfra``) moves:
sample data is decrypted in place, each protected sample entry gets its original 4CC
back (from ``frma``) and the protection boxes (``sinf``, ``pssh``, ``saiz``, ``saio``,
``senc``) become ``free`` boxes, which every reader skips (14496-12 §8.1.2).

Keys come from a ``KeyLookup``: KID → content key, filled from ``--key`` or by
unwrapping the AsymmetricKeySystemHeaderBox entries of each segment's ``moov`` with a
private key (B.8.2; both wire versions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag

from onvif_recorder.cenc import asymmetric, cbcs, cipher
from onvif_recorder.cenc.subsamples import Subsample
from onvif_recorder.mp4.fields import FieldReader
from onvif_recorder.mp4.inspect import ParsedBox, read_boxes

KeyLookup = Callable[[bytes], bytes | None]
"""KID → content key, None if unknown."""

_TFHD_BASE_OFFSET, _TFHD_DESCRIPTION = 0x000001, 0x000002
_TFHD_DURATION, _TFHD_SIZE, _TFHD_FLAGS = 0x000008, 0x000010, 0x000020
_PROTECTION_BOXES = (b"sinf", b"pssh", b"saiz", b"saio", b"senc")


class DecryptError(ValueError):
    """A segment that cannot be decrypted: unknown scheme, missing key, broken boxes."""


@dataclass(frozen=True, slots=True)
class Protection:
    """A protected track's ``frma`` and ``tenc`` (ISO/IEC 23001-7 §8.2): ``cenc``, or
    ``cbcs`` with per-sample or constant IVs (``seig`` sample groups are not read)."""

    original_format: bytes
    scheme: bytes
    kid: bytes
    iv_size: int
    pattern: cbcs.Pattern = (0, 0)
    constant_iv: bytes = b""

    def apply(self, key: bytes, iv: bytes, sample: bytes, pairs: list[Subsample]) -> bytes:
        if self.scheme == b"cbcs":
            return cbcs.decrypt(key, iv or self.constant_iv, sample, pairs, self.pattern)
        return cipher.apply(key, iv, sample, pairs)


def asymmetric_keys(data: bytes, private_key: asymmetric.PrivateKey) -> dict[bytes, bytes]:
    """KID → content key for every AsymmetricKeySystemHeaderBox entry ``private_key`` opens."""
    found: dict[bytes, bytes] = {}
    for pssh in _moov(read_boxes(data)).find_all("pssh"):
        if pssh.payload[4:20] != asymmetric.SYSTEM_ID:
            continue
        kid, entries = asymmetric.parse(pssh.payload)
        for entry in entries:
            try:
                found[kid] = asymmetric.unwrap(entry, private_key)
                break
            except (InvalidTag, ValueError):  # another certificate's entry: try the next
                continue
    return found


def decrypt(data: bytes, keys: KeyLookup) -> bytes:
    """The clear form of one segment (see the module docstring)."""
    out = bytearray(data)
    boxes = read_boxes(data)
    tracks = _protected_tracks(_moov(boxes), out)
    for moof in (b for b in boxes if b.name == "moof"):
        for traf in moof.find_all("traf"):
            _decrypt_traf(traf, moof.offset, tracks, keys, out)
    for box in _all(boxes):
        if box.kind in _PROTECTION_BOXES:
            out[box.offset + 4:box.offset + 8] = b"free"
    return bytes(out)


def _moov(boxes: list[ParsedBox]) -> ParsedBox:
    moov = next((b for b in boxes if b.name == "moov"), None)
    if moov is None:
        raise DecryptError("no moov: not a segment")
    return moov


def _all(boxes: list[ParsedBox]) -> Iterator[ParsedBox]:
    for box in boxes:
        yield box
        yield from _all(box.children)


def _protected_tracks(moov: ParsedBox, out: bytearray) -> dict[int, Protection]:
    """track_ID → protection, restoring each protected entry's 4CC in ``out``."""
    found: dict[int, Protection] = {}
    for trak in moov.find_all("trak"):
        tkhd = trak.find("tkhd")
        stsd = trak.find("mdia/minf/stbl/stsd")
        if tkhd is None or stsd is None:
            continue
        track_id = int.from_bytes(tkhd.payload[12:16] if tkhd.payload[0] == 0
                                  else tkhd.payload[20:24], "big")
        entry_offset = stsd.offset + stsd.header_size + 8
        sinf = _find_sinf(out, entry_offset)
        if sinf is None:
            continue
        found[track_id] = sinf
        out[entry_offset + 4:entry_offset + 8] = sinf.original_format
    return found


def _find_sinf(data: bytearray, entry_offset: int) -> Protection | None:
    """The ``sinf`` of the sample entry at ``entry_offset``. Where a sample entry's child
    boxes start depends on its codec, so the last ``sinf`` that parses as a box ending
    inside the entry is taken (the recorder appends it last)."""
    size = int.from_bytes(data[entry_offset:entry_offset + 4], "big")
    if bytes(data[entry_offset + 4:entry_offset + 8]) not in (b"encv", b"enca", b"encm"):
        return None
    body = bytes(data[entry_offset:entry_offset + size])
    at = body.rfind(b"sinf")
    if at < 12 or at - 4 + int.from_bytes(body[at - 4:at], "big") > len(body):
        raise DecryptError("a protected sample entry without sinf")
    sinf = read_boxes(body, at - 4)[0]
    frma, schm, tenc = sinf.find("frma"), sinf.find("schm"), sinf.find("schi/tenc")
    if frma is None or schm is None or tenc is None:
        raise DecryptError("sinf lacks frma, schm or tenc")
    scheme = schm.payload[4:8]
    if scheme not in (b"cenc", b"cbcs"):
        raise DecryptError(f"protection scheme {scheme.decode('latin-1')!r} is not supported")
    fields = tenc.payload
    pattern = (fields[5] >> 4, fields[5] & 0xF) if fields[0] >= 1 else (0, 0)
    constant_iv = fields[25:25 + fields[24]] if fields[7] == 0 and len(fields) > 24 else b""
    return Protection(frma.payload[:4], scheme, fields[8:24], fields[7], pattern, constant_iv)


def _decrypt_traf(traf: ParsedBox, moof_offset: int, tracks: dict[int, Protection],
                  keys: KeyLookup, out: bytearray) -> None:
    tfhd, trun, senc = traf.find("tfhd"), traf.find("trun"), traf.find("senc")
    if tfhd is None or trun is None:
        raise DecryptError("traf without tfhd or trun")
    track_id, base, default_size = _tfhd(tfhd.payload, moof_offset)
    protection = tracks.get(track_id)
    if protection is None:
        return
    if senc is None:
        raise DecryptError(f"track {track_id}: encrypted fragment without senc")
    key = keys(protection.kid)
    if key is None:
        raise DecryptError(f"no key for KID {protection.kid.hex()}")
    position = base + _data_offset(trun.payload)
    samples = _sample_sizes(trun.payload, default_size)
    for size, (iv, pairs) in zip(samples, _senc(senc.payload, protection.iv_size), strict=True):
        out[position:position + size] = protection.apply(
            key, iv, bytes(out[position:position + size]), pairs)
        position += size


def _tfhd(payload: bytes, moof_offset: int) -> tuple[int, int, int]:
    """(track_ID, base data offset, default sample size or 0)."""
    reader = FieldReader(payload)
    _, flags = reader.full()
    track_id = reader.uint(4)
    base = reader.uint(8) if flags & _TFHD_BASE_OFFSET else moof_offset
    for bit in (_TFHD_DESCRIPTION, _TFHD_DURATION):
        if flags & bit:
            reader.uint(4)
    return track_id, base, reader.uint(4) if flags & _TFHD_SIZE else 0


def _data_offset(trun: bytes) -> int:
    reader = FieldReader(trun)
    _, flags = reader.full()
    reader.uint(4)
    return reader.sint(4) if flags & 0x1 else 0


def _sample_sizes(trun: bytes, default_size: int) -> list[int]:
    reader = FieldReader(trun)
    _, flags = reader.full()
    count = reader.uint(4)
    for bit in (0x1, 0x4):
        if flags & bit:
            reader.uint(4)
    sizes = []
    for _ in range(count):
        fields = {bit: reader.uint(4) for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit}
        sizes.append(fields.get(0x200, default_size))
    return sizes


def _senc(payload: bytes, iv_size: int) -> Iterator[tuple[bytes, list[Subsample]]]:
    reader = FieldReader(payload)
    _, flags = reader.full()
    for _ in range(reader.uint(4)):
        iv = reader.take(iv_size)
        pairs = []
        if flags & 0x2:
            pairs = [Subsample(reader.uint(2), reader.uint(4)) for _ in range(reader.uint(2))]
        yield iv, pairs
