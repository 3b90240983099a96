"""The sample queue's back-pressure policy and the fan-out to subscribers."""

from __future__ import annotations

import asyncio

import pytest

from onvif_recorder.domain.recording import TrackType
from onvif_recorder.engine.samples import SampleFanout, SampleQueue
from onvif_recorder.ingest.items import (
    IngestItem,
    MediaSample,
    SessionEnded,
    SessionStarted,
    StreamInfo,
)
from onvif_recorder.rtp.stream import ReceivedSample
from onvif_recorder.rtp.timing import ClockSource

VIDEO, AUDIO = 0, 1
STARTED = SessionStarted("Receiver_1", 1, "rtsp://camera/x", (
    StreamInfo(VIDEO, TrackType.VIDEO, "H264", 90000, 1, {}, "rtsp://camera/x/0"),
    StreamInfo(AUDIO, TrackType.AUDIO, "MPEG4-GENERIC", 16000, 1, {}, "rtsp://camera/x/1"),
))


def sample(media: int, n: int, sync: bool = True, size: int = 10) -> MediaSample:
    data = ReceivedSample(units=(bytes(size),), pts=n, dts=n, clock_rate=90000, sync=sync,
                          utc=1.0e9 + n, clock_source=ClockSource.RTCP, config=None,
                          config_changed=False)
    return MediaSample(1, media, data, 1.0e9 + n)


def gop(start: int, length: int = 5) -> list[MediaSample]:
    return [sample(VIDEO, start + i, sync=i == 0) for i in range(length)]


def drain(queue: SampleQueue) -> list[IngestItem]:
    items = []
    while (item := queue.get_nowait()) is not None:
        items.append(item)
    return items


def pts(items: list[IngestItem]) -> list[tuple[int, int, bool]]:
    return [(i.media_index, i.sample.pts, i.discontinuity) for i in items
            if isinstance(i, MediaSample)]


def test_under_the_limits_everything_is_delivered_in_order() -> None:
    queue = SampleQueue(max_items=100)
    items: list[IngestItem] = [STARTED, *gop(0), sample(AUDIO, 0), SessionEnded(1, None)]
    for item in items:
        queue.put(item)
    assert drain(queue) == items and queue.dropped == 0 and queue.bytes == 0


def test_overflow_drops_the_oldest_gop_and_marks_the_next_sync_sample() -> None:
    queue = SampleQueue(max_items=11)
    queue.put(STARTED)
    for item in [*gop(0), *gop(5)]:
        queue.put(item)
    queue.put(sample(VIDEO, 10, sync=True))  # 12 items: the first GOP goes
    assert queue.dropped == 5
    assert drain(queue)[0] == STARTED
    assert queue.bytes == 0


def test_the_gap_is_announced_on_the_first_sample_after_it() -> None:
    queue = SampleQueue(max_items=7)
    for item in [*gop(0), sample(AUDIO, 0), *gop(5)]:
        queue.put(item)
    assert pts(drain(queue)) == [(AUDIO, 0, False), (VIDEO, 5, True), (VIDEO, 6, False),
                                 (VIDEO, 7, False), (VIDEO, 8, False), (VIDEO, 9, False)]


def test_without_a_later_sync_sample_incoming_frames_wait_for_one() -> None:
    queue = SampleQueue(max_items=3)
    for item in gop(0, length=4):  # the 4th forces out the GOP's key frame and its P frames
        queue.put(item)
    assert len(queue) == 0 and queue.dropped == 4
    queue.put(sample(VIDEO, 4, sync=False))  # undecodable: dropped
    queue.put(sample(VIDEO, 5, sync=True))
    queue.put(sample(VIDEO, 6, sync=False))
    assert pts(drain(queue)) == [(VIDEO, 5, True), (VIDEO, 6, False)]
    assert queue.dropped == 5


def test_audio_loses_one_frame_at_a_time() -> None:
    queue = SampleQueue(max_items=3)
    for n in range(5):
        queue.put(sample(AUDIO, n))
    assert pts(drain(queue)) == [(AUDIO, 2, True), (AUDIO, 3, False), (AUDIO, 4, False)]
    assert queue.dropped == 2


def test_the_byte_limit_applies_too() -> None:
    queue = SampleQueue(max_items=1000, max_bytes=250)
    for n in range(30):
        queue.put(sample(AUDIO, n, size=10))
    assert queue.bytes <= 250 and len(queue) == 25 and queue.dropped == 5


def test_session_markers_are_never_dropped() -> None:
    queue = SampleQueue(max_items=2)
    items: list[IngestItem] = [STARTED, SessionEnded(1, "reset"), sample(AUDIO, 0),
                               sample(AUDIO, 1)]
    for item in items:
        queue.put(item)
    assert drain(queue)[:2] == [STARTED, SessionEnded(1, "reset")]


async def test_get_batch_waits_for_a_put_and_returns_empty_once_closed() -> None:
    queue = SampleQueue()
    waiting = asyncio.create_task(queue.get_batch())
    await asyncio.sleep(0)
    assert not waiting.done()
    queue.put(STARTED)
    assert await waiting == [STARTED]
    closed = asyncio.create_task(queue.get_batch())
    await asyncio.sleep(0)
    queue.close()
    assert await closed == []
    queue.put(STARTED)  # ignored once closed
    assert len(queue) == 0


def test_fanout_without_subscribers_counts_and_discards() -> None:
    fanout = SampleFanout()
    fanout.publish(STARTED)
    fanout.publish(sample(VIDEO, 0))
    assert (fanout.samples, fanout.unconsumed) == (1, 1)


def test_a_late_subscriber_first_learns_the_current_session() -> None:
    fanout = SampleFanout()
    early = fanout.subscribe()
    fanout.publish(STARTED)
    fanout.publish(sample(VIDEO, 0))
    late = fanout.subscribe(max_items=10)
    fanout.publish(sample(VIDEO, 1, sync=False))
    assert drain(early) == [STARTED, sample(VIDEO, 0), sample(VIDEO, 1, sync=False)]
    assert drain(late) == [STARTED, sample(VIDEO, 1, sync=False)]
    fanout.publish(SessionEnded(1, None))
    assert drain(fanout.subscribe()) == []  # no session open any more
    fanout.unsubscribe(late)
    assert late.closed and fanout.subscribers == 2


def test_a_queue_needs_room() -> None:
    with pytest.raises(ValueError):
        SampleQueue(max_items=0)
