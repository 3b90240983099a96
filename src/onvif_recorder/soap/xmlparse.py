"""The one safe XML parser: every byte of XML from the network enters here.

No DTD, no entity resolution, no network access, a byte limit and a depth
limit (SOAP 1.2 Part 1 §5: a SOAP message MUST NOT contain a Document Type
Declaration). Refusals are counted so operators can see hostile traffic.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from lxml import etree

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 100

refusals: Counter[str] = Counter()
_NO_DTD = "document type declarations are not allowed in SOAP messages"


class XmlRefused(ValueError):
    """The document is not acceptable; ``kind`` names why (for counters and faults)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class ParseLimits:
    max_bytes: int = MAX_BODY_BYTES
    max_depth: int = MAX_DEPTH


def _new_parser() -> etree.XMLPullParser:
    return etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
    )


def refuse(kind: str, message: str) -> XmlRefused:
    """Count a refusal of ``kind`` and return the error to raise."""
    refusals[kind] += 1
    return XmlRefused(kind, message)


def _declares_dtd(data: bytes) -> bool:
    """A cheap look for a DTD before parsing, in UTF-8 and (by BOM or NUL pattern) UTF-16."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return True
    codec = _utf16_codec(data[:4])
    if codec is None:
        return False
    text = data.decode(codec, errors="replace")
    return "<!DOCTYPE" in text or "<!ENTITY" in text


def _utf16_codec(head: bytes) -> str | None:
    """XML 1.0 Appendix F: tell UTF-16 from its BOM or from where the NUL bytes are."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head[:2] == b"\x00<":
        return "utf-16-be"
    if head[:2] == b"<\x00":
        return "utf-16-le"
    return None


def parse_document(data: bytes, limits: ParseLimits = ParseLimits()) -> etree._Element:
    """Parse ``data`` and return the root element, or raise XmlRefused."""
    if len(data) > limits.max_bytes:
        raise refuse("too_large", f"document exceeds {limits.max_bytes} bytes")
    if _declares_dtd(data):
        raise refuse("dtd", _NO_DTD)
    parser = _new_parser()
    depth = 0
    try:
        parser.feed(data)
        for event, _element in parser.read_events():
            depth += 1 if event == "start" else -1
            if depth > limits.max_depth:
                raise refuse("too_deep", f"document nests deeper than {limits.max_depth}")
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise refuse("malformed", f"malformed XML: {exc.msg}") from None
    # Whatever encoding slipped past the look above, the parsed tree tells the truth.
    if root.getroottree().docinfo.internalDTD is not None:
        raise refuse("dtd", _NO_DTD)
    return root
