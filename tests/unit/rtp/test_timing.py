"""Timestamp unwrapping and RTP → UTC mapping (RFC 3550 §4, §5.1, §6.4.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.rtp.timing import (
    ClockSource,
    TimestampUnwrapper,
    WallClock,
    ntp_short,
    ntp_to_unix,
    unix_to_ntp,
)


def test_unwrap_across_the_32_bit_wrap_and_backwards() -> None:
    unwrap = TimestampUnwrapper()
    assert unwrap.unwrap(0xFFFFF000) == 0xFFFFF000
    assert unwrap.unwrap(0x00000E10) == 0x1_00000E10
    assert unwrap.unwrap(0xFFFFFF00) == 0xFFFFFF00  # a B-frame slightly in the past
    assert unwrap.unwrap(0x00002000) == 0x1_00002000


@given(st.integers(0, 2**32 - 1), st.lists(st.integers(-(2**30), 2**30), max_size=50))
def test_unwrap_follows_any_walk_of_small_steps(start: int, steps: list[int]) -> None:
    unwrap = TimestampUnwrapper()
    position = start
    assert unwrap.unwrap(start) == start
    for step in steps:
        position += step
        assert unwrap.unwrap(position & 0xFFFFFFFF) == position


def test_ntp_conversions() -> None:
    # 2024-04-05T12:00:00Z
    ntp = unix_to_ntp(1712318400.5)
    assert ntp >> 32 == 1712318400 + 2208988800
    assert ntp_to_unix(ntp) == pytest.approx(1712318400.5)
    assert ntp_short(0x1122334455667788) == 0x33445566


def test_arrival_then_sender_report_mapping() -> None:
    clock = WallClock(90000)
    utc, source = clock.utc(1_000_000, arrival_utc=1700000000.0)
    assert (utc, source) == (1700000000.0, ClockSource.ARRIVAL)
    assert clock.utc(1_090_000, 1700000005.0) == (1700000001.0, ClockSource.ARRIVAL)
    clock.on_sender_report(1_000_000 + 45000, unix_to_ntp(1700000000.2))
    utc, source = clock.utc(1_090_000, 0.0)
    assert source is ClockSource.RTCP
    assert utc == pytest.approx(1700000000.7, abs=1e-6)


def test_play_range_is_used_until_the_first_sender_report() -> None:
    clock = WallClock(8000)
    clock.anchor_from_play(3450012, 1266417440.257)  # Range: clock=20100217T143720.257Z-
    utc, source = clock.utc(3450012 + 8000, 0.0)
    assert utc == pytest.approx(1266417441.257)
    assert source is ClockSource.RTSP_RANGE
    clock.on_sender_report(3450012, unix_to_ntp(1266417440.3))
    clock.anchor_from_play(0, 0.0)  # a later PLAY does not override RTCP
    assert clock.source is ClockSource.RTCP


def test_drift_between_sender_reports_and_zero_ntp_is_ignored() -> None:
    clock = WallClock(90000)
    clock.on_sender_report(0, unix_to_ntp(1000.0))
    clock.on_sender_report(90000 * 10, unix_to_ntp(1010.001))  # sender clock 100 ppm fast
    assert clock.drift == pytest.approx(0.001, abs=1e-6)
    clock.on_sender_report(90000 * 20, 0)  # ONVIF replay without rate control
    assert clock.sender_reports == 2
