"""OverrideSegmentDuration state on a fake clock (RC §5.24) and its effect on plans."""

from __future__ import annotations

import pytest

from onvif_recorder.domain import errors
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.recording import (
    Recording,
    RecordingConfiguration,
    RecordingSource,
    RecordingTarget,
)
from onvif_recorder.recording.plan import key_part, recording_plan
from onvif_recorder.service.overrides import SegmentOverrides

D = XsDuration.parse


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def recording() -> Recording:
    target = RecordingTarget("Storage_1", "MP4", D("PT60S"))
    source = RecordingSource("id", "n", "l", "d", "a")
    return Recording("Recording_1", RecordingConfiguration(source, "", D("PT0S"), target))


def test_override_lasts_its_expiration_and_shows_the_time_remaining() -> None:
    clock = Clock()
    overrides = SegmentOverrides(clock)
    changes: list[int] = []
    overrides.observers.append(lambda: changes.append(overrides.version))
    overrides.set("Recording_1", D("PT2S"), D("PT30S"))
    shown = overrides.shown("Recording_1")
    assert shown is not None and shown.duration.lexical == "PT2S"
    assert shown.expiration.seconds == 30
    clock.now += 10.5
    shown = overrides.shown("Recording_1")
    assert shown is not None and shown.expiration.seconds == 20
    assert recording_plan(recording(), [], 10.0, None, overrides).segment_duration == 2.0
    clock.now += 20
    assert overrides.shown("Recording_1") is None
    assert recording_plan(recording(), [], 10.0, None, overrides).segment_duration == 60.0
    assert overrides.expire() and not overrides.expire()
    assert changes == [1, 2]


def test_a_newer_request_replaces_the_older_and_clear_removes_it() -> None:
    clock = Clock()
    overrides = SegmentOverrides(clock)
    first = overrides.set("Recording_1", D("PT2S"), D("PT1H"))
    second = overrides.set("Recording_1", D("PT3S"), D("PT10S"))
    assert second.serial != first.serial
    assert overrides.active("Recording_1") == second
    plan = recording_plan(recording(), [], 10.0, None, overrides)
    assert (plan.segment_duration, plan.override) == (3.0, second.serial)
    overrides.clear("Recording_1")
    assert recording_plan(recording(), [], 10.0, None, overrides).override == 0


@pytest.mark.parametrize(("duration", "expiration"), [
    ("PT0S", "PT1M"), ("-PT1S", "PT1M"), ("PT1S", "PT0S"), ("PT1S", "PT1H0.001S"),
    ("PT1S", "P1D"),
])
def test_bad_durations(duration: str, expiration: str) -> None:
    with pytest.raises(errors.BadDuration):
        SegmentOverrides(Clock()).set("Recording_1", D(duration), D(expiration))



@pytest.mark.parametrize(("written", "used"), [
    ("/site-a//cam-1/", "site-a/cam-1"), ("x/", "x"), ("", ""), (None, "")])
def test_prefix_and_postfix_make_no_empty_key_segments(written: str | None, used: str) -> None:
    assert key_part(written) == used
