"""RecordingInformation from the configuration and the recorded ranges (Search §5.3,
§5.5; TS-SEARCH 2-1-4): tracks without data are left out, Earliest/Latest are the track
extremes, and the status says whether the recording is still being written."""

from __future__ import annotations

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.recording import (
    Recording,
    RecordingConfiguration,
    RecordingSource,
    Track,
    TrackConfiguration,
    TrackType,
)
from onvif_recorder.service.search.information import RecordingStatus, recording_information
from onvif_recorder.service.search.recorded import RecordedRange

RECORDING = Recording("R", RecordingConfiguration(
    RecordingSource("urn:cam1", "Door", "Hall", "", ""), "", XsDuration.parse("PT0S")), (
    Track("V", TrackConfiguration(TrackType.VIDEO, "video")),
    Track("M", TrackConfiguration(TrackType.METADATA, "metadata"))))


def test_tracks_with_data_only_and_latest_is_the_last_data() -> None:
    info = recording_information(RECORDING, {"V": [RecordedRange(10, 20),
                                                   RecordedRange(30, 40)]}, False)
    assert [t.token for t in info.tracks] == ["V"]
    assert (info.earliest, info.latest) == (10, 40)
    assert info.status is RecordingStatus.STOPPED


def test_initiated_before_any_data_recording_while_a_job_writes() -> None:
    assert recording_information(RECORDING, {}, False).status is RecordingStatus.INITIATED
    assert recording_information(RECORDING, {}, True).status is RecordingStatus.RECORDING
    closed = {"V": [RecordedRange(10, 20)]}
    assert recording_information(RECORDING, closed, True).status is RecordingStatus.RECORDING


def test_still_recording_while_a_segment_is_open_after_the_job_stopped() -> None:
    """The job was set Idle but its last segment is not finished: LatestRecording is not
    final yet, so the recording is not Stopped (§5.3: the job is still executing it)."""
    open_range = {"V": [RecordedRange(10, 20), RecordedRange(30, 31, open=True)]}
    info = recording_information(RECORDING, open_range, False)
    assert info.status is RecordingStatus.RECORDING
