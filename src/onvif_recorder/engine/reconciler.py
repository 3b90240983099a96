"""The loop both supervisors share: after every committed change, one reconcile pass.

``StateHolder`` calls its observers on every commit, possibly from another thread (tests
drive services directly). A commit only sets an event; one task awaits it and runs the
owner's ``reconcile`` coroutine, so passes never overlap and a burst of commits during a
pass costs exactly one more pass.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class CommitReconciler:
    def __init__(self, reconcile: Callable[[], Awaitable[None]], name: str) -> None:
        self._reconcile = reconcile
        self._name = name
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def changed(self) -> None:
        """Observer of commits: ask for a pass (thread-safe, never blocks)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    def start(self) -> None:
        """Run a first pass now, then one after every change."""
        self._loop = asyncio.get_running_loop()
        self._wake.set()
        self._task = asyncio.create_task(self._forever(), name=self._name)

    async def stop(self) -> None:
        """Cancel the loop (a pass in progress is cancelled with it)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._loop = None

    async def _forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._reconcile()
