"""Reconnect delays: capped exponential backoff with jitter (pure; MediaMTX's restart loop).

After the n-th consecutive failure the nominal delay is ``min(maximum, initial * factor**n)``;
the delay used is drawn from ``[nominal * (1 - jitter), nominal]`` so that receivers that
lost the same camera at the same moment do not all call back in step ("equal jitter" for
``jitter=0.5``). A connection that stayed up for ``stable_after`` seconds counts as a success
and resets the sequence, so a camera that drops us once a day is retried at once, while one
that accepts PLAY and drops us straight away is retried ever more slowly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5
    """Fraction of the nominal delay that is randomised away (0: none, 1: full jitter)."""
    stable_after: float = 10.0
    """Seconds a connection must last for the next failure to start again at ``initial``."""

    def __post_init__(self) -> None:
        if not (0 < self.initial <= self.maximum and 1 <= self.factor <= 10
                and 0 <= self.jitter <= 1):
            raise ValueError(f"inconsistent backoff policy {self}")


class Backoff:
    """The delay sequence of one receiver."""

    def __init__(self, policy: BackoffPolicy, rng: Callable[[], float] = random.random) -> None:
        self.policy = policy
        self.failures = 0
        self._rng = rng

    def nominal(self) -> float:
        p = self.policy
        # The exponent is capped so that factor**failures cannot overflow a float.
        return min(p.maximum, p.initial * p.factor ** min(self.failures, 64))

    def next_delay(self, connected_for: float | None) -> float:
        """The wait before the next attempt, after an attempt that was connected for
        ``connected_for`` seconds (None: it never connected)."""
        if connected_for is not None and connected_for >= self.policy.stable_after:
            self.failures = 0
        nominal = self.nominal()
        self.failures += 1
        return nominal * (1 - self.policy.jitter * self._rng())
