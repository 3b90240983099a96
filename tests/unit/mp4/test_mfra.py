"""Random-access index (14496-12 §8.8.9-§8.8.11) and the B.9.2 seek table."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.mp4.inspect import dump_bytes, find_all, read_boxes
from onvif_recorder.mp4.mfra import RandomAccessEntry, condense, encode_mfra


def test_mfra_ends_with_its_own_size() -> None:
    data = encode_mfra({1: [RandomAccessEntry(0, 100), RandomAccessEntry(90000, 5000)],
                        2: []})
    assert int.from_bytes(data[-4:], "big") == len(data)
    boxes = read_boxes(data)
    assert [b.name for b in boxes[0].children] == ["tfra", "tfra", "mfro"]
    text = dump_bytes(data)
    assert "entry[1] time=90000 moof_offset=5000 traf=1 trun=1 sample=1" in text
    assert "track_ID=2 number_of_entry=0" in text


def test_tfra_widths_and_version_follow_values() -> None:
    data = encode_mfra({1: [RandomAccessEntry(1 << 33, 1 << 32, 300, 1, 70000)]})
    text = dump_bytes(data)
    assert "version=1" in text
    assert f"entry[0] time={1 << 33} moof_offset={1 << 32} traf=300 trun=1 sample=70000" in text


def test_seek_table_without_mfro() -> None:
    data = encode_mfra({1: [RandomAccessEntry(0, 10)]}, with_mfro=False)
    assert not find_all(read_boxes(data), "mfra/mfro")
    assert base64.b64decode(base64.b64encode(data)) == data


@given(st.dictionaries(st.integers(1, 4), st.integers(0, 200), min_size=1, max_size=4))
def test_condense_keeps_first_entries_and_bound(counts: dict[int, int]) -> None:
    entries = {track: [RandomAccessEntry(i * 1000, i * 10) for i in range(count)]
               for track, count in counts.items()}
    small = condense(entries)
    assert sum(len(rows) for rows in small.values()) <= 20
    for track, rows in entries.items():
        if rows:
            assert small[track][0] == rows[0]
            assert small[track] == sorted(small[track], key=lambda e: e.time)
