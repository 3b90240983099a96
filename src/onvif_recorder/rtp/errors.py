"""Errors raised by the RTP layer.

Everything here inherits from ``RtpError`` (itself a ``ValueError``): a parser or
depacketizer fed hostile bytes raises nothing else. On the receive path these errors
mean "count this packet and drop it", never "stop the stream".
"""

from __future__ import annotations


class RtpError(ValueError):
    """Base of every RTP-layer error."""


class MalformedPacket(RtpError):
    """An RTP or RTCP packet does not follow RFC 3550 §5.1 / §6.4."""


class DepacketizeError(RtpError):
    """A payload could not be turned into access units; the partial unit is discarded."""


class LimitExceeded(DepacketizeError):
    """An access unit grew past a size or count cap; it is discarded."""

    def __init__(self, what: str, value: int, limit: int) -> None:
        super().__init__(f"{what} {value} exceeds the limit of {limit}")
        self.what = what
        self.value = value
        self.limit = limit
