"""``onvif-recorder status`` read from the data directory of a running recorder (no
``--url``: states are said to be unknown), as text and as JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from onvif_recorder.cli import main
from tests.conftest import RunningRecorder
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import configure_receiver


def configure(recorder: RunningRecorder) -> tuple[str, str, str]:
    trc, _ = client(recorder, "recording")
    trv, _ = client(recorder, "receiver")
    token = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(token))
    receiver = job.JobConfiguration.Source[0].SourceToken.Token
    configure_receiver(trv, receiver, "rtsp://user:secret@192.0.2.7/stream")
    return token, job.JobToken, receiver


def test_status_json(recorder: RunningRecorder, capsys: pytest.CaptureFixture[str]) -> None:
    token, job, receiver = configure(recorder)
    assert main(["status", "--data-dir", str(recorder.data_dir), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["live"] is False
    [recording] = status["recordings"]
    assert recording["token"] == token and recording["name"] == "CameraName"
    assert recording["target"] == "local" and recording["segments"] == 0
    assert len(recording["tracks"]) == 3  # RC §5.3: the default tracks
    assert status["jobs"] == [{"token": job, "recording": token, "mode": "Idle", "priority": 1,
                               "receivers": [receiver],
                               "state": "unknown (recorder not asked: give --url)"}]
    [stored] = status["receivers"]
    assert stored["media_uri"] == "rtsp://192.0.2.7/stream"  # no credentials shown
    roots = {root["name"]: root for root in status["roots"]}
    assert set(roots) == {"media", "spool"}
    free = shutil.disk_usage(recorder.data_dir).free
    assert abs(roots["media"]["free_bytes"] - free) < 64 * 1024**2
    assert roots["media"]["used_bytes"] == 0 and roots["spool"]["used_bytes"] == 0
    assert status["spool"] == []


def test_status_text(recorder: RunningRecorder, capsys: pytest.CaptureFixture[str]) -> None:
    token, job, receiver = configure(recorder)
    assert main(["status", "--data-dir", str(recorder.data_dir)]) == 0
    text = capsys.readouterr().out
    assert "recordings: 1" in text and f"  {token} 'CameraName'" in text
    assert f"  {job} recording {token} mode Idle priority 1 receivers {receiver}" in text
    assert f"  {receiver} AutoConnect rtsp://192.0.2.7/stream" in text
    assert "secret" not in text
    assert "give --url" in text
    assert f"  media {recorder.data_dir / 'media'}: 0 B recorder data, " in text
    assert " free of " in text
    assert "no object-storage uploads yet" in text


def test_status_of_an_empty_directory(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--data-dir", str(tmp_path / "none"), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["recordings"] == [] and status["jobs"] == [] and status["spool"] == []


def test_status_url_that_does_not_answer(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--data-dir", str(tmp_path), "--url", "http://127.0.0.1:9"]) == 1
    assert "cannot read http://127.0.0.1:9/metrics" in capsys.readouterr().err
