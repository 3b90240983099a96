"""``<data dir>/workers.lock``: every worker holds it shared while it runs; the front end
takes it exclusively before start-up recovery, so it never repairs (or starts writing
beside) segments that a worker of an earlier run is still writing."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path


class WorkerLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "workers.lock"

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._held(fcntl.LOCK_SH):
            yield

    def wait_for_old_workers(self, timeout: float = 30.0) -> bool:
        """Wait until no worker holds the lock; False if one still did after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            descriptor = self._open()
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
            finally:
                os.close(descriptor)
            time.sleep(0.05)

    @contextlib.contextmanager
    def _held(self, mode: int) -> Iterator[None]:
        descriptor = self._open()
        try:
            fcntl.flock(descriptor, mode)
            yield
        finally:
            os.close(descriptor)

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
