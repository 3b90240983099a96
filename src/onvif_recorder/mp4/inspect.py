"""Box-tree reader and text dumper for ISO-BMFF files (14496-12 §4.2 box structure).

``read_boxes`` parses bytes into ``ParsedBox`` trees (tolerating a truncated last box,
as a crashed recorder leaves), ``dump_bytes`` renders one line per box plus its decoded
fields, the format of the golden files under ``tests/data/mp4/``, and ``dump`` is what
``onvif-recorder dump-segment FILE`` prints. ``dump`` reading a path is the only I/O in
this package; everything else takes bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from onvif_recorder.mp4.fields import FieldReader, decode_fields

# Boxes whose payload is only child boxes, and where children start in the others.
_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"dinf", b"stbl", b"mvex",
                         b"moof", b"traf", b"mfra", b"udta", b"edts", b"sinf", b"schi"})
_CHILDREN_AT = {b"stsd": 8, b"dref": 8, b"avc1": 78, b"avc3": 78, b"hvc1": 78, b"hev1": 78,
                b"encv": 78, b"mp4a": 28, b"ulaw": 28, b"alaw": 28, b"enca": 28}
MAX_DEPTH = 16


@dataclass(slots=True)
class ParsedBox:
    """One box: type, file offset, total size, header size, payload and children."""

    kind: bytes
    offset: int
    size: int
    header_size: int
    payload: bytes
    children: list[ParsedBox] = field(default_factory=list)
    truncated: bool = False

    @property
    def name(self) -> str:
        return self.kind.decode("latin-1")

    def find(self, path: str) -> ParsedBox | None:
        """First descendant at ``path`` such as ``"trak/mdia/mdhd"``."""
        return find(self.children, path)

    def find_all(self, path: str) -> list[ParsedBox]:
        return find_all(self.children, path)


def read_boxes(data: bytes, offset: int = 0, end: int | None = None,
               depth: int = 0) -> list[ParsedBox]:
    """Parse consecutive boxes in ``data[offset:end]``; a box cut short ends the list."""
    end = len(data) if end is None else end
    boxes: list[ParsedBox] = []
    while offset + 8 <= end:
        parsed = _read_one(data, offset, end, depth)
        boxes.append(parsed)
        if parsed.truncated or parsed.size < parsed.header_size:
            break
        offset += parsed.size
    return boxes


def _read_one(data: bytes, offset: int, end: int, depth: int) -> ParsedBox:
    size = int.from_bytes(data[offset : offset + 4], "big")
    kind = bytes(data[offset + 4 : offset + 8])
    header = 8
    if size == 1 and offset + 16 <= end:
        size, header = int.from_bytes(data[offset + 8 : offset + 16], "big"), 16
    elif size == 0:
        size = end - offset  # box extends to the end of the file (§4.2.2)
    truncated = size < header or offset + size > end
    stop = min(offset + size, end)
    parsed = ParsedBox(kind, offset, size, header, bytes(data[offset + header : stop]),
                       truncated=truncated)
    start = _children_start(kind)
    if start is not None and depth < MAX_DEPTH and not truncated:
        parsed.children = read_boxes(data, offset + header + start, stop, depth + 1)
    return parsed


def _children_start(kind: bytes) -> int | None:
    if kind in _CONTAINERS:
        return 0
    return _CHILDREN_AT.get(kind)


def find(boxes: Sequence[ParsedBox], path: str) -> ParsedBox | None:
    found = find_all(boxes, path)
    return found[0] if found else None


def find_all(boxes: Sequence[ParsedBox], path: str) -> list[ParsedBox]:
    """Every box at ``path`` (``/``-separated 4CCs) below ``boxes``."""
    head, _, rest = path.partition("/")
    matches = [b for b in boxes if b.name == head]
    if not rest:
        return matches
    return [hit for b in matches for hit in find_all(b.children, rest)]


def walk(boxes: Sequence[ParsedBox], depth: int = 0) -> Iterator[tuple[int, ParsedBox]]:
    for parsed in boxes:
        yield depth, parsed
        yield from walk(parsed.children, depth + 1)


def dump_bytes(data: bytes, *, max_samples: int | None = None) -> str:
    """The box tree of ``data`` as text: ``[type] size=N`` lines, fields indented below."""
    lines: list[str] = []
    for depth, parsed in walk(read_boxes(data)):
        indent = "  " * depth
        head = f"{indent}[{parsed.name}] size={parsed.size}"
        if parsed.truncated:
            head += f" TRUNCATED ({len(parsed.payload) + parsed.header_size} bytes present)"
        lines.append(head)
        if parsed.truncated:
            continue
        try:
            fields = decode_fields(parsed.kind, FieldReader(parsed.payload), max_samples)
        except (IndexError, ValueError) as exc:
            fields = [f"undecodable: {exc}"]
        lines += [f"{indent}  {text}" for text in fields]
    return "\n".join(lines) + "\n"


def dump(source: bytes | bytearray | memoryview, *, max_samples: int | None = None) -> str:
    """Dump a segment given as bytes (``dump-segment FILE`` reads the file)."""
    return dump_bytes(bytes(source), max_samples=max_samples)
