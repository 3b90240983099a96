"""The one safe XML parser refuses hostile documents cheaply (no DTD, no entities,
bounded size and depth) and counts each refusal."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onvif_recorder.soap import xmlparse
from onvif_recorder.soap.xmlparse import ParseLimits, XmlRefused, parse_document

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<lolz>&lol9;</lolz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""


DEFAULT_LIMITS = ParseLimits()


def refusal(data: bytes, limits: ParseLimits = DEFAULT_LIMITS) -> str:
    before = dict(xmlparse.refusals)
    start = time.perf_counter()
    with pytest.raises(XmlRefused) as caught:
        parse_document(data, limits)
    assert time.perf_counter() - start < 0.5
    assert xmlparse.refusals[caught.value.kind] == before.get(caught.value.kind, 0) + 1
    return caught.value.kind


def test_plain_document_parses() -> None:
    root = parse_document(b"<a xmlns='urn:x'><b>text</b></a>")
    assert root.tag == "{urn:x}a" and root[0].text == "text"


def test_billion_laughs_is_refused() -> None:
    assert refusal(BILLION_LAUGHS) == "dtd"


def test_external_entity_is_refused() -> None:
    assert refusal(EXTERNAL_ENTITY) == "dtd"


def test_oversized_document_is_refused_before_parsing() -> None:
    assert refusal(b"<a>" + b"x" * 2_000_000 + b"</a>") == "too_large"


def test_deep_nesting_is_refused() -> None:
    deep = b"<a>" * 10_000 + b"</a>" * 10_000
    assert refusal(deep) in ("too_deep", "malformed")
    assert refusal(b"<a>" * 150 + b"</a>" * 150) == "too_deep"


def test_depth_limit_is_exact() -> None:
    limits = ParseLimits(max_depth=5)
    parse_document(b"<a>" * 5 + b"</a>" * 5, limits)
    assert refusal(b"<a>" * 6 + b"</a>" * 6, limits) == "too_deep"


@pytest.mark.parametrize("data", [b"", b"<a>", b"<a></b>", b"not xml", b"<a>\xff</a>"])
def test_malformed_documents_are_refused(data: bytes) -> None:
    assert refusal(data) == "malformed"


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_else(data: bytes) -> None:
    with contextlib.suppress(XmlRefused):
        parse_document(data)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_dtd_is_refused_in_utf_16(codec: str) -> None:
    declared = "utf-16" if codec == "utf-16" else codec.upper()
    document = f'<?xml version="1.0" encoding="{declared}"?>' + EXTERNAL_ENTITY.decode()[21:]
    assert refusal(document.encode(codec)) == "dtd"


def test_utf_16_document_without_dtd_parses() -> None:
    document = '<?xml version="1.0" encoding="UTF-16"?><a>Café</a>'
    assert parse_document(document.encode("utf-16")).text == "Café"
