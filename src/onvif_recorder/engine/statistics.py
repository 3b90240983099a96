"""The engine's counters for /metrics, as plain values: read in this process, or sent by
each worker process once a second (``engine.workers``) and summed in the front end."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from onvif_recorder.engine.pre_event import PreEventBuffers
from onvif_recorder.engine.receiver_supervisor import ReceiverSupervisor
from onvif_recorder.engine.recording_tasks import RecordingTasks

_PROC = Path("/proc/self/statm").exists()
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True, slots=True)
class Statistics:
    receivers: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """Receiver → (RTP packets, samples, lost packets) since its task started."""
    recordings: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """Recording → (samples, sample bytes, segments) written since its task started."""
    pre_event: dict[str, int] = field(default_factory=dict)
    """Job → sample bytes its pre-event buffers hold now."""
    workers: dict[str, tuple[float, int, int]] = field(default_factory=dict)
    """Worker process number → (CPU seconds, resident bytes, restarts); none in one
    process."""

    @staticmethod
    def merged(parts: Iterable[Statistics]) -> Statistics:
        total = Statistics()
        for part in parts:
            total.receivers.update(part.receivers)
            total.recordings.update(part.recordings)
            total.pre_event.update(part.pre_event)
            total.workers.update(part.workers)
        return total


def collect(receivers: Iterable[str], ingest: ReceiverSupervisor | None,
            tasks: RecordingTasks | None, pre_event: PreEventBuffers | None) -> Statistics:
    counted = Statistics()
    for token in receivers:
        task = ingest.task(token) if ingest is not None else None
        if task is not None:
            totals = task.stats.totals()
            counted.receivers[token] = (totals.packets, totals.samples, totals.lost)
    for token, recording in (tasks.tasks.items() if tasks is not None else ()):
        stats = recording.stats
        counted.recordings[token] = (stats.samples, stats.bytes, stats.segments)
    if pre_event is not None:
        counted.pre_event.update(pre_event.held_bytes)
    return counted


def this_process() -> tuple[float, int]:
    """CPU seconds (user + system) and resident bytes of the calling process."""
    times = os.times()
    pages = int(Path("/proc/self/statm").read_text().split()[1]) if _PROC else 0
    return times.user + times.system, pages * _PAGE
