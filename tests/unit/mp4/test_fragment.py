"""Movie fragments (14496-12 §8.8.4-§8.8.12): offsets, versions, defaults, round trips."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from onvif_recorder.mp4.fields import FieldReader
from onvif_recorder.mp4.fragment import (
    FragmentSample,
    ProducerReference,
    TrackRun,
    encode_fragment,
)
from onvif_recorder.mp4.inspect import ParsedBox, dump_bytes, find, read_boxes
from tests.unit.mp4.golden import assert_golden


def _run(track_id: int, decode_time: int, sizes: list[int], durations: list[int],
         syncs: list[bool], offsets: list[int] | None = None) -> TrackRun:
    offsets = offsets or [0] * len(sizes)
    samples = [FragmentSample(bytes([track_id]) * size, duration, sync, offset)
               for size, duration, sync, offset in zip(sizes, durations, syncs, offsets,
                                                       strict=True)]
    return TrackRun(track_id, decode_time, samples)


def _trun_samples(traf: ParsedBox, data: bytes, moof_offset: int) -> list[bytes]:
    """Read a traf's sample bytes back through tfhd defaults and trun fields."""
    trun = find(traf.children, "trun")
    assert trun is not None
    reader = FieldReader(trun.payload)
    _version, flags = reader.full()
    count, offset = reader.uint(4), reader.sint(4)
    if flags & 0x4:
        reader.uint(4)
    position, out = moof_offset + offset, []
    for _ in range(count):
        fields = [reader.uint(4) for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit]
        size = fields[1 if flags & 0x100 else 0]
        out.append(data[position : position + size])
        position += size
    return out


def test_two_track_fragment_golden() -> None:
    video = _run(1, 0, [5, 3, 4], [3600, 3600, 3600], [True, False, False])
    audio = _run(2, 0, [2, 2], [1024, 1000], [True, True])
    fragment = encode_fragment(7, [video, audio], ProducerReference(1, 0xE6F1A5A78B439581, 0))
    assert_golden("fragment_two_tracks", dump_bytes(fragment.data))
    assert fragment.data[fragment.moof_offset + 4 : fragment.moof_offset + 8] == b"moof"
    assert fragment.traf_numbers == {1: 1, 2: 2}


def test_data_offsets_point_at_each_tracks_samples() -> None:
    runs = [_run(1, 0, [5, 3], [1, 1], [True, False]), _run(2, 9, [7], [2], [True])]
    fragment = encode_fragment(1, runs)
    boxes = read_boxes(fragment.data)
    moof = boxes[0]
    trafs = moof.find_all("traf")
    assert _trun_samples(trafs[0], fragment.data, moof.offset) == [b"\x01" * 5, b"\x01" * 3]
    assert _trun_samples(trafs[1], fragment.data, moof.offset) == [b"\x02" * 7]
    assert [b.name for b in boxes] == ["moof", "mdat"]


def test_tfdt_and_trun_versions_follow_values() -> None:
    fragment = encode_fragment(1, [_run(1, 1 << 33, [1, 1], [5, 5], [True, False], [0, -2])])
    text = dump_bytes(fragment.data)
    assert "baseMediaDecodeTime=8589934592" in text
    tfdt = find(read_boxes(fragment.data), "moof/traf/tfdt")
    trun = find(read_boxes(fragment.data), "moof/traf/trun")
    assert tfdt is not None and tfdt.payload[0] == 1
    assert trun is not None and trun.payload[0] == 1 and "cto=-2" in text


def test_uniform_durations_go_to_tfhd() -> None:
    text = dump_bytes(encode_fragment(1, [_run(1, 0, [1, 1], [3600, 3600],
                                               [True, False])]).data)
    assert "default_sample_duration=3600" in text and "] duration=" not in text
    assert "first_sample_flags=02000000" in text


def test_mixed_sync_flags_written_per_sample() -> None:
    text = dump_bytes(encode_fragment(1, [_run(1, 0, [1, 1, 1], [1, 2, 3],
                                               [False, True, False])]).data)
    assert "flags=02000000" in text and "flags=01010000" in text


def test_tracks_without_samples_get_no_traf() -> None:
    fragment = encode_fragment(1, [_run(1, 0, [1], [1], [True]), TrackRun(2, 0, [])])
    assert len(read_boxes(fragment.data)[0].find_all("traf")) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(1, 300), st.integers(1, 5000), st.booleans()),
                         min_size=1, max_size=12), min_size=1, max_size=3),
       st.integers(0, 1 << 40))
def test_random_fragments_read_back(tracks: list[list[tuple[int, int, bool]]],
                                    decode_time: int) -> None:
    runs = [_run(index + 1, decode_time, [s for s, _, _ in rows], [d for _, d, _ in rows],
                 [k for _, _, k in rows]) for index, rows in enumerate(tracks)]
    fragment = encode_fragment(3, runs)
    boxes = read_boxes(fragment.data)
    mdat = boxes[1]
    assert mdat.size == 8 + sum(len(s.data) for run in runs for s in run.samples)
    for run, traf in zip(runs, boxes[0].find_all("traf"), strict=True):
        assert _trun_samples(traf, fragment.data, 0) == [s.data for s in run.samples]
