"""The operator's side against a real recorder process and the test camera: ``/metrics``
parsed with prometheus_client's own parser, JSON logs, and ``onvif-recorder status``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recorder_process import RecorderProcess, free_port
from tests.integration.recording_support import configure_receiver, wait_until

pytestmark = pytest.mark.slow
GET_RECORDINGS = (
    b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
    b'<trc:GetRecordings xmlns:trc="http://www.onvif.org/ver10/recording/wsdl"/>'
    b"</env:Body></env:Envelope>")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    answer = requests.get(f"{url}/metrics", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        assert family.name.startswith("onvif_recorder_"), family.name
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@contextmanager
def recording(tmp_path: Path, *args: str) -> Iterator[tuple[RecorderProcess, str, str, str]]:
    """A recorder process recording the test camera: (recorder, recording, job, receiver)."""
    with Camera() as camera, RecorderProcess(
            tmp_path / "data",
            extra_args=("--segment-duration", "1", *own_rtsp_port(args), *args),
            separate_stderr=True) as recorder:
        trc, _ = client(recorder, "recording")  # type: ignore[arg-type]
        trv, _ = client(recorder, "receiver")  # type: ignore[arg-type]
        token = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(token))
        receiver = job.JobConfiguration.Source[0].SourceToken.Token
        configure_receiver(trv, receiver, camera.url("/av"))
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        assert wait_until(lambda: str(trc.GetRecordingJobState(
            JobToken=job.JobToken).State) == "Active", 10.0), recorder.log_tail()
        yield recorder, token, job.JobToken, receiver


def own_rtsp_port(args: tuple[str, ...]) -> tuple[str, ...]:
    """A free port for the replay RTSP server, unless the test names one."""
    return () if "--rtsp-listen" in args else ("--rtsp-listen", f"127.0.0.1:{free_port()}")


def test_metrics_move_while_the_camera_records(tmp_path: Path) -> None:
    rtsp = free_port()
    with recording(tmp_path, "--rtsp-listen", f"127.0.0.1:{rtsp}") as (
            recorder, token, job, receiver):
        first = scrape(recorder.url)
        time.sleep(2.5)
        with socket.create_connection(("127.0.0.1", rtsp), timeout=5):
            assert wait_until(lambda: value(scrape(recorder.url),
                                            "onvif_recorder_replay_connections") == 1, 5.0)
        second = scrape(recorder.url)
        status = run_status("--data-dir", str(tmp_path / "data"), "--url", recorder.url,
                            "--json")
    for name, label, key in (
            ("onvif_recorder_receiver_rtp_packets_received_total", "receiver", receiver),
            ("onvif_recorder_receiver_samples_received_total", "receiver", receiver),
            ("onvif_recorder_recording_samples_written_total", "recording", token),
            ("onvif_recorder_recording_bytes_written_total", "recording", token)):
        before, after = value(first, name, **{label: key}), value(second, name, **{label: key})
        assert 0 < before < after, (name, before, after)
    assert value(second, "onvif_recorder_recording_segments_written_total", recording=token) >= 1
    assert value(second, "onvif_recorder_receiver_rtp_packets_lost_total", receiver=receiver) == 0
    assert value(second, "onvif_recorder_receivers", state="Connected") == 1
    assert value(second, "onvif_recorder_receivers", state="NotConnected") == 0
    assert value(second, "onvif_recorder_jobs", state="Active") == 1
    assert value(second, "onvif_recorder_job_state", job=job, state="Active") == 1
    assert value(second, "onvif_recorder_job_state", job=job, state="Idle") == 0
    ok = {"service": "recording_service", "operation": "CreateRecording", "outcome": "ok"}
    assert value(second, "onvif_recorder_soap_requests_total", **ok) == 1
    count = "onvif_recorder_soap_request_duration_seconds_count"
    assert value(second, count, service="recording_service", operation="CreateRecording") == 1
    assert value(second, "onvif_recorder_pull_point_subscriptions") == 0
    assert value(second, "onvif_recorder_search_sessions") == 0
    assert value(first, "onvif_recorder_replay_connections") == 0
    assert value(second, "onvif_recorder_process_resident_memory_bytes") > 0
    assert value(second, "onvif_recorder_process_cpu_seconds_total") > 0
    assert status["live"] is True
    [stored] = status["recordings"]
    assert stored["token"] == token and stored["segments"] >= 1
    assert stored["last_utc"] > stored["first_utc"]
    media = next(root for root in status["roots"] if root["name"] == "media")
    assert media["used_bytes"] == stored["bytes_stored"] > 0
    assert [(j["token"], j["state"]) for j in status["jobs"]] == [(job, "Active")]
    assert [(r["token"], r["state"]) for r in status["receivers"]] == [(receiver, "Connected")]
    assert [w["number"] for w in status["workers"]] == ["0"]  # one recording: one worker
    assert all(w["cpu_seconds"] > 0 and w["restarts"] == 0 for w in status["workers"])


def test_json_logs_one_object_per_line(tmp_path: Path) -> None:
    with recording(tmp_path, "--log-format", "json") as (recorder, _, job, receiver):
        trc, _ = client(recorder, "recording")  # type: ignore[arg-type]
        trc.SetRecordingJobMode(JobToken=job, Mode="Idle")
        bad = requests.post(recorder.service_url("recording"), data=b"<not-xml",
                            headers={"Content-Type": "application/soap+xml"}, timeout=5)
        assert bad.status_code == 400
        with socket.create_connection(("127.0.0.1", recorder.port), timeout=5) as garbage:
            garbage.sendall(b"POST /onvif/recording_service HTTP/1.1\r\nHost: x\r\n"
                            b"no colon in this header\r\n\r\n")
            garbage.recv(1024)
        stranger = requests.post(recorder.service_url("recording"), data=GET_RECORDINGS,
                                 headers={"Content-Type": "application/soap+xml"},
                                 auth=requests.auth.HTTPDigestAuth("admin", "wrong"), timeout=5)
        assert stranger.status_code == 401
        time.sleep(0.5)
    lines = recorder.stderr_path.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    messages = [e["message"] for e in entries]

    def logged(*parts: str) -> list[dict[str, Any]]:
        return [e for e in entries if all(p in e["message"] for p in parts)]

    assert logged(f"receiver {receiver}", "connected"), messages
    assert logged(f"job {job}", "Idle -> Active"), messages
    assert logged(f"job {job}", "Active -> Idle"), messages
    assert [e["level"] for e in logged("request refused")] == ["WARNING"], messages
    assert [e["level"] for e in logged("malformed HTTP request")] == ["WARNING"], messages
    assert [e["level"] for e in logged("login refused (HTTP Digest)")] == ["WARNING"], messages
    assert not [e for e in entries if "exception" in e], messages


def run_status(*args: str) -> Any:
    done = subprocess.run([sys.executable, "-m", "onvif_recorder", "status", *args],
                          capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout) if "--json" in args else done.stdout
