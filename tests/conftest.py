"""Shared fixtures: a recorder running in-process on an ephemeral loopback port.

The server runs on its own event loop in a background thread, so that
synchronous zeep clients in the tests talk to it over real HTTP.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
from aiohttp import web

from onvif_recorder.app import Services, build_app, build_services
from onvif_recorder.service.media_flow import MediaFlow
from onvif_recorder.settings import Limits, RecorderSettings

ADMIN_USER = "admin"
ADMIN_PASSWORD = "Admin-Pass-1"
T = TypeVar("T")


@dataclass
class RunningRecorder:
    url: str
    data_dir: Path
    services: Services
    admin_user: str = ADMIN_USER
    admin_password: str = ADMIN_PASSWORD
    _stop: list[object] = field(default_factory=list)
    loop: asyncio.AbstractEventLoop | None = None

    def service_url(self, name: str) -> str:
        return f"{self.url}/onvif/{name}_service"

    def in_loop(self, call: Callable[[], T]) -> T:
        """Run ``call`` on the server's event loop, where the engine will call services."""
        assert self.loop is not None, "this recorder was not started by start_recorder"

        async def run() -> T:
            return call()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)


class _ServerThread(threading.Thread):
    def __init__(self, app: web.Application) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.ready = threading.Event()

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        # A short lingering time: after a 413 aiohttp would otherwise hold the
        # connection (and the fixture teardown) for 10 s.
        runner = web.AppRunner(self.app, access_log=None, lingering_time=1.0)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]
        self.runner = runner
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.join(timeout=10)


def start_recorder(
    data_dir: Path, limits: Limits | None = None, media: MediaFlow | None = None
) -> tuple[RunningRecorder, _ServerThread]:
    # No WS-Discovery shell runs in-process (and tests stay off the network): say so.
    settings = RecorderSettings(data_dir=data_dir, limits=limits or Limits(), discovery=False)
    services = build_services(settings, media)
    services.users.ensure_initial_administrator(ADMIN_USER, ADMIN_PASSWORD)
    thread = _ServerThread(build_app(settings, services))
    thread.start()
    assert thread.ready.wait(10), "the recorder did not start"
    url = f"http://127.0.0.1:{thread.port}"
    return RunningRecorder(url, data_dir, services, loop=thread.loop), thread


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[RunningRecorder]:
    running, thread = start_recorder(tmp_path / "data")
    yield running
    thread.stop()


TEST_PEERS: set[str] = set()
"""Addresses of hosts the tests create themselves (network namespaces), also allowed."""


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse any connection that is not to loopback or a test's own peer namespace: tests
    never touch the network."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and not (str(host).startswith("127.")
                                     or host in ("::1", "localhost", *TEST_PEERS)):
            raise ConnectionRefusedError(f"tests may only connect to loopback, not {host}")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
