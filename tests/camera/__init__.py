"""The test camera: GStreamer's RTSP server in a subprocess, started on an ephemeral port
and stopped by PID (see fakecam.py for its mounts)."""

from __future__ import annotations

import select
import signal
import subprocess
from pathlib import Path
from types import TracebackType

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with python3-gi; the venv cannot import gi
SCRIPT = Path(__file__).with_name("fakecam.py")


class Camera:
    """``with Camera() as cam: cam.url("/h264")`` → ``rtsp://127.0.0.1:PORT/h264``."""

    def __init__(
        self,
        user: str | None = None,
        password: str | None = None,
        clip: Path | None = None,
        start_timeout: float = 20.0,
    ) -> None:
        self.command = [SYSTEM_PYTHON, str(SCRIPT), "--port", "0"]
        if user is not None:
            self.command += ["--user", user, "--password", password or ""]
        if clip is not None:
            self.command += ["--clip", str(clip)]
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[str] | None = None
        self.base = ""

    def start(self) -> Camera:
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.base = self._read_ready()
        return self

    def _read_ready(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], self.start_timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"the test camera did not start: {line!r}")
        return line.split()[1].rstrip("/")

    def url(self, mount: str, user: str | None = None, password: str | None = None) -> str:
        if user is None:
            return f"{self.base}{mount}"
        return self.base.replace("rtsp://", f"rtsp://{user}:{password}@", 1) + mount

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Camera:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
