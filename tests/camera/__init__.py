"""The test camera: GStreamer's RTSP server in a subprocess, started on an ephemeral port
(or a given one, to bring a camera back where it was) and stopped by PID (see fakecam.py
for its mounts). ``requests`` collects the TEARDOWNs the camera received. With
``tls=(cert, key)`` (PEM files) it serves RTSPS and its URLs are ``rtsps://``; with
``netns`` it runs in that network namespace (``ip netns exec``), listening on ``address``
and sending multicast on ``multicast_iface``."""

from __future__ import annotations

import select
import signal
import subprocess
import threading
import time
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
        port: int = 0,
        tls: tuple[Path, Path] | None = None,
        netns: str | None = None,
        address: str = "127.0.0.1",
        multicast_iface: str = "lo",
    ) -> None:
        self.command = [SYSTEM_PYTHON, str(SCRIPT), "--port", str(port), "--address", address,
                        "--multicast-iface", multicast_iface]
        if netns is not None:
            self.command = ["ip", "netns", "exec", netns, *self.command]
        if tls is not None:
            self.command += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        if user is not None:
            self.command += ["--user", user, "--password", password or ""]
        if clip is not None:
            self.command += ["--clip", str(clip)]
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[str] | None = None
        self.base = ""
        self.requests: list[str] = []
        """``TEARDOWN /mount`` for each TEARDOWN received, in order."""
        self._reader: threading.Thread | None = None

    def start(self) -> Camera:
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.base = self._read_ready()
        self._reader = threading.Thread(target=self._read_requests, daemon=True)
        self._reader.start()
        return self

    def _read_requests(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        with self.process.stdout as lines:  # closed at EOF: no pipe outlives the camera
            for line in lines:
                if line.startswith("REQUEST "):
                    self.requests.append(line[8:].strip())

    def wait_for_request(self, request: str, timeout: float = 5.0) -> bool:
        """True once ``request`` (e.g. ``TEARDOWN /h264``) was received."""
        deadline = time.monotonic() + timeout
        while request not in self.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        return request in self.requests

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
        return self.base.replace("://", f"://{user}:{password}@", 1) + mount

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def kill(self) -> None:
        """SIGKILL: the camera dies mid-stream, as on a power cut (sockets reset)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            self._join_reader()

    def pause(self) -> None:
        """SIGSTOP: the camera hangs, its connections stay open and silent."""
        if self.process is not None:
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.resume()  # a stopped process would not handle SIGTERM
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._join_reader()

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)

    def __enter__(self) -> Camera:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
