"""Reconnect delays: doubling, capped, jittered, reset after a stable connection."""

from __future__ import annotations

import pytest

from onvif_recorder.ingest.backoff import Backoff, BackoffPolicy

POLICY = BackoffPolicy(initial=0.5, maximum=4.0, factor=2.0, jitter=0.5, stable_after=10.0)


def test_delays_double_up_to_the_cap_without_jitter() -> None:
    backoff = Backoff(POLICY, rng=lambda: 0.0)
    assert [backoff.next_delay(None) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_jitter_takes_at_most_its_fraction_off() -> None:
    assert Backoff(POLICY, rng=lambda: 0.999999).next_delay(None) == pytest.approx(0.25, abs=1e-6)
    high = Backoff(BackoffPolicy(initial=1, maximum=1, jitter=1.0), rng=lambda: 0.5)
    assert high.next_delay(None) == 0.5


def test_a_stable_connection_resets_the_sequence() -> None:
    backoff = Backoff(POLICY, rng=lambda: 0.0)
    for _ in range(4):
        backoff.next_delay(None)
    assert backoff.next_delay(9.9) == 4.0  # short-lived: keeps backing off
    assert backoff.next_delay(10.0) == 0.5
    assert backoff.next_delay(None) == 1.0


def test_many_failures_do_not_overflow() -> None:
    backoff = Backoff(BackoffPolicy(initial=1, maximum=60, factor=10), rng=lambda: 0.0)
    for _ in range(2000):
        assert backoff.next_delay(None) <= 60


@pytest.mark.parametrize("bad", [dict(initial=0), dict(initial=5, maximum=1), dict(factor=0.5),
                                 dict(jitter=1.5), dict(factor=100)])
def test_inconsistent_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BackoffPolicy(**bad)
