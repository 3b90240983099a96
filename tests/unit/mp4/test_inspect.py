"""The box-tree dumper on truncated, odd and file inputs."""

from __future__ import annotations

from onvif_recorder.mp4.boxes import box
from onvif_recorder.mp4.inspect import dump, dump_bytes, read_boxes


def test_truncated_box_is_reported_not_raised() -> None:
    data = box(b"free", b"x" * 10) + box(b"moof", b"y" * 40)[:20]
    boxes = read_boxes(data)
    assert boxes[-1].truncated
    assert "[moof] size=48 TRUNCATED (20 bytes present)" in dump_bytes(data)


def test_undecodable_fields_are_reported() -> None:
    assert "undecodable" in dump_bytes(box(b"mvhd", b"\x00"))


def test_dump_takes_any_bytes_like() -> None:
    data = box(b"free", b"")
    assert dump(data) == dump(bytearray(data)) == dump(memoryview(data)) == "[free] size=8\n"
