"""``GET /api/events``: the recordings list as server-sent events (HTML "Server-sent
events"), so the page follows job and receiver states without reloading.

The handler subscribes to the event bus; any domain event (a job state, a receiver state,
a recording created or deleted, ...) wakes it, and after a short pause that gathers a
burst into one message it sends the whole list again (``event: recordings``). Without
events it still sends it every ``refresh`` seconds (bytes and time stored grow without
events; the message also keeps proxies from closing an idle stream). The bus may publish
from the ingest thread: its listener only schedules a wake-up on this loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from onvif_recorder.service.events import EventBus
from onvif_recorder.soap.security.access import AccessClass
from onvif_recorder.web.session_auth import WebAuth

GATHER = 0.1
"""Seconds to wait after an event for the ones that come with it."""


class LiveRecordings:
    def __init__(self, auth: WebAuth, bus: EventBus, snapshot: Callable[[], list[Any]],
                 refresh: float = 2.0) -> None:
        self.auth = auth
        self.bus = bus
        self.snapshot = snapshot
        self.refresh = refresh
        self.closing = False
        self._wakes: set[asyncio.Event] = set()

    def close(self) -> None:
        """End every stream now (the server is shutting down: it would wait for them)."""
        self.closing = True
        for wake in self._wakes:
            wake.set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.auth.require(request, AccessClass.READ_MEDIA)
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-store",
            "X-Accel-Buffering": "no"})
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        subscriber = self.bus.subscribe(initialize=False)

        def listener() -> None:
            loop.call_soon_threadsafe(wake.set)

        subscriber.listener = listener
        self._wakes.add(wake)
        try:
            await self._stream(request, response, subscriber.take, wake)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._wakes.discard(wake)
            self.bus.unsubscribe(subscriber)
        return response

    async def _stream(self, request: web.Request, response: web.StreamResponse,
                      take: Callable[[int], list[Any]], wake: asyncio.Event) -> None:
        while not self.closing:
            if self.auth.caller(request, touch=False) is None:  # logged out or expired: stop
                await response.write(b"event: logout\ndata: {}\n\n")
                return
            data = json.dumps({"recordings": self.snapshot()})
            await response.write(f"event: recordings\ndata: {data}\n\n".encode())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.refresh)
                await asyncio.sleep(GATHER)
            wake.clear()
            take(10_000)  # the events only woke us: the list is read whole
