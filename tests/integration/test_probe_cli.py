"""``onvif-recorder probe``: what a person checking a camera sees (issue 5, item 4)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.camera import Camera
from tests.integration.tls_support import issue

pytestmark = pytest.mark.slow


def run_probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onvif_recorder", "probe", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_probe_prints_streams_and_counts_samples() -> None:
    with Camera(user="cam", password="secret") as camera:
        result = run_probe(camera.url("/av", "cam", "secret"), "--seconds", "3", "--tcp")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "secret" not in result.stdout  # credentials are never printed
    video = re.search(r"Video\s+H264/90000\s+640x360\s+(\d+)\s+([\d.]+)", result.stdout)
    audio = re.search(r"Audio\s+MPEG4-GENERIC/16000\s+16000 Hz, 1 channel", result.stdout)
    assert video and audio, result.stdout
    assert 20 <= float(video.group(2)) <= 30  # 25 fps ± start-up


def test_probe_reports_an_unreachable_camera() -> None:
    result = run_probe("rtsp://127.0.0.1:1/none", "--seconds", "1")
    assert result.returncode == 1
    assert "no media after 1 failed attempt(s)" in result.stdout


def test_probe_through_an_http_tunnel() -> None:
    with Camera() as camera:
        result = run_probe(camera.url("/h264"), "--seconds", "2", "--transport", "http")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "over RTSP over HTTP" in result.stdout
    assert re.search(r"Video\s+H264/90000\s+640x360", result.stdout), result.stdout


def test_probe_rtsps_accepts_a_pinned_certificate_and_refuses_others(tmp_path: Path) -> None:
    issued, stranger = issue(tmp_path, "good"), issue(tmp_path, "stranger")
    with Camera(tls=(issued.cert, issued.key)) as camera:
        pinned = run_probe(camera.url("/h264"), "--seconds", "2", "--transport", "rtsp",
                           "--camera-fingerprint", f"127.0.0.1={issued.fingerprint}")
        untrusted = run_probe(camera.url("/h264"), "--seconds", "1", "--transport", "rtsp",
                              "--camera-ca", str(stranger.ca))
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert untrusted.returncode == 1
    assert (f"CertificateRefused: the certificate of 127.0.0.1:{camera.port} is not trusted"
            in untrusted.stdout), untrusted.stdout
