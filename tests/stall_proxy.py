"""A TCP proxy on loopback that can stall its connections like a dropped network path.

``StallProxy(upstream_port)`` listens on an ephemeral loopback port and forwards to
``127.0.0.1:upstream_port``. Its ``mode`` decides what a *new* connection gets:

* ``PASS``: forwarded both ways.
* ``SILENT``: accepted, then nothing: no byte is read from the client (its writes block
  once the socket buffers are full, as when packets are dropped) and none is answered.
* ``REFUSE``: the listening socket is closed, connecting is refused.

``silent_after(n)``: new connections pass until they have carried ``n`` bytes to the
store, then go silent (the path died in the middle of a request body).
``throttle(rate)``: connections carry at most ``rate`` bytes per second to the store
(a slow uplink), through small socket buffers like a real path's.
``blackhole()`` turns every open connection silent as well (a NAT mapping dropped in
mid-transfer); connections that went silent stay silent whatever the mode becomes, so
``set_mode(PASS)`` afterwards is "the store is back, the old connections are dead".
It runs its own event loop in a thread so that synchronous tests and other event
loops can use it alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import threading
from dataclasses import dataclass, field
from types import TracebackType

BUFFER = 16 * 1024
"""Socket receive buffer and reader limit of the client side: a throttled connection
hides little of what it took from the uploader (a real path's queues are short too)."""


class Mode(enum.Enum):
    PASS = "pass"
    SILENT = "silent"
    REFUSE = "refuse"


@dataclass(slots=True)
class Link:
    """One client connection and what the proxy did with it."""

    writer: asyncio.StreamWriter
    silent: asyncio.Event = field(default_factory=asyncio.Event)
    upstream: asyncio.StreamWriter | None = None
    forwarded: int = 0
    """Bytes passed from the client to the store."""
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class StallProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.mode = Mode.PASS
        self.limit: int | None = None
        self.rate: float | None = None
        self.links: list[Link] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> StallProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: Mode) -> None:
        self._call(self._set_mode(mode))

    def silent_after(self, size: int) -> None:
        self.limit = size

    def throttle(self, rate: float) -> None:
        self.rate = rate

    def blackhole(self) -> None:
        """New and open connections alike go silent."""
        self._call(self._blackhole())

    def count(self, silent: bool) -> int:
        """Connections accepted so far that are (not) silent."""
        return sum(link.silent.is_set() == silent for link in list(self.links))

    def _call(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)  # type: ignore[arg-type]

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port,
                                                  limit=BUFFER)
        for sock in self._server.sockets:  # inherited by accepted connections
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _set_mode(self, mode: Mode) -> None:
        if mode is Mode.REFUSE and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        elif mode is not Mode.REFUSE and self._server is None:
            await self._listen()
        self.mode = mode

    async def _blackhole(self) -> None:
        await self._set_mode(Mode.SILENT)
        for link in self.links:
            link.silent.set()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in self.links:
            for task in link.tasks:
                task.cancel()
            for writer in (link.writer, link.upstream):
                if writer is not None:
                    writer.transport.abort()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = Link(writer)
        self.links.append(link)
        if self.mode is not Mode.PASS:
            link.silent.set()  # accepted, and never read from or answered
            return
        try:
            up_reader, link.upstream = await asyncio.open_connection("127.0.0.1",
                                                                      self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        link.tasks = [asyncio.create_task(self._pump(link, reader, link.upstream, True)),
                      asyncio.create_task(self._pump(link, up_reader, writer, False))]

    async def _pump(self, link: Link, source: asyncio.StreamReader,
                    sink: asyncio.StreamWriter, to_store: bool) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while not link.silent.is_set():
                data = await source.read(4 * BUFFER if self.rate is None or not to_store
                                         else int(self.rate / 10))
                if link.silent.is_set():
                    break  # the path died with these bytes on it
                if not data:
                    sink.close()  # the peer closed its side: pass it on
                    return
                sink.write(data)
                await sink.drain()
                link.forwarded += len(data) if to_store else 0
                if to_store and self.rate is not None:
                    await asyncio.sleep(len(data) / self.rate)
                if self.limit is not None and link.forwarded >= self.limit:
                    link.silent.set()
        await asyncio.Event().wait()  # silent: neither read nor forward, ever
