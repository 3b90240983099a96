"""Who may read ``/metrics``: anyone by default; with ``[metrics] require_auth`` a recorder
user of any level, by HTTP Basic (Prometheus ``basic_auth``) or HTTP Digest."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from onvif_recorder.app import build_app, build_services
from onvif_recorder.domain.users import User, UserLevel
from onvif_recorder.settings import RecorderSettings
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, RunningRecorder, _ServerThread
from tests.integration.helpers import client, recording_configuration


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[str]:
    settings = dataclasses.replace(RecorderSettings(data_dir=tmp_path / "data"),
                                   metrics_require_auth=True)
    services = build_services(settings)
    services.users.ensure_initial_administrator(ADMIN_USER, ADMIN_PASSWORD)
    services.users.create_users([User("viewer", "Viewer-Pass-1", UserLevel.USER)])
    thread = _ServerThread(build_app(settings, services))
    thread.start()
    assert thread.ready.wait(10)
    yield f"http://127.0.0.1:{thread.port}/metrics"
    thread.stop()


def names(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


def test_anonymous_by_default(recorder: RunningRecorder) -> None:
    trc, _ = client(recorder, "recording")
    trc.CreateRecording(RecordingConfiguration=recording_configuration())
    answer = requests.get(f"{recorder.url}/metrics", timeout=5)
    assert answer.status_code == 200
    found = names(answer.text)
    assert {"onvif_recorder_recordings", "onvif_recorder_soap_requests",
            "onvif_recorder_soap_request_duration_seconds", "onvif_recorder_jobs",
            "onvif_recorder_receivers", "onvif_recorder_event_notifications_dropped",
            "onvif_recorder_process_cpu_seconds"} <= found
    assert all(name.startswith("onvif_recorder_") for name in found)
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert families["onvif_recorder_recordings"].samples[0].value == 1


def test_require_auth_refuses_anonymous_and_wrong_passwords(guarded: str) -> None:
    anonymous = requests.get(guarded, timeout=5)
    assert anonymous.status_code == 401
    challenges = anonymous.headers["WWW-Authenticate"]
    assert "Basic" in challenges and "Digest" in challenges
    wrong = requests.get(guarded, auth=("viewer", "not-it"), timeout=5)
    assert wrong.status_code == 401
    unknown = requests.get(guarded, auth=("nobody", "Viewer-Pass-1"), timeout=5)
    assert unknown.status_code == 401


def test_require_auth_accepts_a_user_by_basic_or_digest(guarded: str) -> None:
    basic = requests.get(guarded, auth=("viewer", "Viewer-Pass-1"), timeout=5)
    assert basic.status_code == 200
    assert "onvif_recorder_jobs" in names(basic.text)
    digest = requests.get(guarded, auth=requests.auth.HTTPDigestAuth(ADMIN_USER, ADMIN_PASSWORD),
                          timeout=5)
    assert digest.status_code == 200
    assert "onvif_recorder_receivers" in names(digest.text)
