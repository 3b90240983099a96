"""Box and full-box primitives (ISO/IEC 14496-12 §4.2): pure functions over bytes.

Every writer in this package builds a box as ``bytes`` whose size is known before it is
joined into its parent: ``box(b"moov", child1, child2)`` measures the children and
writes one header. The only box whose content depends on where it lands in the file
is ``trun`` (its ``data_offset``); ``fragment.py`` computes those offsets in one place
from sizes known up front.

Versions follow values, as in mp4ff: ``version_for(*values)`` is 1 as soon as a
time or duration no longer fits 32 bits, and the 64-bit ``largesize`` header is used
only when a box outgrows 32 bits.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

HEADER_SIZE = 8
LARGE_HEADER_SIZE = 16
FULL_HEADER_SIZE = 12
U32_MAX = 0xFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF

_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_I32 = struct.Struct(">i")
_U64 = struct.Struct(">Q")


class BoxError(ValueError):
    """A value does not fit the field the ISO base media file format gives it."""


def u8(value: int) -> bytes:
    return _U8.pack(value)


def u16(value: int) -> bytes:
    return _U16.pack(value)


def u32(value: int) -> bytes:
    return _U32.pack(value)


def i32(value: int) -> bytes:
    return _I32.pack(value)


def u64(value: int) -> bytes:
    return _U64.pack(value)


def fixed16_16(value: float) -> bytes:
    """Unsigned 16.16 fixed point (``tkhd`` width/height, sample entry ``samplerate``)."""
    return u32(round(value * 65536) & U32_MAX)


def fourcc(kind: bytes | str) -> bytes:
    raw = kind.encode("latin-1") if isinstance(kind, str) else kind
    if len(raw) != 4:
        raise BoxError(f"box type {raw!r} is not four characters")
    return raw


def box_header(kind: bytes, payload_size: int) -> bytes:
    """``Box`` header (§4.2.2): 32-bit size, or size 1 plus a 64-bit ``largesize``."""
    size = HEADER_SIZE + payload_size
    if size <= U32_MAX:
        return u32(size) + fourcc(kind)
    return u32(1) + fourcc(kind) + u64(payload_size + LARGE_HEADER_SIZE)


def box(kind: bytes, *payload: bytes) -> bytes:
    """A complete box: header and the concatenated ``payload`` (children or fields)."""
    body = b"".join(payload)
    return box_header(kind, len(body)) + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    """``FullBox`` (§4.2.2): box header, 8-bit version and 24-bit flags, then ``payload``."""
    if not 0 <= version <= 255 or not 0 <= flags <= 0xFFFFFF:
        raise BoxError(f"version {version} / flags {flags:#x} out of range")
    return box(kind, u32(version << 24 | flags), *payload)


def version_for(*values: int) -> int:
    """0 if every value fits an unsigned 32-bit field, else 1 (64-bit fields)."""
    for value in values:
        if value < 0 or value > U64_MAX:
            raise BoxError(f"{value} does not fit a 64-bit field")
    return 1 if any(value > U32_MAX for value in values) else 0


def uint(value: int, version: int) -> bytes:
    """A time/duration field: 32 bits in version 0, 64 bits in version 1."""
    return u64(value) if version else u32(value)


def cstring(text: str) -> bytes:
    """A null-terminated UTF-8 string (§4.2: ``string``)."""
    raw = text.encode("utf-8")
    if b"\x00" in raw:
        raise BoxError("string contains NUL")
    return raw + b"\x00"


def join(parts: Iterable[bytes]) -> bytes:
    return b"".join(parts)
