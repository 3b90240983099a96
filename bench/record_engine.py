"""The engine side of bench/record.py, run in a child process: N recordings, each with an
Active job on its own receiver (AutoConnect, RTSP over TCP), recorded by the production
composition (ingest supervisor, recording engine, local storage, retention) without the
SOAP server, which would only sit idle."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

from onvif_recorder.app import Services, build_services
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import (
    RECEIVER_SOURCE_TYPE,
    JobMode,
    JobSource,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.domain.receiver import (
    ReceiverConfiguration,
    ReceiverMode,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.domain.recording import RecordingConfiguration, RecordingSource
from onvif_recorder.engine.receiver_supervisor import ReceiverSupervisor
from onvif_recorder.engine.receiver_task import ReceiverStats
from onvif_recorder.engine.recording_supervisor import EngineSettings, RecordingSupervisor
from onvif_recorder.engine.recording_tasks import RecordingTasks
from onvif_recorder.engine.runtime import engine_media_flow, local_storage
from onvif_recorder.engine.storage_writer import StorageThread
from onvif_recorder.recording.flow import FlowTracker
from onvif_recorder.settings import Limits, RecorderSettings
from onvif_recorder.storage.retention import Retention
from record_files import FileStats

DRAIN = 1.0  # seconds for the recording tasks to write what ingest delivered last


@dataclass(frozen=True)
class EngineReport:
    received: int
    """Samples depacketized by ingest (all sessions of all receivers)."""
    not_written: int
    """Samples the recording tasks could not write (no parameter sets yet, writer down)."""
    rtp_lost: int
    """RTP packets never received (sequence gaps)."""
    sessions: int
    joined_mid_gop: int = 0
    """Samples before a session's first video sync sample: not recordable (no decoder
    could use them), and not written by ffmpeg either."""

    def lost(self, files: FileStats) -> int:
        """Samples received but absent from the segments, plus packets lost on the wire."""
        return self.received - self.joined_mid_gop - files.samples + self.rtp_lost


def rss_self() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def populate(services: Services, url: str, streams: int) -> list[str]:
    """N recordings, receivers and Active jobs; returns the receiver tokens."""
    receivers = []
    for number in range(streams):
        source = RecordingSource(f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
                                 f"Camera {number}", "", "Benchmark camera", url)
        recording = services.recordings.create_recording(
            RecordingConfiguration(source, "", XsDuration.parse("PT0S")))
        receiver = services.receivers.create_receiver(ReceiverConfiguration(
            ReceiverMode.AUTO_CONNECT, url, StreamType.RTP_UNICAST,
            Transport(TransportProtocol.RTSP)))
        reference = SourceReference(receiver.token, RECEIVER_SOURCE_TYPE)
        services.jobs.create_job(RecordingJobConfiguration(
            recording.token, JobMode.ACTIVE, 1, (JobSource(reference),)))
        receivers.append(receiver.token)
    return receivers


async def run_engine(conn: Connection, data: Path, url: str, streams: int, segment: float,
                     fsync_interval: float) -> EngineReport:
    limits = Limits(max_recordings=max(64, streams), max_recording_jobs=max(128, streams),
                    max_receivers=max(128, streams))
    settings = RecorderSettings(data_dir=data, limits=limits, segment_duration=segment,
                                fsync_interval=fsync_interval)
    media = engine_media_flow()
    services = build_services(settings, media)
    receivers = populate(services, url, streams)
    conn.send("populated")
    conn.send(rss_self())
    tracker = media.inner
    assert isinstance(tracker, FlowTracker)
    tracker.on_change = services.engine.media_flow_changed
    ingest = ReceiverSupervisor(services.holder, services.engine, states=media.states)
    storage = local_storage(settings)
    thread = StorageThread()
    runner = RecordingTasks(storage, tracker, ingest, thread)
    engine = RecordingSupervisor(services.holder, storage, runner, EngineSettings(segment),
                                 Retention(storage, services.events), thread=thread)
    await engine.start()
    await ingest.start()
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
    stats = [task.stats for token in receivers if (task := ingest.task(token)) is not None]
    await ingest.stop()
    await asyncio.sleep(DRAIN)
    tasks = list(runner.tasks.values())
    await engine.stop()
    thread.close()
    storage.index.close()
    not_written = sum(task.stats.lost for task in tasks)
    skipped = sum(task._segmenter.counters.skipped_before_sync
                  for task in tasks if task._segmenter is not None)
    return replace(report(stats, not_written), joined_mid_gop=skipped)


def report(stats: list[ReceiverStats], not_written: int) -> EngineReport:
    streams = [s for receiver in stats for s in receiver.streams.values()]
    return EngineReport(sum(s.samples for s in streams), not_written,
                        sum(s.sequence.lost for s in streams), sum(r.sessions for r in stats))
