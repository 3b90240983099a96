"""MSB-first bit reading and writing, Exp-Golomb codes and emulation prevention.

Exp-Golomb: ITU-T H.264 §9.1 (``ue(v)``, ``se(v)``), shared by H.265 §9.2.
Emulation prevention: H.264 §7.4.1 / H.265 §7.4.2 (``0x000003`` escapes).
"""

from __future__ import annotations

from collections.abc import Callable

from onvif_recorder.codecs.errors import BitstreamError, TruncatedBitstream

MAX_EXP_GOLOMB_ZEROS = 31


class BitReader:
    """Reads bits MSB first from ``data``; running off the end raises BitstreamError."""

    __slots__ = ("_data", "_pos", "_size")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0
        self._size = len(data) * 8

    @property
    def bits_left(self) -> int:
        return self._size - self._pos

    @property
    def position(self) -> int:
        """Bits read so far."""
        return self._pos

    def read_bits(self, count: int) -> int:
        """Read ``count`` bits as an unsigned integer."""
        if count > self.bits_left:
            raise TruncatedBitstream(
                f"bitstream truncated: wanted {count} bits, {self.bits_left} left")
        value = 0
        for _ in range(count):
            byte = self._data[self._pos >> 3]
            value = (value << 1) | ((byte >> (7 - (self._pos & 7))) & 1)
            self._pos += 1
        return value

    def read_flag(self) -> bool:
        return self.read_bits(1) == 1

    def skip_bits(self, count: int) -> None:
        if count > self.bits_left:
            raise TruncatedBitstream(
                f"bitstream truncated: wanted {count} bits, {self.bits_left} left")
        self._pos += count

    def at_trailing_bits(self) -> bool:
        """True if only rbsp_trailing_bits are left (H.264 §7.2 more_rbsp_data() is
        False): a stop bit then zeros, or nothing, or zeros only. Reads nothing."""
        left = self.bits_left
        if left == 0:
            return True
        position = self._pos
        rest = self.read_bits(left)
        self._pos = position
        return rest in (0, 1 << (left - 1))

    def read_ue(self) -> int:
        """Unsigned Exp-Golomb ``ue(v)`` (H.264 §9.1)."""
        zeros = 0
        while self.read_bits(1) == 0:
            zeros += 1
            if zeros > MAX_EXP_GOLOMB_ZEROS:
                raise BitstreamError("Exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.read_bits(zeros)

    def read_se(self) -> int:
        """Signed Exp-Golomb ``se(v)`` (H.264 §9.1.1)."""
        code = self.read_ue()
        return (code + 1) // 2 if code & 1 else -(code // 2)


class BitWriter:
    """Writes bits MSB first; used to build parameter sets and configs."""

    __slots__ = ("_bits",)

    def __init__(self) -> None:
        self._bits: list[int] = []

    def write_bits(self, value: int, count: int) -> None:
        if value < 0 or value >= 1 << count:
            raise ValueError(f"{value} does not fit in {count} bits")
        self._bits.extend((value >> (count - 1 - i)) & 1 for i in range(count))

    def write_flag(self, flag: bool) -> None:
        self._bits.append(1 if flag else 0)

    def write_ue(self, value: int) -> None:
        code = value + 1
        length = code.bit_length()
        self.write_bits(0, length - 1)
        self.write_bits(code, length)

    def write_se(self, value: int) -> None:
        self.write_ue(2 * value - 1 if value > 0 else -2 * value)

    def to_bytes(self, *, rbsp_trailing: bool = False) -> bytes:
        """The bits written so far, zero padded; with the RBSP stop bit if asked."""
        bits = self._bits + ([1] if rbsp_trailing else [])
        bits = bits + [0] * (-len(bits) % 8)
        return bytes(
            int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8)
        )


def unescape_rbsp(data: bytes) -> bytes:
    """Remove emulation-prevention bytes: ``00 00 03`` becomes ``00 00`` (H.264 §7.4.1)."""
    if b"\x00\x00\x03" not in data:
        return data
    out = bytearray()
    zeros = 0
    for byte in data:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


HEADER_PREFIX = 256
"""Escaped bytes a slice header parser first looks at; more only if the header is longer."""


def read_prefix(data: bytes, read: Callable[[BitReader], None]) -> int:
    """``read`` a header at the start of escaped ``data``; how many escaped bytes it
    takes, rounded up to a whole byte. Only a prefix is unescaped first, since removing
    emulation-prevention bytes from a whole slice is a byte-by-byte loop; a header longer
    than the prefix is read again from all of ``data``."""
    for size in (HEADER_PREFIX, len(data)):
        reader = BitReader(unescape_rbsp(data[:size]))
        try:
            read(reader)
        except TruncatedBitstream:
            if size >= len(data):
                raise
            continue
        return escaped_length(data, (reader.position + 7) // 8)
    raise AssertionError("unreachable")


def escaped_length(data: bytes, rbsp_bytes: int) -> int:
    """How many bytes of the escaped ``data`` hold its first ``rbsp_bytes`` RBSP bytes,
    emulation-prevention bytes among them included (the inverse of ``unescape_rbsp``)."""
    kept = zeros = index = 0
    while kept < rbsp_bytes and index < len(data):
        byte = data[index]
        index += 1
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        kept += 1
        zeros = zeros + 1 if byte == 0 else 0
    if kept < rbsp_bytes:
        raise TruncatedBitstream("escaped data ends before its RBSP does")
    return index


def escape_rbsp(data: bytes) -> bytes:
    """Insert emulation-prevention bytes so no ``00 00 0x`` (x <= 3) appears."""
    out = bytearray()
    zeros = 0
    for byte in data:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)
