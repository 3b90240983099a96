"""The in-process event bus: order, UtcTime from the clock, filtering, bounded queues,
property initialization and thread safety."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from onvif_recorder.service.events import (
    DomainEvent,
    EventBus,
    JobStateChanged,
    PropertyOperation,
    RecordingCreated,
    RecordingDeleted,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class StepClock:
    """Each reading is one second after the previous one."""

    def __init__(self) -> None:
        self.readings = 0

    def __call__(self) -> datetime:
        self.readings += 1
        return T0 + timedelta(seconds=self.readings)


def created(n: int) -> RecordingCreated:
    return RecordingCreated(f"Recording_{n}")


def test_events_arrive_in_order_stamped_by_the_clock() -> None:
    bus = EventBus(StepClock())
    subscriber = bus.subscribe()
    bus.publish(created(1), created(2))
    bus.publish(created(3))
    got = subscriber.take(10)
    assert [n.event for n in got] == [created(1), created(2), created(3)]
    assert [n.utc_time for n in got] == [T0 + timedelta(seconds=s) for s in (1, 2, 3)]
    assert [n.sequence for n in got] == sorted({n.sequence for n in got})


def test_take_respects_its_limit_and_keeps_the_rest() -> None:
    bus = EventBus()
    subscriber = bus.subscribe()
    bus.publish(*(created(n) for n in range(5)))
    assert [n.event for n in subscriber.take(2)] == [created(0), created(1)]
    assert subscriber.pending == 3
    assert [n.event for n in subscriber.take(10)] == [created(2), created(3), created(4)]


def test_each_subscriber_gets_only_what_it_accepts() -> None:
    bus = EventBus()
    deletions = bus.subscribe(lambda event: isinstance(event, RecordingDeleted))
    everything = bus.subscribe()
    bus.publish(created(1), RecordingDeleted("Recording_1"))
    assert [n.event for n in deletions.take(10)] == [RecordingDeleted("Recording_1")]
    assert everything.pending == 2


def test_a_full_queue_drops_the_oldest_and_counts_it() -> None:
    bus = EventBus(queue_limit=3)
    slow = bus.subscribe()
    bus.publish(*(created(n) for n in range(5)))
    assert slow.dropped == 2
    assert [n.event for n in slow.take(10)] == [created(2), created(3), created(4)]
    bus.publish(created(5))
    assert slow.dropped == 2 and slow.pending == 1
    assert bus.dropped == 2


def test_dropped_total_keeps_what_gone_subscribers_lost() -> None:
    """The metric is a counter: an unsubscribe must not make it go down."""
    bus = EventBus(queue_limit=1)
    gone, live = bus.subscribe(), bus.subscribe()
    bus.publish(*(created(n) for n in range(4)))
    bus.unsubscribe(gone)
    bus.unsubscribe(gone)  # twice: counted once
    assert bus.dropped == 3 and bus.dropped_total == 6
    live.take(1)
    bus.publish(created(4))
    assert bus.dropped_total == 6


def test_an_abandoned_subscriber_stays_bounded_while_others_keep_up() -> None:
    bus = EventBus(queue_limit=10)
    abandoned, active = bus.subscribe(), bus.subscribe()
    for n in range(1000):
        bus.publish(created(n))
        assert [x.event for x in active.take(1)] == [created(n)]
    assert abandoned.pending == 10 and abandoned.dropped == 990
    assert active.dropped == 0


def job_state(token: str) -> JobStateChanged:
    return JobStateChanged(token, PropertyOperation.INITIALIZED, None)


def test_new_subscribers_and_synchronization_points_get_every_property() -> None:
    bus = EventBus()
    properties = [job_state("RecordingJob_1"), job_state("RecordingJob_2")]
    bus.add_property_source(lambda: properties)
    subscriber = bus.subscribe()
    assert [n.event for n in subscriber.take(10)] == properties
    bus.synchronize(subscriber)
    assert [n.event for n in subscriber.take(10)] == properties
    assert bus.subscribe(initialize=False).pending == 0


def test_initialization_honours_the_filter() -> None:
    bus = EventBus()
    bus.add_property_source(lambda: [job_state("RecordingJob_1")])
    assert bus.subscribe(lambda event: isinstance(event, RecordingCreated)).pending == 0


def test_unsubscribe_closes_wakes_and_stops_delivery() -> None:
    bus = EventBus()
    subscriber = bus.subscribe()
    wakes: list[int] = []
    subscriber.listener = lambda: wakes.append(1)
    bus.publish(created(1))
    assert wakes == [1]
    bus.unsubscribe(subscriber)
    assert subscriber.closed and wakes == [1, 1]
    bus.publish(created(2))
    assert subscriber.pending == 0 and bus.subscriber_count == 0


def test_the_listener_is_called_once_per_publication() -> None:
    bus = EventBus()
    subscriber = bus.subscribe()
    wakes: list[int] = []
    subscriber.listener = lambda: wakes.append(subscriber.pending)
    bus.publish(created(1), created(2), created(3))
    assert wakes == [3]


def test_publishers_on_many_threads_lose_nothing() -> None:
    bus = EventBus(queue_limit=10_000)
    subscriber = bus.subscribe()

    def publish(thread: int) -> None:
        for n in range(1000):
            event: DomainEvent = RecordingCreated(f"{thread}-{n}")
            bus.publish(event)

    threads = [threading.Thread(target=publish, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = subscriber.take(10_000)
    assert len(got) == 4000 and subscriber.dropped == 0
    sequences = [n.sequence for n in got]
    assert sequences == sorted(sequences) and len(set(sequences)) == 4000
    for index in range(4):  # each publisher's events stay in its order
        mine = [n.event for n in got if isinstance(n.event, RecordingCreated)
                and n.event.recording_token.startswith(f"{index}-")]
        assert mine == [RecordingCreated(f"{index}-{n}") for n in range(1000)]
