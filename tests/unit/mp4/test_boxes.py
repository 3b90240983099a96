"""Box primitives (ISO/IEC 14496-12 §4.2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.mp4 import boxes
from onvif_recorder.mp4.inspect import read_boxes


def test_box_measures_its_payload() -> None:
    assert boxes.box(b"free", b"abc") == b"\x00\x00\x00\x0bfreeabc"


def test_full_box_packs_version_and_flags() -> None:
    assert boxes.full_box(b"tfdt", 1, 0x020000, b"") == b"\x00\x00\x00\x0ctfdt\x01\x02\x00\x00"


def test_large_box_uses_largesize() -> None:
    header = boxes.box_header(b"mdat", 1 << 32)
    assert header[:8] == b"\x00\x00\x00\x01mdat"
    assert int.from_bytes(header[8:], "big") == (1 << 32) + 16


@pytest.mark.parametrize(("values", "version"), [((0,), 0), ((0xFFFFFFFF,), 0),
                                                 ((0x100000000,), 1), ((5, 1 << 40), 1)])
def test_version_follows_values(values: tuple[int, ...], version: int) -> None:
    assert boxes.version_for(*values) == version


def test_version_rejects_negative() -> None:
    with pytest.raises(boxes.BoxError):
        boxes.version_for(-1)


def test_bad_fourcc_and_nul_string() -> None:
    with pytest.raises(boxes.BoxError):
        boxes.box(b"abc")
    with pytest.raises(boxes.BoxError):
        boxes.cstring("a\x00b")


@given(st.lists(st.tuples(st.sampled_from([b"free", b"skip", b"udta"]), st.binary(max_size=40)),
                max_size=6))
def test_boxes_read_back(items: list[tuple[bytes, bytes]]) -> None:
    data = b"".join(boxes.box(kind, payload) for kind, payload in items)
    parsed = read_boxes(data)
    assert [(p.kind, p.payload) for p in parsed if p.kind != b"udta"] == [
        (k, v) for k, v in items if k != b"udta"]
    assert sum(p.size for p in parsed) == len(data)
