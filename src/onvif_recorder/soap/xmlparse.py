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


def _refuse(kind: str, message: str) -> XmlRefused:
    refusals[kind] += 1
    return XmlRefused(kind, message)


def parse_document(data: bytes, limits: ParseLimits = ParseLimits()) -> etree._Element:
    """Parse ``data`` and return the root element, or raise XmlRefused."""
    if len(data) > limits.max_bytes:
        raise _refuse("too_large", f"document exceeds {limits.max_bytes} bytes")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _refuse("dtd", "document type declarations are not allowed in SOAP messages")
    parser = _new_parser()
    depth = 0
    try:
        parser.feed(data)
        for event, _element in parser.read_events():
            depth += 1 if event == "start" else -1
            if depth > limits.max_depth:
                raise _refuse("too_deep", f"document nests deeper than {limits.max_depth}")
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise _refuse("malformed", f"malformed XML: {exc.msg}") from None
    return root
