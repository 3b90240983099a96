"""ParameterGuard: at most 3 parameter changes per 10 s start spans; more flag the stream
unstable until it has been quiet for 10 s (recording.parameter_guard)."""

from __future__ import annotations

import pytest

from onvif_recorder.recording.parameter_guard import ParameterGuard, unstable_reason

# (name, times of parameter changes, time asked, unstable after the changes, settled then)
CASES = [
    ("three changes in 10 s are fine", [0.0, 1.0, 2.0], 2.5, False, True),
    ("the fourth within 10 s flags it", [0.0, 1.0, 2.0, 3.0], 3.5, True, False),
    ("a change every 0.8 s (the reported storm)", [i * 0.8 for i in range(20)], 16.0, True,
     False),
    ("changes spread over more than 10 s", [0.0, 4.0, 8.0, 12.0, 16.0], 16.5, False, True),
    ("quiet for 10 s after the storm: settled", [0.0, 1.0, 2.0, 3.0], 13.0, True, True),
    ("not quite 10 s quiet", [0.0, 1.0, 2.0, 3.0], 12.9, True, False),
]


@pytest.mark.parametrize(("name", "changes", "now", "unstable", "settled"), CASES,
                         ids=[c[0] for c in CASES])
def test_admission(name: str, changes: list[float], now: float, unstable: bool,
                   settled: bool) -> None:
    guard = ParameterGuard()
    flagged = [guard.changed(t) for t in changes]
    assert guard.unstable is unstable
    assert flagged.count(True) == (1 if unstable else 0)  # said once, not per change
    assert guard.settled(now) is settled


def test_settling_starts_a_fresh_count() -> None:
    guard = ParameterGuard()
    for t in (0.0, 1.0, 2.0, 3.0):
        guard.changed(t)
    assert guard.settled(13.0)
    assert not any(guard.changed(t) for t in (13.0, 14.0, 15.0))
    assert guard.changed(16.0)


def test_reason_text() -> None:
    assert unstable_reason(4) == "Unstable stream: parameters changed 4 times in 10 s"
