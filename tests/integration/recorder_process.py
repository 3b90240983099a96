"""Run ``onvif-recorder serve`` as a real subprocess, to kill it like a power cut would.

    with RecorderProcess(tmp_path / "data") as recorder:
        ...  # talk to recorder.service_url("recording")
        recorder.kill9()
        recorder.start()  # same data dir, new process (and port)

stdout and stderr go to ``<data dir>-recorder.log`` next to the data dir, appended to
by every start, so a failing test can show what the recorder said.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import requests

STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
PORT_ATTEMPTS = 3
_PROBE = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope">'
    b'<env:Body><tds:GetSystemDateAndTime xmlns:tds="http://www.onvif.org/ver10/device/wsdl"/>'
    b"</env:Body></env:Envelope>"
)
_STARTED = "device service at"  # cli.serve's first line
_SOAP_HEADERS = {"Content-Type": "application/soap+xml; charset=utf-8"}


class RecorderNotReady(RuntimeError):
    """The recorder did not answer in time, or exited while starting."""


def free_port() -> int:
    """A loopback port that was free a moment ago (the caller retries on a collision)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RecorderProcess:
    """One recorder subprocess on ``data_dir``; ``start`` may be called again after a stop."""

    def __init__(
        self,
        data_dir: Path,
        *,
        admin_user: str = "admin",
        admin_password: str = "Admin-Pass-1",
        startup_timeout: float = STARTUP_TIMEOUT,
        extra_args: tuple[str, ...] = (),
        extra_env: dict[str, str] | None = None,
        separate_stderr: bool = False,
        discovery: bool = False,
    ) -> None:
        self.data_dir = data_dir
        # Tests never touch the network: WS-Discovery would multicast on every interface.
        self.extra_args = extra_args if discovery else ("--no-discovery", *extra_args)
        self.extra_env = dict(extra_env or {})
        """Set in the recorder's environment (test hooks such as
        ``ONVIF_RECORDER_TEST_REWRITE_PAUSE``), after ``ONVIF_RECORDER_*`` are removed."""
        self.admin_user = admin_user
        self.admin_password = admin_password
        self.startup_timeout = startup_timeout
        self.log_path = data_dir.parent / f"{data_dir.name}-recorder.log"
        self.stderr_path = data_dir.parent / f"{data_dir.name}-recorder.stderr"
        """stderr alone (the log), when ``separate_stderr``; else it goes to ``log_path``."""
        self.separate_stderr = separate_stderr
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None  # of the last process, once reaped
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def service_url(self, name: str) -> str:
        return f"{self.url}/onvif/{name}_service"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> RecorderProcess:
        if not self.running:
            self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill9()

    def start(self, admin_password: str | None = None) -> None:
        """Start a new process (on a fresh free port) and wait until it answers."""
        if self.running:
            raise RuntimeError("the recorder is already running")
        if admin_password is not None:
            self.admin_password = admin_password
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self._spawn(free_port())
            try:
                self._wait_ready()
                return
            except RecorderNotReady:
                collided = self._exited() and "address already in use" in self.log_tail().lower()
                self.kill9()
                if not collided or attempt == PORT_ATTEMPTS:
                    raise

    def kill9(self) -> None:
        """SIGKILL, as abrupt as a power cut, and reap the process. Idempotent."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
        self._reap()

    def stop(self) -> int | None:
        """SIGTERM (graceful shutdown), then wait; SIGKILL if it does not exit in time."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
        self._reap()
        return self.returncode

    def wait_restarted(self, starts_before: int) -> None:
        """After SystemReboot or SetSystemFactoryDefault: the process replaced itself
        (same PID, same port) and answers again."""
        deadline = time.monotonic() + self.startup_timeout
        while self.log_tail(10**7).count(_STARTED) <= starts_before:
            if self._exited() or time.monotonic() > deadline:
                raise RecorderNotReady(f"no restart:\n{self.log_tail()}")
            time.sleep(0.05)
        self._wait_ready()

    def starts(self) -> int:
        """How often a recorder announced itself in the log so far."""
        return self.log_tail(10**7).count(_STARTED)

    def log_tail(self, chars: int = 4000) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    # ------------------------------------------------------------------ internals

    def _command(self, port: int) -> list[str]:
        # The replay RTSP server on a free loopback port unless the test names one: the
        # default 8554 would make two recorders (or anything else on 8554) collide.
        rtsp = () if "--rtsp-listen" in self.extra_args else ("--rtsp-listen", "127.0.0.1:0")
        return [
            sys.executable, "-m", "onvif_recorder", "serve",
            "--data-dir", str(self.data_dir),
            "--listen", f"127.0.0.1:{port}",
            "--admin-user", self.admin_user,
            "--admin-password", self.admin_password,
            *rtsp,
            *self.extra_args,
        ]

    def _spawn(self, port: int) -> None:
        self.port = port
        self._log = self.log_path.open("ab")
        self._log.write(f"\n==== start on port {port} at {time.ctime()}\n".encode())
        self._log.flush()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONVIF_RECORDER_")}
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.extra_env)
        stderr: IO[bytes] | int = subprocess.STDOUT
        if self.separate_stderr:
            stderr = self.stderr_path.open("ab")
        self.process = subprocess.Popen(
            self._command(port), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=stderr, env=env, start_new_session=True,
        )
        if not isinstance(stderr, int):
            stderr.close()  # the child has its own descriptor

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        with requests.Session() as session:
            session.trust_env = False  # never through a proxy
            while time.monotonic() < deadline:
                if self._exited():
                    raise RecorderNotReady(f"the recorder exited:\n{self.log_tail()}")
                if self._answers(session):
                    return
                time.sleep(0.05)
        raise RecorderNotReady(
            f"no answer within {self.startup_timeout} s:\n{self.log_tail()}"
        )

    def _answers(self, session: requests.Session) -> bool:
        try:
            response = session.post(
                self.service_url("device"), data=_PROBE, headers=_SOAP_HEADERS, timeout=1.0
            )
        except requests.RequestException:
            return False
        return response.status_code == 200 and b"GetSystemDateAndTimeResponse" in response.content

    def _exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def _reap(self) -> None:
        if self.process is not None:
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.returncode = self.process.returncode
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
