"""``onvif-recorder probe rtsp://...``: connect to a camera the way a receiver does, print
its streams and count samples for a few seconds — what a person checking a camera wants.

It runs one ``ReceiverTask`` (the same RTSP/RTP path as recording, Digest included) and
reads its sample queue; nothing is stored. ``TRANSPORTS`` names the StreamSetups it can
try, as a receiver would be configured.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TextIO

from onvif_recorder.domain.receiver import (
    ReceiverConfiguration,
    ReceiverMode,
    ReceiverState,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.engine.connection import ConnectionConfig
from onvif_recorder.engine.receiver_task import IngestConfig, ReceiverTask, public_uri
from onvif_recorder.engine.samples import SampleFanout, SampleQueue
from onvif_recorder.engine.tls import TlsPolicy
from onvif_recorder.ingest.items import MediaSample, SessionStarted, StreamInfo
from onvif_recorder.media import table
from onvif_recorder.rtp.stream import ReceivedSample

TRANSPORTS: dict[str, tuple[str, StreamType, TransportProtocol]] = {
    "udp": ("RTP/UDP", StreamType.RTP_UNICAST, TransportProtocol.UDP),
    "rtsp": ("RTSP/TCP", StreamType.RTP_UNICAST, TransportProtocol.RTSP),
    "http": ("RTSP over HTTP", StreamType.RTP_UNICAST, TransportProtocol.HTTP),
    "multicast": ("RTP multicast", StreamType.RTP_MULTICAST, TransportProtocol.UDP),
}
"""``--transport`` choices: what is printed, and the StreamSetup a receiver would have."""


@dataclass
class StreamCount:
    info: StreamInfo
    samples: int = 0
    sync: int = 0
    octets: int = 0
    detail: str = ""


@dataclass
class ProbeEvents:
    """Prints the receiver's state changes as they happen."""

    out: TextIO
    failures: list[str] = field(default_factory=list)

    def receiver_state_changed(
        self, receiver_token: str, state: ReceiverState, media_uri: str | None = None
    ) -> None:
        print(f"  state: {state.value}", file=self.out, flush=True)

    def receiver_connection_failed(self, receiver_token: str, media_uri: str) -> None:
        self.failures.append(media_uri)


def describe(sample: ReceivedSample) -> str:
    """Resolution or audio format, from the codec configuration in force."""
    return table.describe(sample.config)


async def probe(uri: str, seconds: float, transport: str, out: TextIO,
                tls: TlsPolicy | None = None) -> int:
    """Connect over ``transport`` (a ``TRANSPORTS`` key), count for ``seconds`` after PLAY,
    print a summary; 0 if media arrived."""
    print(f"probing {public_uri(uri)} over {TRANSPORTS[transport][0]}", file=out)
    counts, events, task = await count_samples(uri, seconds, transport, out, tls)
    return _report(counts, seconds, events, task, out)


async def count_samples(
    uri: str, seconds: float, transport: str, out: TextIO, tls: TlsPolicy | None = None
) -> tuple[dict[int, StreamCount], ProbeEvents, ReceiverTask]:
    """Samples per stream during ``seconds`` after PLAY (also what the web page's "add a
    camera" checks first); the task is stopped, its stats say why nothing came."""
    _, stream, protocol = TRANSPORTS[transport]
    configuration = ReceiverConfiguration(
        ReceiverMode.ALWAYS_CONNECT, uri, stream, Transport(protocol)
    )
    fanout = SampleFanout()
    queue = fanout.subscribe()
    events = ProbeEvents(out)
    ingest = IngestConfig(ConnectionConfig(tls=tls or TlsPolicy()))
    task = ReceiverTask("probe", configuration, events, fanout, ingest)
    task.start()
    try:
        counts = await _count(queue, seconds, events)
    finally:
        await task.stop()
    return counts, events, task


async def _count(queue: SampleQueue, seconds: float, events: ProbeEvents) -> dict[int, StreamCount]:
    """Samples per stream during ``seconds`` after the first PLAY; gives up at the first
    failed connection attempt, or when nothing plays within max(10 s, ``seconds``)."""
    counts: dict[int, StreamCount] = {}
    deadline: float | None = None
    give_up = time.monotonic() + max(seconds, 10.0)
    while time.monotonic() < (deadline or give_up):
        if deadline is None and events.failures:
            break
        remaining = (deadline or give_up) - time.monotonic()
        try:
            batch = await asyncio.wait_for(queue.get_batch(), timeout=min(remaining, 0.2))
        except TimeoutError:
            continue
        for item in batch:
            if isinstance(item, SessionStarted) and deadline is None:
                counts = {s.media_index: StreamCount(s) for s in item.streams}
                deadline = time.monotonic() + seconds
            elif isinstance(item, MediaSample) and item.media_index in counts:
                _add(counts[item.media_index], item.sample)
    return counts


def _add(count: StreamCount, sample: ReceivedSample) -> None:
    count.samples += 1
    count.sync += sample.sync
    count.octets += sample.size
    count.detail = describe(sample) or count.detail


def _report(
    counts: dict[int, StreamCount],
    seconds: float,
    events: ProbeEvents,
    task: ReceiverTask,
    out: TextIO,
) -> int:
    if not counts:
        reason = task.stats.last_error or "no answer"
        print(f"no media after {len(events.failures)} failed attempt(s): {reason}", file=out)
        return 1
    print(
        f"{'#':>2} {'type':8} {'codec':26} {'format':22} {'samples':>8} {'per s':>7} "
        f"{'sync':>5} {'kbit/s':>8}",
        file=out,
    )
    for index, count in sorted(counts.items()):
        info = count.info
        codec = f"{info.encoding}/{info.clock_rate}"
        print(
            f"{index:>2} {info.track_type.value:8} {codec:26} {count.detail:22} "
            f"{count.samples:>8} {count.samples / seconds:>7.1f} {count.sync:>5} "
            f"{count.octets * 8 / seconds / 1000:>8.0f}",
            file=out,
        )
    return 0 if any(c.samples for c in counts.values()) else 1
