"""The test camera itself: every mount serves what it claims, to an independent client
(ffprobe), with and without Digest authentication."""

from __future__ import annotations

import subprocess

import pytest

from tests.camera import Camera

EXPECTED = {
    "/h264": ["h264,640,360"],
    "/h264-bframes": ["h264,640,360"],
    "/av": ["h264,640,360", "aac"],
    "/h265": ["hevc,640,360"],
    "/h265-bframes": ["hevc,640,360"],
    "/pcmu": ["h264,640,360", "pcm_mulaw"],
}


def probe(url: str) -> list[str]:
    result = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "csv=p=0",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return [line.strip() for line in result.stdout.splitlines() if line.strip()] or [
        result.stderr.strip()
    ]


@pytest.mark.slow
def test_mounts_serve_their_codecs() -> None:
    with Camera() as camera:
        for mount, streams in EXPECTED.items():
            assert probe(camera.url(mount)) == streams, mount


@pytest.mark.slow
def test_digest_authentication() -> None:
    with Camera(user="cam", password="secret") as camera:
        assert "401" in probe(camera.url("/h264"))[0]
        assert probe(camera.url("/h264", "cam", "secret")) == ["h264,640,360"]
