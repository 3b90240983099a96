"""Failures the asyncio shell detects itself (the sans-IO session raises ``rtsp.errors``).

The receiver task reconnects after any of these, as after an ``OSError`` (refused, reset,
unreachable), a ``TimeoutError`` or an ``rtsp.errors.ProtocolError`` (``RETRYABLE``).
"""

from __future__ import annotations

from onvif_recorder.rtsp.errors import ProtocolError


class IngestError(Exception):
    """Base of the shell's own failures."""


class NoSupportedMedia(IngestError):
    """DESCRIBE named no media we can depacketize."""


class UnsupportedTransport(IngestError):
    """The receiver configuration asks for a transport this recorder does not implement."""


class MediaTimeout(IngestError):
    """No RTP packet for longer than the configured media timeout."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no media received for {seconds:g} s")
        self.seconds = seconds


class EndedByServer(IngestError):
    """The server ended the session (a TEARDOWN or REDIRECT request to the client)."""


class Redirect(IngestError):
    """DESCRIBE or OPTIONS was redirected: connect to ``location`` instead."""

    def __init__(self, location: str, count: int) -> None:
        super().__init__(f"redirected to {location}")
        self.location = location
        self.count = count


RETRYABLE = (IngestError, ProtocolError, OSError, TimeoutError)
"""What ends one connection attempt but not the receiver."""


def forget_tracebacks(error: BaseException) -> None:
    """Drop the tracebacks of ``error`` and the errors it chains to. A kept error's traceback
    holds the frames it passed, and so whatever they referenced (a connection that holds
    the error: a cycle only the cyclic GC frees). Failures are reported as text anyway."""
    seen: set[int] = set()
    chained: BaseException | None = error
    while chained is not None and id(chained) not in seen:
        seen.add(id(chained))
        chained.__traceback__ = None
        chained = chained.__cause__ or chained.__context__
