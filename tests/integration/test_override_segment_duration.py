"""OverrideSegmentDuration over SOAP (RC §5.24): faults, display, replacement, removal."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningRecorder
from tests.integration.helpers import client, expect_fault, recording_configuration
from tests.integration.test_recording_target import storage, target
from tests.onvif_client import validate_body

NO_RECORDING = ["Sender", "InvalidArgVal", "NoRecording"]
BAD_DURATION = ["Sender", "InvalidArgVal", "BadDuration"]


def _recording(recorder: RunningRecorder) -> tuple[Any, Any, str, dict[str, Any]]:
    trc, rec = client(recorder, "recording")
    configuration = recording_configuration(
        Target=target(storage(recorder), Format="MP4", Encryption=[]))
    token: str = trc.CreateRecording(RecordingConfiguration=configuration)
    return trc, rec, token, configuration


def test_override_faults(recorder: RunningRecorder) -> None:
    trc, rec, token, _ = _recording(recorder)
    expect_fault(trc.OverrideSegmentDuration, TargetSegmentDuration="PT1S", Expiration="PT1M",
                 RecordingConfiguration="nope", chain=NO_RECORDING, rec=rec)
    for duration, expiration in (("PT1S", "PT1H1S"), ("PT0S", "PT1M"), ("PT1S", "PT0S"),
                                 ("PT1S", "-PT1M")):
        expect_fault(trc.OverrideSegmentDuration, TargetSegmentDuration=duration,
                     Expiration=expiration, RecordingConfiguration=token, chain=BAD_DURATION,
                     rec=rec)
    assert trc.GetRecordingConfiguration(
        RecordingToken=token).Target.SegmentDurationOverride is None


def test_override_shown_replaced_and_removed(recorder: RunningRecorder) -> None:
    trc, rec, token, configuration = _recording(recorder)
    trc.OverrideSegmentDuration(TargetSegmentDuration="PT2S", Expiration="PT1H",
                                RecordingConfiguration=token)
    validate_body(rec.last)
    shown = trc.GetRecordingConfiguration(RecordingToken=token)
    validate_body(rec.last)
    override = shown.Target.SegmentDurationOverride
    assert _seconds(override.Duration) == 2
    assert 3590 <= _seconds(override.Expiration) <= 3600  # the time remaining (26.06)
    assert _seconds(shown.Target.SegmentDuration) == 10  # the configured value is kept
    trc.OverrideSegmentDuration(TargetSegmentDuration="PT3S", Expiration="PT60S",
                                RecordingConfiguration=token)
    override = trc.GetRecordingConfiguration(RecordingToken=token).Target.SegmentDurationOverride
    assert _seconds(override.Duration) == 3 and 55 <= _seconds(override.Expiration) <= 60
    listed = next(i for i in trc.GetRecordings() if i.RecordingToken == token)
    assert _seconds(listed.Configuration.Target.SegmentDurationOverride.Duration) == 3
    trc.SetRecordingConfiguration(RecordingToken=token, RecordingConfiguration=configuration)
    assert trc.GetRecordingConfiguration(
        RecordingToken=token).Target.SegmentDurationOverride is None
    listed = next(i for i in trc.GetRecordings() if i.RecordingToken == token)
    assert listed.Configuration.Target.SegmentDurationOverride is None


def _seconds(value: Any) -> float:
    """zeep reads xs:duration as a timedelta."""
    return float(value.total_seconds())
