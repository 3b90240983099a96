"""OrderedWriter on a real StorageThread: order, thread, failure reported once, the failed
writer's queue dropped, and backpressure."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Sequence

from onvif_recorder.engine.storage_writer import OrderedWriter, StorageThread
from onvif_recorder.storage.segment_index import SegmentRow

ROW = SegmentRow("Recording_1", "Recording_1/k.0.mp4", "Recording_1/k.0.mp4", "mp4", 0.0,
                 1.0, 10, ("VIDEO001",), {"VIDEO001": "avc1"}, True)


class Log:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.rows: list[SegmentRow] = []
        self.errors: list[Exception] = []

    def call(self, name: str) -> list[SegmentRow]:
        self.calls.append((name, threading.get_ident()))
        return [ROW] if name.startswith("close") else []

    def fail(self, name: str) -> list[SegmentRow]:
        self.calls.append((name, threading.get_ident()))
        raise OSError(28, "No space left on device")

    def after(self, gate: threading.Event, name: str, fail: bool = False) -> list[SegmentRow]:
        """A call that waits for ``gate`` first (a slow disk)."""
        assert gate.wait(10)
        return self.fail(name) if fail else self.call(name)

    def on_rows(self, rows: Sequence[SegmentRow]) -> None:
        self.rows.extend(rows)


def test_calls_run_in_order_on_the_storage_thread_and_rows_come_back() -> None:
    async def run() -> tuple[Log, int]:
        thread, log = StorageThread(), Log()
        writer = OrderedWriter(thread, log.on_rows, log.errors.append)
        for name in ("open", "fragment 1", "fragment 2", "close"):
            writer.submit(functools.partial(log.call, name))
        await writer.flushed()
        thread.close()
        return log, threading.get_ident()

    log, loop_thread = asyncio.run(run())
    assert [name for name, _ in log.calls] == ["open", "fragment 1", "fragment 2", "close"]
    assert len({ident for _, ident in log.calls}) == 1
    assert log.calls[0][1] != loop_thread
    assert log.rows == [ROW] and log.errors == []


def test_a_failure_is_reported_once_and_the_failed_writers_queue_is_dropped() -> None:
    async def run() -> Log:
        thread, log = StorageThread(), Log()
        gate = threading.Event()

        def on_error(exc: Exception) -> None:  # what RecordingTask._writer_failed does
            log.errors.append(exc)
            writer.discard()
            writer.submit(lambda: log.call("abort"))

        writer = OrderedWriter(thread, log.on_rows, on_error)
        writer.submit(lambda: log.after(gate, "fragment 1", fail=True))
        writer.submit(lambda: log.call("fragment 2"))  # queued behind the failing call
        gate.set()
        await writer.flushed()
        writer.submit(lambda: log.call("open again"))
        await writer.flushed()
        thread.close()
        return log

    log = asyncio.run(run())
    assert [name for name, _ in log.calls] == ["fragment 1", "abort", "open again"]
    assert len(log.errors) == 1 and isinstance(log.errors[0], OSError)


def test_readers_wait_only_while_more_than_the_limit_is_queued() -> None:
    async def run() -> list[str]:
        thread, log = StorageThread(), Log()
        gate = threading.Event()
        writer = OrderedWriter(thread, log.on_rows, log.errors.append, queue_limit=100)
        writer.submit(lambda: log.after(gate, "slow"), size=60)
        await asyncio.sleep(0)  # the drainer takes the slow call off the queue
        writer.submit(lambda: log.call("queued"), size=60)
        await asyncio.wait_for(writer.backpressure(), 10)  # 60 queued: no wait
        writer.submit(lambda: log.call("over"), size=60)
        waiting = asyncio.ensure_future(writer.backpressure())
        await asyncio.sleep(0)
        assert not waiting.done()
        gate.set()
        await asyncio.wait_for(waiting, 10)
        thread.close()
        return [name for name, _ in log.calls]

    assert asyncio.run(run()) == ["slow", "queued", "over"]
