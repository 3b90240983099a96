"""Helpers of the web page tests: log in over HTTP, the CSRF token of a page, a recording
with a job made through the services (as SOAP would)."""

from __future__ import annotations

import re

import requests

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import JobMode, JobSource, RecordingJobConfiguration, SourceReference
from onvif_recorder.domain.recording import RecordingConfiguration, RecordingSource
from onvif_recorder.domain.users import User, UserLevel
from tests.conftest import RunningRecorder

RECEIVER_SOURCE = "http://www.onvif.org/ver10/schema/Receiver"
PASSWORDS = {"operator": "Operator-Pass-1", "viewer": "Viewer-Pass-1"}


def add_users(recorder: RunningRecorder) -> None:
    """``operator`` (Operator) and ``viewer`` (User)."""
    recorder.in_loop(lambda: recorder.services.users.create_users([
        User("operator", PASSWORDS["operator"], UserLevel.OPERATOR),
        User("viewer", PASSWORDS["viewer"], UserLevel.USER)]))


def log_in(url: str, username: str, password: str) -> tuple[requests.Session, str]:
    """A logged-in HTTP session and its CSRF token (from the recordings page)."""
    session = requests.Session()
    answer = session.post(f"{url}/login", data={"username": username, "password": password},
                          allow_redirects=False, timeout=5)
    assert answer.status_code == 303, answer.text
    return session, csrf_of(session.get(f"{url}/", timeout=5).text)


def csrf_of(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert found is not None, page
    return found.group(1)


def recording_with_job(recorder: RunningRecorder, name: str = "Door") -> tuple[str, str]:
    """A recording and an Idle job with an auto-created receiver: (recording, job)."""
    services = recorder.services

    def create() -> tuple[str, str]:
        source = RecordingSource("urn:test", name, "", "", "")
        recording = services.recordings.create_recording(
            RecordingConfiguration(source, "", XsDuration.parse("PT0S")))
        job = services.jobs.create_job(RecordingJobConfiguration(
            recording.token, JobMode.IDLE, 1,
            (JobSource(SourceReference("", RECEIVER_SOURCE), auto_create_receiver=True),)))
        return recording.token, job.token

    return recorder.in_loop(create)
