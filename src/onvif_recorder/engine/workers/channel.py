"""One end of a worker pipe, driven by an asyncio loop without ever blocking it.

Sending goes through a thread of its own: a pipe's buffer is small and the other side
may be busy, and neither the front end (SOAP) nor a worker (RTP) may wait for it.
Receiving is ``loop.add_reader`` on the pipe: every complete message is handed to
``on_message``; end of file (the other process is gone) calls ``on_closed`` once.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

log = logging.getLogger(__name__)
_STOP = object()


class Channel:
    def __init__(self, connection: Connection, name: str) -> None:
        self._connection = connection
        self._on_message: Callable[[object], None] = lambda message: None
        self._on_closed: Callable[[], None] = lambda: None
        self._outbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._sender = threading.Thread(target=self._send_forever, name=f"{name} sender",
                                        daemon=True)

    def start(self, on_message: Callable[[object], None],
              on_closed: Callable[[], None]) -> None:
        self._on_message, self._on_closed = on_message, on_closed
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._connection.fileno(), self._readable)
        self._sender.start()

    def send(self, message: object) -> None:
        if not self._closed:
            self._outbox.put(message)

    def close(self) -> None:
        """Stop reading and sending; what is queued is still sent first."""
        self._closed = True
        self._stop_reading()
        self._outbox.put(_STOP)
        if self._sender.is_alive():
            self._sender.join(timeout=5)
        if not self._connection.closed:
            self._connection.close()

    def _readable(self) -> None:
        try:
            while self._connection.poll():
                self._on_message(self._connection.recv())
        except (EOFError, OSError):
            if not self._closed:
                self._closed = True
                self._stop_reading()
                self._outbox.put(_STOP)
                self._on_closed()

    def _stop_reading(self) -> None:
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed():
            loop.remove_reader(self._connection.fileno())

    def _send_forever(self) -> None:
        while (message := self._outbox.get()) is not _STOP:
            try:
                self._connection.send(message)
            except (OSError, ValueError):
                return  # the other end is gone: the reader notices and reports it
            except Exception:  # a message that cannot be pickled is a bug: say which
                log.exception("cannot send %s", type(message).__name__)
