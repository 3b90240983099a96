"""PullPoint lifecycle on a fake clock (Core "Pull Point Lifecycle"), long polling on a
real event loop, and memory that stays flat when subscriptions are abandoned."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

from onvif_recorder.events.errors import (
    PullPointLimit,
    UnacceptableTermination,
    UnknownSubscription,
)
from onvif_recorder.events.filters import EventFilter
from onvif_recorder.events.long_poll import pull
from onvif_recorder.events.pullpoint import (
    PullPointLimits,
    RequestedTime,
    SubscriptionManager,
)
from onvif_recorder.events.topic_expression import CONCRETE_SET, parse_topic_expression
from onvif_recorder.service.events import EventBus, RecordingCreated

T0 = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
LIMITS = PullPointLimits(4, timedelta(seconds=60), timedelta(hours=1))


def seconds(n: float) -> RequestedTime:
    return RequestedTime(relative=timedelta(seconds=n))


@pytest.fixture
def bus() -> EventBus:
    return EventBus(lambda: T0)


@pytest.fixture
def manager(bus: EventBus) -> SubscriptionManager:
    return SubscriptionManager(bus, LIMITS)


def test_termination_default_relative_and_absolute(manager: SubscriptionManager) -> None:
    assert manager.create(EventFilter(), None, T0).termination == T0 + timedelta(seconds=60)
    assert manager.create(EventFilter(), seconds(10), T0).termination == T0 + timedelta(seconds=10)
    at = T0 + timedelta(minutes=5)
    assert manager.create(EventFilter(), RequestedTime(absolute=at), T0).termination == at


@pytest.mark.parametrize(
    "requested",
    [seconds(0), seconds(-5), seconds(3601), RequestedTime(absolute=T0 - timedelta(seconds=1))],
)
def test_unacceptable_termination_names_the_acceptable_range(
    manager: SubscriptionManager, requested: RequestedTime
) -> None:
    with pytest.raises(UnacceptableTermination) as refused:
        manager.create(EventFilter(), requested, T0)
    assert refused.value.minimum == T0 + timedelta(seconds=1)
    assert refused.value.maximum == T0 + timedelta(hours=1)
    assert len(manager) == 0


def test_max_pull_points_then_room_again_after_unsubscribe(manager: SubscriptionManager) -> None:
    created = [manager.create(EventFilter(), None, T0) for _ in range(4)]
    assert len({p.id for p in created}) == 4
    with pytest.raises(PullPointLimit):
        manager.create(EventFilter(), None, T0)
    manager.unsubscribe(created[0].id, T0)
    manager.create(EventFilter(), None, T0)


def test_a_pull_point_expires_by_itself(manager: SubscriptionManager, bus: EventBus) -> None:
    pull_point = manager.create(EventFilter(), seconds(10), T0)
    assert manager.get(pull_point.id, T0 + timedelta(seconds=10)) is pull_point
    with pytest.raises(UnknownSubscription):
        manager.get(pull_point.id, T0 + timedelta(seconds=10, microseconds=1))
    assert len(manager) == 0 and bus.subscriber_count == 0 and pull_point.subscriber.closed


def test_renew_moves_the_termination_either_way(manager: SubscriptionManager) -> None:
    pull_point = manager.create(EventFilter(), seconds(10), T0)
    later = T0 + timedelta(seconds=8)
    assert manager.renew(pull_point.id, seconds(30), later) == later + timedelta(seconds=30)
    assert manager.get(pull_point.id, T0 + timedelta(seconds=37)) is pull_point
    assert manager.renew(pull_point.id, seconds(1), later) == later + timedelta(seconds=1)
    assert manager.renew(pull_point.id, None, later) == later + timedelta(seconds=60)
    with pytest.raises(UnacceptableTermination):
        manager.renew(pull_point.id, seconds(7200), later)


def test_renewing_or_unsubscribing_the_unknown(manager: SubscriptionManager) -> None:
    pull_point = manager.create(EventFilter(), seconds(10), T0)
    manager.unsubscribe(pull_point.id, T0)
    with pytest.raises(UnknownSubscription):
        manager.unsubscribe(pull_point.id, T0)
    with pytest.raises(UnknownSubscription):
        manager.renew("nope", seconds(10), T0)
    expired = manager.create(EventFilter(), seconds(10), T0)
    with pytest.raises(UnknownSubscription):
        manager.renew(expired.id, seconds(10), T0 + timedelta(seconds=11))


def test_pulling_keeps_a_pull_point_alive_but_never_shortens_it(
    manager: SubscriptionManager,
) -> None:
    pull_point = manager.create(EventFilter(), seconds(10), T0)
    pull_point.keep_alive(T0 + timedelta(seconds=5), timedelta(seconds=60))
    assert pull_point.termination == T0 + timedelta(seconds=65)
    pull_point.keep_alive(T0 + timedelta(seconds=6), timedelta(seconds=1))
    assert pull_point.termination == T0 + timedelta(seconds=65)


def test_sweep_removes_only_the_expired(manager: SubscriptionManager, bus: EventBus) -> None:
    short = manager.create(EventFilter(), seconds(5), T0)
    long = manager.create(EventFilter(), seconds(50), T0)
    assert manager.sweep(T0 + timedelta(seconds=6)) == 1
    assert short.subscriber.closed and not long.subscriber.closed
    assert bus.subscriber_count == 1


def test_a_thousand_abandoned_subscriptions_leave_memory_flat() -> None:
    """Filtered like a real client's, so every publication runs the filters."""
    every_topic = EventFilter(
        (parse_topic_expression("tns1:RecordingConfig//.", CONCRETE_SET, lambda _: None),)
    )
    bus = EventBus(lambda: T0, queue_limit=8)
    manager = SubscriptionManager(bus, PullPointLimits(1000, timedelta(seconds=60),
                                                       timedelta(hours=1)))

    def cycle(start: datetime) -> None:
        for _ in range(1000):
            manager.create(every_topic, seconds(30), start)
        for n in range(20):  # every queue fills up and starts dropping
            bus.publish(RecordingCreated(f"Recording_{n}"))
        assert manager.sweep(start + timedelta(seconds=31)) == 1000

    tracemalloc.start()
    try:
        cycle(T0)
        gc.collect()
        baseline = tracemalloc.get_traced_memory()[0]
        for n in range(1, 4):
            cycle(T0 + timedelta(minutes=n))
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert len(manager) == 0 and bus.subscriber_count == 0
    assert grown < 64 * 1024, f"{grown} bytes kept after 3000 abandoned subscriptions"


async def test_pull_answers_at_once_when_messages_wait(bus: EventBus) -> None:
    subscriber = bus.subscribe()
    bus.publish(RecordingCreated("a"), RecordingCreated("b"), RecordingCreated("c"))
    started = time.monotonic()
    got = await pull(subscriber, 2, 5.0)
    assert [n.event for n in got] == [RecordingCreated("a"), RecordingCreated("b")]
    assert time.monotonic() - started < 0.5


async def test_pull_waits_for_the_first_message_then_answers(bus: EventBus) -> None:
    subscriber = bus.subscribe()
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, bus.publish, RecordingCreated("late"))
    started = time.monotonic()
    got = await pull(subscriber, 10, 5.0)
    assert [n.event for n in got] == [RecordingCreated("late")]
    assert 0.15 < time.monotonic() - started < 2.0


async def test_a_publisher_on_another_thread_wakes_the_pull(bus: EventBus) -> None:
    subscriber = bus.subscribe()
    waiting = asyncio.create_task(pull(subscriber, 10, 5.0))
    await asyncio.sleep(0.05)
    publisher = threading.Timer(0.1, bus.publish, args=(RecordingCreated("thread"),))
    publisher.start()
    started = time.monotonic()
    got = await waiting
    publisher.join()
    assert [n.event for n in got] == [RecordingCreated("thread")]
    assert time.monotonic() - started < 2.0


async def test_pull_answers_empty_at_the_timeout_and_not_before(bus: EventBus) -> None:
    subscriber = bus.subscribe()
    started = time.monotonic()
    assert await pull(subscriber, 10, 0.3) == []
    assert time.monotonic() - started >= 0.3


async def test_unsubscribing_ends_a_waiting_pull(bus: EventBus) -> None:
    subscriber = bus.subscribe()
    waiting = asyncio.create_task(pull(subscriber, 10, 30.0))
    await asyncio.sleep(0.05)
    bus.unsubscribe(subscriber)
    assert await asyncio.wait_for(waiting, 2.0) == []


def test_close_removes_every_pull_point(manager: SubscriptionManager, bus: EventBus) -> None:
    pull_points = [manager.create(EventFilter(), None, T0) for _ in range(3)]
    manager.close()
    assert len(manager) == 0 and bus.subscriber_count == 0
    assert all(p.subscriber.closed for p in pull_points)
