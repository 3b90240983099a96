"""Sequence unwrapping, reorder window, loss and duplicates (RFC 3550 §A.1, §A.3)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.rtp.sequencer import Sequencer, seq_delta


def released(seqr: Sequencer[int], seqs: list[int]) -> list[int]:
    out: list[int] = []
    for seq in seqs:
        out += [r.extended_seq for r in seqr.push(seq, seq)]
    return out


def test_seq_delta_across_wrap() -> None:
    assert seq_delta(2, 65534) == 4
    assert seq_delta(65534, 2) == -4


def test_in_order_across_the_16_bit_wrap() -> None:
    seqr: Sequencer[int] = Sequencer()
    out = released(seqr, [65533, 65534, 65535, 0, 1])
    assert out == [65533, 65534, 65535, 65536, 65537]
    assert seqr.stats.expected == seqr.stats.received == 5
    assert seqr.stats.lost == 0


def test_reordered_packets_are_released_in_order() -> None:
    seqr: Sequencer[int] = Sequencer(window=4)
    assert released(seqr, [10, 12, 13]) == [10]
    assert released(seqr, [11]) == [11, 12, 13]
    assert seqr.stats.reordered == 1
    assert seqr.stats.lost == 0


def test_duplicates_are_counted_and_dropped() -> None:
    seqr: Sequencer[int] = Sequencer(window=4)
    assert released(seqr, [1, 2, 2, 1, 4, 4]) == [1, 2]
    assert seqr.stats.duplicates == 3
    assert seqr.stats.received == 3


def test_gap_is_declared_lost_once_the_window_is_full() -> None:
    seqr: Sequencer[int] = Sequencer(window=2)
    assert released(seqr, [1, 3, 4]) == [1]
    result = seqr.push(5, 5)
    assert [r.extended_seq for r in result] == [3, 4, 5]
    assert result[0].lost_before == 1
    assert seqr.stats.lost == 1
    # the lost packet turning up afterwards is late, not a duplicate
    assert released(seqr, [2]) == []
    assert seqr.stats.late == 1


def test_flush_releases_everything() -> None:
    seqr: Sequencer[int] = Sequencer(window=8)
    released(seqr, [1, 4, 5])
    assert [r.extended_seq for r in seqr.flush()] == [4, 5]
    assert seqr.stats.lost == 2


def test_big_jump_restarts_only_when_confirmed() -> None:
    seqr: Sequencer[int] = Sequencer(window=0)
    released(seqr, [100, 101])
    assert released(seqr, [40000]) == []  # one stray packet: dropped
    assert released(seqr, [102]) == [102]
    assert released(seqr, [50000, 50001]) == [(1 << 16) + 50001]
    assert seqr.stats.restarts == 1
    assert seqr.stats.base == (1 << 16) + 50001


def test_tcp_stream_with_window_zero_never_holds() -> None:
    seqr: Sequencer[int] = Sequencer(window=0)
    assert released(seqr, [5, 7, 8]) == [5, 7, 8]
    assert seqr.stats.lost == 1


@given(st.integers(0, 0xFFFF), st.integers(1, 300), st.randoms(use_true_random=False))
def test_shuffling_within_the_window_loses_nothing(start: int, count: int,
                                                  rnd: random.Random) -> None:
    order = list(range(count))
    # displace each packet by at most 8 positions; the first packet defines the start
    keyed = [0, *sorted(order[1:], key=lambda i: i + rnd.uniform(0, 8))]
    seqr: Sequencer[int] = Sequencer(window=16)
    out = released(seqr, [(start + i) & 0xFFFF for i in keyed])
    out += [r.extended_seq for r in seqr.flush()]
    assert out == [start + i for i in range(count)]
    assert seqr.stats.lost == seqr.stats.duplicates == 0


@given(st.lists(st.integers(0, 0xFFFF), max_size=200), st.integers(0, 32))
def test_output_is_strictly_increasing_for_any_input(seqs: list[int], window: int) -> None:
    seqr: Sequencer[int] = Sequencer(window=window)
    out = released(seqr, seqs) + [r.extended_seq for r in seqr.flush()]
    assert out == sorted(set(out))
    assert len(out) <= len(seqs)
