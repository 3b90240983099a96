"""The asyncio side of pull points: PullMessages long polling (Core "Pull messages"),
without busy waiting, and the periodic expiry of abandoned subscriptions.

A waiting pull sleeps on an ``asyncio.Event`` that the subscriber's listener sets when the
bus delivers to it (from any thread), so it answers as soon as a message arrives; with
nothing waiting, it answers with no messages when the Timeout has passed, never before.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime

from onvif_recorder.events.pullpoint import SubscriptionManager
from onvif_recorder.service.events import Notification, Subscriber

SWEEP_INTERVAL_S = 1.0


class Waker:
    """A subscriber listener that wakes a coroutine on the loop that created it."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self.event = asyncio.Event()

    def __call__(self) -> None:
        if threading.get_ident() == self._thread:
            self.event.set()
        else:
            self._loop.call_soon_threadsafe(self.event.set)


def waker_of(subscriber: Subscriber) -> Waker:
    """The subscriber's Waker, installed on first use (pull points are created on the loop)."""
    listener = subscriber.listener
    if isinstance(listener, Waker):
        return listener
    waker = Waker()
    subscriber.listener = waker
    return waker


async def pull(subscriber: Subscriber, limit: int, wait: float) -> list[Notification]:
    """Up to ``limit`` notifications: at once if some are queued, else the first ones to
    arrive within ``wait`` seconds; none if the subscriber is closed meanwhile."""
    waker = waker_of(subscriber)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        waker.event.clear()
        notifications = subscriber.take(limit)
        remaining = deadline - loop.time()
        if notifications or subscriber.closed or remaining <= 0:
            return notifications
        try:
            await asyncio.wait_for(waker.event.wait(), remaining)
        except TimeoutError:
            continue


async def expire_forever(
    manager: SubscriptionManager,
    clock: Callable[[], datetime],
    interval: float = SWEEP_INTERVAL_S,
) -> None:
    """Remove expired pull points every ``interval`` seconds, until cancelled."""
    while True:
        await asyncio.sleep(interval)
        manager.sweep(clock())
