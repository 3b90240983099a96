"""The recorder's own log, kept in memory for GetSystemLog and GetSystemSupportInformation
(Core "System Information"): the newest lines up to a byte budget, oldest dropped first."""

from __future__ import annotations

import logging
import threading
from collections import deque

MAX_BYTES = 512 * 1024
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogBuffer(logging.Handler):
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        super().__init__(logging.INFO)
        self.max_bytes = max_bytes
        self._lines: deque[str] = deque()
        self._size = 0
        self._guard = threading.Lock()  # records may come from executor threads
        self.dropped = 0
        self.setFormatter(logging.Formatter(FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)[: self.max_bytes]
        except Exception:  # logging must never raise into the caller
            self.handleError(record)
            return
        with self._guard:
            self._lines.append(line)
            self._size += len(line) + 1
            while self._size > self.max_bytes:
                self._size -= len(self._lines.popleft()) + 1
                self.dropped += 1

    def text(self) -> str:
        with self._guard:
            return "".join(line + "\n" for line in self._lines)


_installed: LogBuffer | None = None


def install(logger_name: str = "onvif_recorder") -> LogBuffer:
    """The one buffer of this process, attached to the recorder's logger on first use."""
    global _installed
    if _installed is None:
        _installed = LogBuffer()
        logging.getLogger(logger_name).addHandler(_installed)
    return _installed
