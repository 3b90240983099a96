"""RTSP errors, split like h11's: the peer's fault (remote) or the caller's (local).

Every error carries what went wrong as data, so the asyncio shell can log, report
``ConnectionFailed`` and decide on a reconnect without parsing messages.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Base of every error raised by the sans-IO RTSP client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LocalProtocolError(ProtocolError):
    """The caller used the API in a way the protocol state does not allow."""


class RemoteProtocolError(ProtocolError, ValueError):
    """The server sent something we cannot accept (malformed, oversized, out of place)."""


class MessageTooLarge(RemoteProtocolError):
    """A message part exceeded one of ``MessageLimits``."""

    def __init__(self, what: str, size: int, limit: int) -> None:
        super().__init__(f"{what} of {size} bytes exceeds the limit of {limit}")
        self.what = what
        self.size = size
        self.limit = limit


class RequestFailed(RemoteProtocolError):
    """The server answered a request with a status we cannot go on from."""

    def __init__(self, method: str, url: str, status: int, reason: str) -> None:
        super().__init__(f"{method} {url} failed: {status} {reason}")
        self.method = method
        self.url = url
        self.status = status
        self.reason = reason


class AuthenticationFailed(RequestFailed):
    """401 again after we answered the challenge (wrong credentials), or no usable scheme."""


class TooManyRedirects(RemoteProtocolError):
    def __init__(self, location: str, limit: int) -> None:
        super().__init__(f"redirect to {location} exceeds the limit of {limit} redirects")
        self.location = location
        self.limit = limit


class ResponseTimeout(RemoteProtocolError):
    """No response to a request before its deadline."""

    def __init__(self, method: str, cseq: int, timeout: float) -> None:
        super().__init__(f"no response to {method} (CSeq {cseq}) within {timeout:g} s")
        self.method = method
        self.cseq = cseq
        self.timeout = timeout


class ConnectionClosedByPeer(RemoteProtocolError):
    """The server closed the connection while the session still needed it."""
