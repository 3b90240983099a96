"""The export queue (engine.exports): bounded, Stop of a queued export, its events."""

from __future__ import annotations

from pathlib import Path

import pytest

from onvif_recorder.domain.errors import ResourceProblem
from onvif_recorder.domain.storage import StorageConfiguration, StorageConfigurationData
from onvif_recorder.engine.exports import MAX_UNFINISHED, ExportRunner
from onvif_recorder.service.async_operation_events import AsynchronousOperationStatus
from onvif_recorder.service.events import EventBus, PropertyOperation
from onvif_recorder.service.exports import ExportOperation, ExportState

STORAGE = StorageConfiguration("nfs", StorageConfigurationData("NFS", local_path="/mnt/x"))


def operation(runner: ExportRunner) -> ExportOperation:
    return ExportOperation(runner.new_token(), "http://nvr/onvif/recording_service", (),
                           STORAGE, "")


async def test_a_full_queue_refuses_and_a_queued_export_stops(tmp_path: Path) -> None:
    bus = EventBus()
    seen = bus.subscribe()
    runner = ExportRunner(tmp_path, tmp_path / "db.sqlite3", bus, parallel=0)  # all queue
    queued = [operation(runner) for _ in range(MAX_UNFINISHED)]
    for op in queued:
        runner.start(op)
    with pytest.raises(ResourceProblem):
        runner.start(operation(runner))
    # A new subscriber learns of every live export (Core: property Initialized).
    late = bus.subscribe()
    assert len(late.take(100)) == MAX_UNFINISHED
    stopped = await runner.stop(queued[0].token)
    assert stopped.state is ExportState.STOPPED and stopped.progress == 0.0
    runner.start(operation(runner))  # room again
    await runner.close()
    events = [n.event for n in seen.take(1000)]
    assert all(isinstance(e, AsynchronousOperationStatus) for e in events)
    first = [e for e in events if isinstance(e, AsynchronousOperationStatus)
             and e.token == queued[0].token]
    assert [e.operation for e in first] == [PropertyOperation.INITIALIZED,
                                            PropertyOperation.DELETED]
    assert all(op.finished for op in queued)
