"""Request building and request/response correlation by CSeq (RFC 2326 §12.17).

Also the two things a client does with messages beyond matching them: answering a
request the server sends (RFC 2326 §10: OPTIONS and GET_PARAMETER may go server to
client) and reading the synchronisation headers of a PLAY reply.

Every request gets the next CSeq, a User-Agent, the Session id once there is one
(not on OPTIONS/DESCRIBE) and an Authorization when the session has credentials. It
stays pending until the response with its CSeq arrives or its deadline passes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from onvif_recorder.rtsp import headers
from onvif_recorder.rtsp.errors import RemoteProtocolError
from onvif_recorder.rtsp.message import Headers, Request, Response

SESSIONLESS_METHODS = frozenset({"OPTIONS", "DESCRIBE"})
ANSWERED_METHODS = frozenset({"OPTIONS", "GET_PARAMETER", "SET_PARAMETER"})


@dataclass(slots=True)
class PendingRequest:
    """A request awaiting its response; ``purpose`` names the session's handler."""

    cseq: int
    method: str
    url: str
    purpose: str
    extra: tuple[tuple[str, str], ...]
    deadline: float
    auth_attempts: int = 0


class RequestTracker:
    def __init__(self, user_agent: str, timeout: float) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.cseq = 0
        self.last_sent = 0.0
        self._pending: dict[int, PendingRequest] = {}

    def build(self, method: str, url: str, purpose: str, now: float, *,
              session_id: str | None = None, authorization: str | None = None,
              extra: tuple[tuple[str, str], ...] = (), auth_attempts: int = 0) -> bytes:
        """Serialize the next request and remember it as pending."""
        self.cseq += 1
        fields = [("CSeq", str(self.cseq)), ("User-Agent", self.user_agent)]
        if session_id is not None and method not in SESSIONLESS_METHODS:
            fields.append(("Session", session_id))
        if authorization is not None:
            fields.append(("Authorization", authorization))
        data = bytes(Request(method, url, Headers.of([*fields, *extra])))
        self._pending[self.cseq] = PendingRequest(self.cseq, method, url, purpose, extra,
                                                  now + self.timeout, auth_attempts)
        self.last_sent = now
        return data

    def match(self, response: Response) -> PendingRequest | None:
        """The request this response answers; None for an unknown CSeq."""
        cseq = response.cseq
        if cseq is None and len(self._pending) == 1:
            cseq = next(iter(self._pending))  # some servers drop CSeq: one request is open
        return self._pending.pop(cseq, None) if cseq is not None else None

    def expired(self, now: float) -> PendingRequest | None:
        """The oldest request whose deadline has passed, if any."""
        late = [p for p in self._pending.values() if now >= p.deadline]
        return min(late, key=lambda p: p.cseq, default=None)

    def next_deadline(self) -> float | None:
        return min((p.deadline for p in self._pending.values()), default=None)

    def clear(self) -> None:
        self._pending.clear()


def answer_server_request(request: Request) -> bytes:
    """200 to OPTIONS/GET_PARAMETER/SET_PARAMETER, 501 to anything else."""
    status, reason = ((200, "OK") if request.method in ANSWERED_METHODS
                      else (501, "Not Implemented"))
    fields = [("CSeq", str(request.cseq))] if request.cseq is not None else []
    return bytes(Response(status, reason, Headers.of(fields)))


def play_headers(response: Response) -> tuple[list[headers.RtpInfo], headers.Range | None]:
    """RTP-Info and Range of a PLAY reply; unreadable values are ignored, not fatal."""
    rtp_info: list[headers.RtpInfo] = []
    play_range = None
    with contextlib.suppress(RemoteProtocolError):
        rtp_info = headers.parse_rtp_info(response.headers.get("RTP-Info") or "")
    with contextlib.suppress(RemoteProtocolError):
        value = response.headers.get("Range")
        play_range = headers.parse_range(value) if value else None
    return rtp_info, play_range
