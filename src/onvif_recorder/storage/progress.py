"""Requests to a store that cannot hang: progress is watched, a silent request abandoned.

A path that drops packets (a lost NAT mapping, a firewall) accepts a connection, or
keeps an old one, and then answers nothing: the request body fills the socket buffers
and the write waits forever, and the HTTP clients' read timeouts only start once the
body is out. ``watched`` runs one request as a task and cancels it when nothing moved
for ``StoreTimeouts.progress`` seconds (the first movement may take ``connect`` longer)
or when it outlives ``StoreTimeouts.deadline(size)``, however slowly it moves; the
cancelled request's connection is aborted (not closed: that would wait for the silent
peer), and the store raises ``StoreUnreachable`` so that its caller discards the whole
connection pool.

Movement is what the transports report through ``PROGRESS``: ``ProgressPayload`` sends
the body in 64 KiB pieces, each accepted by the connection counting as progress. Both
stores hand their body to aiohttp through it (``storage.s3``, ``storage.azure``). The
socket buffers take megabytes at once, which a slow link needs many seconds to carry:
so bytes the peer acknowledged count too, read from the kernel's send queue (Linux
``SIOCOUTQ``) while the request waits; elsewhere only the pieces taken count.
"""

from __future__ import annotations

import asyncio
import contextvars
import fcntl
import io
import struct
import termios
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload

from onvif_recorder.storage.object_store import StoreTimeouts, StoreUnreachable

T = TypeVar("T")
PIECE = 64 * 1024
"""aiohttp's writer drains once its buffer holds more than this: one piece at a time."""


class Progress:
    """When the request last moved, in event-loop time."""

    def __init__(self, clock: Callable[[], float], first_move_by: float) -> None:
        self._clock = clock
        self.last = first_move_by
        self.taken = 0
        """Body bytes the connection's transport took."""
        self.acked: int | None = None
        """Of those, the bytes the peer acknowledged (None: the kernel does not say)."""
        self._transport: asyncio.WriteTransport | None = None

    @property
    def sent(self) -> int:
        return self.taken if self.acked is None else self.acked

    def moved(self, size: int, transport: object) -> None:
        self.taken += size
        if isinstance(transport, asyncio.WriteTransport):
            self._transport = transport
        self._stamp()

    def poll(self) -> None:
        """Count what the peer acknowledged since the last poll as movement."""
        unsent = None if self._transport is None else unsent_bytes(self._transport)
        if unsent is not None and self.taken - unsent > (self.acked or 0):
            self.acked = self.taken - unsent
            self._stamp()

    def abort(self) -> None:
        """Drop the connection now: closing it would wait for a silent peer to take the
        bytes still buffered, holding the socket until TCP gives up."""
        if self._transport is not None:
            self._transport.abort()

    def _stamp(self) -> None:
        self.last = max(self.last, self._clock())


def unsent_bytes(transport: asyncio.WriteTransport) -> int | None:
    """Bytes written to ``transport`` that its peer has not acknowledged yet."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return None
    try:
        queued = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4)
    except (OSError, ValueError, AttributeError):  # closed, not TCP, or not Linux
        return None
    return transport.get_write_buffer_size() + int(struct.unpack("i", queued)[0])


PROGRESS: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "store request progress", default=None)


class ProgressPayload(Payload):
    """A request body sent piece by piece, each piece the connection takes noted."""

    _value: bytes

    def __init__(self, body: bytes, progress: Progress) -> None:
        super().__init__(body)
        self._size = len(body)
        self._progress = progress

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self._value.decode(encoding, errors)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self._value

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(self, writer: AbstractStreamWriter,
                                content_length: int | None) -> None:
        view = memoryview(self._value)[:content_length]
        for start in range(0, len(view), PIECE):
            piece = view[start:start + PIECE]
            await writer.write(piece)
            self._progress.moved(len(piece), getattr(writer, "transport", None))


def watched_body(body: Any) -> Any:
    """``body`` (bytes, or the ``BytesIO`` botocore makes of them) as the request being
    watched in this context sends it."""
    progress = PROGRESS.get()
    if progress is None:
        return body
    if isinstance(body, io.BytesIO):
        with body.getbuffer() as view:
            body = bytes(view[body.tell():])
    if not isinstance(body, bytes | bytearray) or not body:
        return body
    return ProgressPayload(bytes(body), progress)


async def watched(request: Callable[[], Awaitable[T]], size: int, timeouts: StoreTimeouts,
                  what: str) -> T:
    """The result of ``request()``, or ``StoreUnreachable`` once it stalls."""
    loop = asyncio.get_running_loop()
    progress = Progress(loop.time, loop.time() + timeouts.connect)
    deadline = loop.time() + timeouts.deadline(size)

    async def run() -> T:
        PROGRESS.set(progress)  # the task's own copy of the context
        return await request()

    task = asyncio.create_task(run(), name=what)
    try:
        while not task.done():
            now = loop.time()
            if now >= deadline:
                raise StoreUnreachable(f"{what}: not done after {timeouts.deadline(size):.0f} s"
                                       f" ({progress.sent} of {size} bytes sent)")
            if now >= progress.last + timeouts.progress:
                raise StoreUnreachable(f"{what}: stalled, no progress for"
                                       f" {timeouts.progress:g} s ({progress.sent} of {size}"
                                       " bytes sent); connection abandoned")
            wake = min(deadline, progress.last + timeouts.progress, now + timeouts.progress / 4)
            await asyncio.wait({task}, timeout=wake - now)
            progress.poll()
        return task.result()
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # retrieved: what it raised once abandoned is of no use
            progress.abort()
