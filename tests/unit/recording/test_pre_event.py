"""PreEventBuffer: holds ``before`` + one GOP per stream, hands over from the sync sample
at or before the start, in arrival order, within its byte bound."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onvif_recorder.recording.pre_event import PreEventBuffer

VIDEO, META = 0, 1
Sample = tuple[int, float, bool, int]
"""(stream, time, sync, size); the item pushed is the sample's index."""


def video(seconds: float, gop: int = 25, fps: int = 25, size: int = 10) -> list[Sample]:
    return [(VIDEO, n / fps, n % gop == 0, size) for n in range(int(seconds * fps))]


def fill(buffer: PreEventBuffer[int], samples: list[Sample]) -> None:
    for index, (stream, time, sync, size) in enumerate(samples):
        buffer.push(stream, time, sync, size, index)


@pytest.mark.parametrize(("before", "seconds", "start", "first_time", "count"), [
    # 10 s of 25 fps, a sync sample every second: newest 9.96 s
    (2.0, 10.0, None, 7.0, 75),       # newest - 2 = 7.96: from the sync at 7 s
    (2.0, 10.0, 8.0, 8.0, 50),        # a start exactly on a sync sample
    (2.0, 10.0, 8.5, 8.0, 50),        # the sync sample before the start
    (2.0, 10.0, 3.0, 7.0, 75),        # before the buffer's reach: its oldest sample
    (0.0, 10.0, None, 9.0, 25),       # Before 0: the current GOP
    (30.0, 10.0, None, 0.0, 250),     # nothing old enough to drop yet
    (2.0, 0.5, None, 0.0, 12),        # less than a GOP so far
])
def test_take_starts_at_the_sync_sample_at_or_before_the_start(
        before: float, seconds: float, start: float | None, first_time: float,
        count: int) -> None:
    buffer: PreEventBuffer[int] = PreEventBuffer(before, 1 << 30)
    samples = video(seconds)
    fill(buffer, samples)
    taken = buffer.take(start)
    assert len(taken) == count
    assert samples[taken[0]][1] == pytest.approx(first_time)
    assert samples[taken[0]][2]  # a sync sample
    assert taken == list(range(taken[0], len(samples)))  # everything after, in order
    assert len(buffer) == 0 and buffer.bytes == 0


def test_it_holds_before_plus_one_gop_and_no_more() -> None:
    buffer: PreEventBuffer[int] = PreEventBuffer(3.0, 1 << 30)
    for step in range(1, 40):
        fill(buffer, video(step))
        assert len(buffer) <= (3 + 1) * 25
        buffer.clear()
    fill(buffer, video(20))  # newest 19.96: keep from the sync at 16 s
    assert len(buffer) == 100 and buffer.bytes == 1000


def test_leading_non_sync_samples_are_not_held() -> None:
    buffer: PreEventBuffer[int] = PreEventBuffer(2.0, 1 << 30)
    fill(buffer, [(VIDEO, 0.0, False, 5), (VIDEO, 0.04, False, 5), (VIDEO, 0.08, True, 5)])
    assert buffer.take() == [2]


def test_streams_are_merged_in_arrival_order() -> None:
    buffer: PreEventBuffer[int] = PreEventBuffer(1.0, 1 << 30)
    samples: list[Sample] = []
    for n in range(100):  # video at 25 fps, a metadata document (all sync) every second
        samples.append((VIDEO, n / 25, n % 25 == 0, 10))
        if n % 25 == 3:
            samples.append((META, n / 25, True, 100))
    fill(buffer, samples)
    taken = buffer.take(2.5)
    assert taken == sorted(taken)
    assert {samples[i][0] for i in taken} == {VIDEO, META}
    assert samples[taken[0]][1] == 2.0 or samples[taken[0]][1] == pytest.approx(2.12)
    meta_times = [samples[i][1] for i in taken if samples[i][0] == META]
    assert meta_times[0] == pytest.approx(2.12)  # the document at or before 2.5 s


def test_the_byte_bound_drops_the_oldest_gops() -> None:
    buffer: PreEventBuffer[int] = PreEventBuffer(30.0, 25 * 10 * 3)  # three GOPs of bytes
    samples = video(10)
    fill(buffer, samples)
    assert buffer.bytes <= 750
    taken = buffer.take()
    assert samples[taken[0]][1] == pytest.approx(7.0) and len(taken) == 75
    assert buffer.dropped == 175


def test_a_single_gop_over_the_bound_is_dropped_until_the_next_sync_sample() -> None:
    buffer: PreEventBuffer[int] = PreEventBuffer(30.0, 100)
    samples = video(2.5)  # 25 samples of 10 bytes per GOP: each GOP is over 100 bytes
    fill(buffer, samples)
    assert buffer.bytes <= 100
    taken = buffer.take()
    assert not taken or samples[taken[0]][2]


def test_clear_forgets_the_old_session() -> None:
    buffer: PreEventBuffer[int] = PreEventBuffer(2.0, 1 << 30)
    fill(buffer, video(3))
    buffer.clear()
    assert buffer.take() == [] and buffer.newest is None


def test_retime_moves_a_stream_onto_a_new_mapping() -> None:
    buffer: PreEventBuffer[int] = PreEventBuffer(2.0, 1 << 30)
    samples = video(3)
    fill(buffer, samples)
    buffer.push(META, 2.5, True, 7, 1000)
    buffer.retime(VIDEO, lambda index: (samples[index][1] - 1.5, index + 10_000))
    assert buffer.bytes == 75 * 10 + 7  # the same samples, nothing lost
    taken = buffer.take(0.5 - 1.5)  # on the new mapping the sync sample at 0 s is at -1.5
    assert taken[0] == 10_000 and 1000 in taken
    assert [i for i in taken if i != 1000] == [10_000 + n for n in range(75)]


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        PreEventBuffer(-1.0, 10)
    with pytest.raises(ValueError):
        PreEventBuffer(1.0, 0)


streams = st.lists(st.tuples(st.sampled_from([VIDEO, META]),
                             st.floats(0.0, 0.2), st.booleans(),
                             st.integers(1, 50)), max_size=300)


@settings(max_examples=200, deadline=None)
@given(streams, st.floats(0.0, 5.0), st.integers(1, 2000), st.floats(-1.0, 30.0))
def test_invariants(steps: list[tuple[int, float, bool, int]], before: float,
                    max_bytes: int, start: float) -> None:
    """Whatever arrives: within the bound, the taken items are in arrival order, each
    stream's are everything it sent from a sync sample on, and that sync sample is the
    latest one at or before the cut (``start`` or ``newest - before``, the later)."""
    buffer: PreEventBuffer[int] = PreEventBuffer(before, max_bytes)
    samples: list[Sample] = []
    now = 0.0
    for stream, step, sync, size in steps:
        now += step
        samples.append((stream, now, sync, size))
        buffer.push(stream, now, sync, size, len(samples) - 1)
        assert buffer.bytes <= max_bytes
    taken = buffer.take(start)
    assert taken == sorted(taken)
    for stream in (VIDEO, META):
        mine = [i for i in taken if samples[i][0] == stream]
        if not mine:
            continue
        assert samples[mine[0]][2]
        later = [i for i, s in enumerate(samples) if s[0] == stream and i >= mine[0]]
        assert mine == later  # nothing missing after the first taken sample
        cutoff = max(start, max(s[1] for s in samples) - before)
        assert not [i for i in mine[1:] if samples[i][2] and samples[i][1] <= cutoff]
