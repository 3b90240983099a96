"""A recorder started with ``--config``: the limits of its ``[limits]`` table are the ones
its clients see (capabilities) and meet (faults)."""

from __future__ import annotations

from pathlib import Path

import pytest
import zeep.exceptions

from tests.integration.recorder_process import RecorderProcess
from tests.onvif_client import fault_chain, onvif_service

PASSWORD = "Admin-Pass-1"


def test_limits_from_the_file_are_advertised_and_enforced(tmp_path: Path) -> None:
    config = tmp_path / "recorder.toml"
    config.write_text("[limits]\nmax_recordings = 2\nmax_pull_points = 3\n")
    with RecorderProcess(tmp_path / "data", admin_password=PASSWORD,
                         extra_args=("--config", str(config))) as process:
        recording = onvif_service("recording", process.service_url("recording"),
                                  username="admin", password=PASSWORD)
        events = onvif_service("events", process.service_url("event"),
                               username="admin", password=PASSWORD)
        assert recording.GetServiceCapabilities().MaxRecordings == 2
        assert events.GetServiceCapabilities().MaxPullPoints == 3
        source = {"SourceId": "urn:cam", "Name": "cam", "Location": "", "Description": "",
                  "Address": "rtsp://camera/"}
        configuration = {"Source": source, "Content": "", "MaximumRetentionTime": "PT0S"}
        for _ in range(2):
            recording.CreateRecording(RecordingConfiguration=configuration)
        with pytest.raises(zeep.exceptions.Fault) as third:
            recording.CreateRecording(RecordingConfiguration=configuration)
        assert fault_chain(third.value)[-1] == "MaxRecordings"
