"""``onvif-recorder probe``: what a person checking a camera sees (issue 5, item 4)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.camera import Camera

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
