"""Capture what the test camera (tests/camera) sends to our own sans-IO client.

Run by hand when the camera changes; the outputs are committed as byte fixtures:

    .venv/bin/python tests/data/rtsp/capture.py

For each case it starts the camera, drives ``ClientSession`` over a blocking socket
(TCP interleaved, fixed cnonce so a replay sends the same requests), and writes every
byte the server sent - the RTSP answers and about a second of interleaved media -
to ``captured/<name>.bin``. Not part of the test suite.
"""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.camera import Camera  # noqa: E402

from onvif_recorder.rtsp.events import Described, MediaSelection, Playing  # noqa: E402
from onvif_recorder.rtsp.headers import Transport  # noqa: E402
from onvif_recorder.rtsp.message import NEED_DATA  # noqa: E402
from onvif_recorder.rtsp.session import ClientSession  # noqa: E402

OUT = Path(__file__).with_name("captured")
MEDIA_SECONDS = 1.0
CNONCE = "0a4f113b"


def capture(url: str, media_seconds: float = MEDIA_SECONDS) -> bytes:
    session = ClientSession(url, cnonce=lambda: CNONCE)
    host, port = url.split("//")[1].split("/")[0].split("@")[-1].rsplit(":", 1)
    received = bytearray()
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        session.start(time.monotonic())
        playing_since: float | None = None
        while playing_since is None or time.monotonic() - playing_since < media_seconds:
            sock.sendall(session.data_to_send())
            data = sock.recv(65536)
            received += data
            session.receive_data(data, time.monotonic())
            while (event := session.next_event()) is not NEED_DATA:
                if isinstance(event, Described):
                    count = len(event.description.media)
                    session.setup([MediaSelection(i, Transport.tcp()) for i in range(count)],
                                  time.monotonic())
                elif isinstance(event, Playing):
                    playing_since = time.monotonic()
    return bytes(received)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with Camera() as camera:
        for mount in ("/h264", "/av", "/h265", "/meta"):
            name = f"gstreamer{mount.replace('/', '_')}_tcp.bin"
            (OUT / name).write_bytes(capture(camera.url(mount)))
            print("wrote", name)
    with Camera(user="admin", password="secret") as camera:
        data = capture(camera.url("/h264", "admin", "secret"), media_seconds=0.3)
        (OUT / "gstreamer_h264_digest_tcp.bin").write_bytes(data)
        print("wrote gstreamer_h264_digest_tcp.bin")


if __name__ == "__main__":
    main()
