"""What ingest hands its consumers, per receiver: session markers and timed samples (pure).

A consumer sees ``SessionStarted`` when a connection starts playing (its streams, in media
order), then ``MediaSample``s in arrival order, then ``SessionEnded`` when that connection
ends. The queues that carry them (and their drop policy) are the asyncio shell's
``engine.samples``; ``SamplePublisher`` is all the sans-IO side needs of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from onvif_recorder.domain.recording import TrackType
from onvif_recorder.rtp.stream import ReceivedSample


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """One media of a playing session, as the SDP described it."""

    media_index: int
    track_type: TrackType
    encoding: str
    """rtpmap encoding name as the server wrote it, e.g. ``H264``, ``MPEG4-GENERIC``."""
    clock_rate: int
    channels: int
    fmtp: Mapping[str, str]
    control: str


@dataclass(frozen=True, slots=True)
class SessionStarted:
    receiver_token: str
    session: int
    """Counts the receiver's sessions from 1; every later item names its session."""
    media_uri: str
    """Without credentials."""
    streams: tuple[StreamInfo, ...]


@dataclass(frozen=True, slots=True)
class MediaSample:
    session: int
    media_index: int
    sample: ReceivedSample
    arrival_utc: float
    """POSIX time the packet that completed the sample arrived."""
    discontinuity: bool = False
    """Samples of this stream were dropped right before this one (see the policy)."""


@dataclass(frozen=True, slots=True)
class SessionEnded:
    session: int
    error: str | None
    """Why the connection ended; None for an orderly TEARDOWN."""


IngestItem = SessionStarted | MediaSample | SessionEnded


class SamplePublisher(Protocol):
    """Where a session's samples go (``engine.samples.SampleFanout``)."""

    def publish(self, item: IngestItem) -> None: ...
